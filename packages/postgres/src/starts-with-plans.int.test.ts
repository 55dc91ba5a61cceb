/**
 * `startsWith` on `stream_id` and `event_type` is served by an index (SPEC §4): the compiler turns
 * it into a range `prefix <= x < successor` under `COLLATE "C"` (the columns' collation), which a
 * btree on the column can search.
 */

import { DEFAULT_LIMITS, parseQuery } from '@eventlog/core';
import { createQueryCompiler } from '@eventlog/sql';
import {
  appendRequest,
  describePostgres,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { POSTGRES_DIALECT, postgresEventLayout } from './postgres-layout.js';
import { testAdapter } from './test/pg-env.js';

describePostgres('postgres startsWith plans', () => {
  const pg = usePostgres();
  const { schema } = pg;
  let adapter: PostgresAdapter;
  let instanceId: string;

  beforeAll(async () => {
    adapter = testAdapter(pg);
    await adapter.ready();
    // 3000 events in 30 streams of 10 types; 10 in `order-…` streams of type `OrderPlaced`.
    const instance = await freshInstance(adapter);
    instanceId = instance.id;
    for (let k = 0; k < 3; k++) {
      const events = Array.from({ length: 1000 }, (_, i) =>
        k === 0 && i < 10
          ? newEvent({ streamId: `order-${i}`, eventType: 'OrderPlaced' })
          : newEvent({ streamId: `cart-${i % 30}`, eventType: `Cart${i % 10}` }),
      );
      await adapter.append(appendRequest(instance.id, events));
    }
    await pg.sql.unsafe(`analyze "${schema}".events`);
  });

  /** The plan of `statement`, with sequential and bitmap scans off, so only index choices remain. */
  async function plan(statement: string, params: unknown[]): Promise<string> {
    return pg.sql.begin(async (tx) => {
      await tx.unsafe('set local enable_seqscan = off');
      await tx.unsafe('set local enable_bitmapscan = off');
      const rows = await tx.unsafe<Array<{ 'QUERY PLAN': string }>>(
        `explain ${statement}`,
        params as never[],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it.each([
    [
      'stream_id',
      'order-',
      /Index (Only )?Scan using events_stream_sequence_key[\s\S]*Index Cond: .*stream_id >= [\s\S]*stream_id < /,
    ],
    [
      'event_type',
      'Order',
      /Index (Only )?Scan using events_instance_type_idx[\s\S]*Index Cond: .*event_type >= [\s\S]*event_type < /,
    ],
  ])(
    'given a query on %s startsWith, then an index range serves it: no walk of the instance',
    async (field, value, expected) => {
      const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
      const query = parseQuery({
        from: { instance: instanceId },
        where: [{ field, operator: 'startsWith', value }],
        limit: 10,
      });
      const { page, count } = compiler.compileQuery(instanceId, query, DEFAULT_LIMITS).statements;
      for (const statement of [page, count]) {
        const text = await plan(statement?.sql as string, [...(statement?.params ?? [])]);
        expect(text, text).toMatch(expected);
        expect(text).not.toMatch(/Index (Only )?Scan using events_instance_position_idx/);
      }
    },
  );
});
