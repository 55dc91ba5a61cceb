/**
 * Rollups on PostgreSQL (statement-level triggers with transition tables): answered from the
 * rollup exactly as by the scan (issue 10), on a schema of its own.
 */

import { describeRollups } from '@eventlog/conformance';
import { createEventLog, type EventLog } from '@eventlog/core';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import { expect, it } from 'vitest';
import { postgresAdapter } from './index.js';

function ok<T>(res: { success: true; data: T } | { success: false; error: string }): T {
  if (!res.success) throw new Error(res.error);
  return res.data;
}

describePostgres('postgres rollups', (url) => {
  const pg = usePostgres({ prefix: 'el_rollups' });
  describeRollups({
    name: 'postgres',
    create: () => postgresAdapter({ url, schema: pg.schema }),
    numRuns: 15,
  });
});

describePostgres('postgres rollups of a deleted instance', (url) => {
  const pg = usePostgres({ prefix: 'el_rollups_del' });

  it('given two instances with rollups, when one is deleted, then no cell is updated on the way (its rollup goes first), its triggers are dropped after, and the other keeps counting', async () => {
    const adapter = postgresAdapter({ url, schema: pg.schema });
    const log: EventLog = createEventLog({ adapter });
    const q = (name: string) => `"${pg.schema}"."${name}"`;
    try {
      for (const name of ['gone', 'kept']) {
        ok(await log.createInstance(name));
        ok(await log.defineRollup({ instanceId: name, name: 'by-type', groupBy: ['event_type'] }));
        const events = Array.from({ length: 300 }, (_, i) => ({
          streamId: `s${i % 7}`,
          eventType: `T${i % 3}`,
        }));
        ok(await log.appendEvents({ instanceId: name, events }));
      }
      const triggersOf = async () =>
        (
          await adapter.sql.unsafe(
            `SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND tgname LIKE 'rollup_%' ORDER BY tgname`,
            [q('events')],
          )
        ).map((r) => r.tgname as string);
      expect(await triggersOf()).toHaveLength(4);
      // Any update of a cell now fails the statement that makes it.
      await adapter.sql.unsafe(
        `CREATE FUNCTION ${q('no_cell_updates')}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'a rollup cell was updated'; END $$`,
      );
      await adapter.sql.unsafe(
        `CREATE TRIGGER no_cell_updates BEFORE UPDATE ON ${q('rollup_cells')} FOR EACH ROW EXECUTE FUNCTION ${q('no_cell_updates')}()`,
      );
      expect(ok(await log.deleteInstance('gone')).deletedEvents).toBe(300);
      await adapter.sql.unsafe(`DROP TRIGGER no_cell_updates ON ${q('rollup_cells')}`);

      const [kept] = await adapter.sql.unsafe(`SELECT id FROM ${q('rollups')}`);
      expect(await triggersOf()).toEqual([`rollup_${kept?.id}_delete`, `rollup_${kept?.id}_insert`]);
      const functions = await adapter.sql.unsafe(
        `SELECT proname FROM pg_proc WHERE pronamespace = to_regnamespace($1) AND proname LIKE 'rollup_%' ORDER BY proname`,
        [`"${pg.schema}"`],
      );
      expect(functions.map((f) => f.proname)).toEqual([
        `rollup_${kept?.id}_delete`,
        `rollup_${kept?.id}_insert`,
      ]);
      const [cells] = await adapter.sql.unsafe(
        `SELECT count(*)::int AS n, sum(n)::int AS events FROM ${q('rollup_cells')}`,
      );
      expect(cells).toEqual({ n: 3, events: 300 });

      ok(await log.appendEvents({ instanceId: 'kept', events: [{ streamId: 's0', eventType: 'T0' }] }));
      const counted = ok(
        await log.queryEvents({
          from: { instance: 'kept' },
          reduce: { type: 'count', groupBy: ['event_type'] },
        }),
      );
      expect(
        await log.store.explainQuery({
          from: { instance: 'kept' },
          reduce: { type: 'count', groupBy: ['event_type'] },
        }),
      ).toMatchObject({ rollup: 'by-type' });
      expect(counted.result.aggregation?.groups).toEqual([
        { key: { event_type: 'T0' }, value: 101 },
        { key: { event_type: 'T1' }, value: 100 },
        { key: { event_type: 'T2' }, value: 100 },
      ]);
    } finally {
      await log.close();
    }
  });
});
