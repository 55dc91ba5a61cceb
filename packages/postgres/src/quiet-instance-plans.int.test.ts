/**
 * Reads that concern one instance must seek its part of an index whatever else the table holds. A
 * generic plan cannot see which instance it reads: it reckons one instance holds 1/n of the events,
 * so with few instances, walking the primary key in position order and keeping the instance's
 * events looks cheaper than seeking the (instance, …, position) index. For a quiet instance in a
 * table where a busy one wrote since, that walk passes every event the busy one wrote:
 * - every append reads the instance's highest position (the commit watcher's order check): an
 *   append to a quiet instance took 14–26 ms behind 100,000 such events once `append_events` ran
 *   with generic plans (migration 0007), 1.6–2.7 ms since migration 0009
 *   (`bench/src/profile-quiet-append.ts`);
 * - a condition's item of types only looks for the first such event after `after`: when none
 *   matches (an append that may go ahead), the walk went to the table's end;
 * - the head position read (where `decide` and live readers start) took `max(global_position)`
 *   of the instance: a walk back from the table's end;
 * - retention pruning by count read the oldest expired events in position order: a walk from the
 *   table's start, to its end when few were expired.
 * A live stream reader's page (kept in the plan cache) is checked too: it seeks the stream.
 *
 * These tests build that table in a schema of their own (two instances: the quiet one's event
 * first, then the busy one's 3,000, all of one type) and run each read as PostgreSQL runs it.
 */

import { buildStoreStatements, conditionProbe, createQueryCompiler } from '@eventlog/sql';
import {
  appendRequest,
  describePostgres,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import { functionProbe } from './append-writer.js';
import type { PostgresAdapter } from './index.js';
import { POSTGRES_DIALECT, postgresEventLayout, postgresStoreLayout } from './postgres-layout.js';
import { buildStatements } from './statements.js';
import { testAdapter } from './test/pg-env.js';

describePostgres('postgres reads of a quiet instance', () => {
  const pg = usePostgres();
  const { schema } = pg;
  let adapter: PostgresAdapter;
  let quiet: { id: string; head: number };
  let prepared = 0;

  beforeAll(async () => {
    adapter = testAdapter(pg);
    await adapter.ready();
    const quietInstance = await freshInstance(adapter);
    const { events } = await adapter.append(appendRequest(quietInstance.id, [newEvent()]));
    quiet = { id: quietInstance.id, head: events[0]?.global_position as number };
    const busy = await freshInstance(adapter);
    for (let k = 0; k < 3; k++) {
      await adapter.append(
        appendRequest(
          busy.id,
          Array.from({ length: 1000 }, () => newEvent()),
        ),
      );
    }
    await pg.sql.unsafe(`analyze "${schema}".events`);
  });

  /**
   * `EXPLAIN ANALYZE` of `statement` prepared with `types` (inferred when none) and run with
   * `params` under a generic plan (as `append_events` runs its statements, and as a prepared
   * statement may after five runs), in the schema, with the append's instance setting at the quiet
   * instance; rolled back. Returns the plan and the most rows one of its filters removed.
   */
  async function generic(statement: string, types: string[], params: unknown[]) {
    let text = '';
    // Prepared statements outlive the transaction: a name of its own each time.
    const name = `quiet_plan_${++prepared}`;
    await pg.sql
      .begin(async (tx) => {
        await tx.unsafe(`set local search_path = "${schema}"`);
        await tx.unsafe('set local plan_cache_mode = force_generic_plan');
        await tx.unsafe(`select set_config('eventlog.append_instance', $1, true)`, [quiet.id]);
        const typed = types.length === 0 ? '' : `(${types.join(', ')})`;
        await tx.unsafe(`prepare ${name}${typed} as ${statement}`);
        // Its values as literals (format's %L), so the plan is the prepared one.
        const [call] = await tx.unsafe<Array<{ q: string }>>(
          params.length === 0
            ? `select 'explain (analyze, costs off) execute ${name}' as q`
            : `select format('explain (analyze, costs off) execute ${name}(${params.map(() => '%L').join(', ')})', ${params.map((_, k) => `$${k + 1}::text`).join(', ')}) as q`,
          params.map(String) as never[],
        );
        const rows = await tx.unsafe<Array<{ 'QUERY PLAN': string }>>(call?.q as string);
        text = rows.map((r) => r['QUERY PLAN']).join('\n');
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    const removed = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1]));
    return { text, removed: Math.max(0, ...removed) };
  }

  it('given append_events, then its head read of a quiet instance is one index step, not a walk past a busy instance’s events', async () => {
    const [fn] = await pg.sql.unsafe<Array<{ src: string }>>(
      `SELECT p.prosrc AS src FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1 AND p.proname = 'append_events' AND p.pronargs = 13`,
      [schema],
    );
    // The statement as the function holds it, its variable a parameter (as plpgsql passes it).
    const read = /v_previous := (coalesce\(\(SELECT[\s\S]*?\), 0\));/.exec(fn?.src ?? '')?.[1];
    expect(read).toBeDefined();
    const statement = `SELECT ${(read as string).replace(/\bv_id\b/g, '$1')} AS previous`;
    const { text, removed } = await generic(statement, ['text'], [quiet.id]);
    expect(text).toMatch(/Limit[\s\S]*Index Only Scan Backward using events_instance_position_idx/);
    expect(removed).toBeLessThanOrEqual(1);
    // And it reads the right position.
    const [row] = await pg.sql.unsafe(statement.replace(/\bevents\b/, `"${schema}".events`), [quiet.id]);
    expect(Number(row?.previous)).toBe(quiet.head);
  });

  it('given the general and the pipelined append paths, then their head reads of a quiet instance are one index step too', async () => {
    const S = buildStatements(schema);
    const locked = await generic(S.lockedHead, [], []);
    expect(locked.text).toMatch(/Index Only Scan Backward using events_instance_position_idx/);
    expect(locked.removed).toBeLessThanOrEqual(1);
    // No events: the insert writes nothing (and the transaction is rolled back anyway), so the
    // head CTE is planned but not run; its plan is what decides.
    const pipelined = await generic(
      S.appendUnconditional,
      ['text', 'jsonb', 'text', 'text', 'text[]'],
      [quiet.id, '[]', 's', '2024-01-01T00:00:00.000Z', '{s}'],
    );
    const head = /CTE head[\s\S]*?(?=\n\s*CTE |$)/.exec(pipelined.text)?.[0] ?? '';
    expect(head).toMatch(/Index Only Scan Backward using events_instance_position_idx/);
    expect(head).not.toMatch(/events_pkey/);
  });

  it('given a condition item of types only, then its probe of a quiet instance seeks the (instance, type, position) index, in append_events and in the general path', async () => {
    // No event of the quiet instance matches: the append may go ahead, and a walk would not stop.
    const condition = { items: [{ types: ['Shipped'] }], after: 0 };
    const inFunction = functionProbe(
      { dialect: POSTGRES_DIALECT, layout: postgresEventLayout(schema) },
      condition,
    );
    const fn = await generic(
      inFunction.sql,
      ['text', 'text[]', 'bigint[]'],
      [quiet.id, `{${inFunction.texts.join(',')}}`, `{${inFunction.numbers.join(',')}}`],
    );
    expect(fn.text).toMatch(/Index Only Scan using events_instance_type_idx/);
    expect(fn.removed).toBeLessThanOrEqual(1);
    const general = conditionProbe(
      POSTGRES_DIALECT,
      postgresEventLayout(schema),
      condition,
      () => "current_setting('eventlog.append_instance')",
    );
    const path = await generic(general.sql, [], [...general.params]);
    expect(path.text).toMatch(/Index Only Scan using events_instance_type_idx/);
    expect(path.removed).toBeLessThanOrEqual(1);
  });

  it('given the head position read (where decide and live readers start), then for a quiet instance it is one index step, not a walk past a busy instance’s events', async () => {
    // Sent as a prepared statement on the pool (SqlDriver.run): after five runs PostgreSQL may
    // run its generic plan, which cannot see the instance.
    const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
    const { head } = compiler.compileHeadPosition(quiet.id).statements;
    const statement = head as NonNullable<typeof head>;
    const { text, removed } = await generic(statement.sql, [], [...statement.params]);
    expect(text).toMatch(/Index Only Scan Backward using events_instance_position_idx/);
    expect(removed).toBeLessThanOrEqual(1);
    expect(await adapter.headPosition(quiet.id)).toBe(quiet.head);
  });

  it('given a live stream reader’s page of a quiet instance (kept in the plan cache), then it seeks the stream, not a walk past a busy instance’s events', async () => {
    const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
    // After the stream's only event: nothing to read, so a walk would go to the table's end.
    const { statement } = compiler.compileReadAfter(quiet.id, {
      stream: 's1',
      after: quiet.head,
      limit: 100,
    });
    expect(statement.planStable).toBe(true);
    const { text, removed } = await generic(statement.sql, [], [...statement.params]);
    expect(text).not.toMatch(/events_pkey/);
    expect(removed).toBeLessThanOrEqual(1);
  });

  it('given retention pruning of a quiet instance, then its reads of expired events seek the instance’s part of an index, not a walk past a busy instance’s events', async () => {
    const S = buildStoreStatements(POSTGRES_DIALECT, postgresStoreLayout(schema));
    // By count: none of the quiet instance's events has a newer one in its stream, so nothing is
    // expired, and a walk in position order would go to the table's end.
    const byCount = S.expiredByCount(quiet.id, 1, 100);
    const count = await generic(byCount.sql, [], [...byCount.params]);
    expect(count.text).not.toMatch(/events_pkey/);
    expect(count.removed).toBeLessThanOrEqual(1);
    const byAge = S.expiredByAge(quiet.id, '2000-01-01T00:00:00.000Z', 100);
    const age = await generic(byAge.sql, [], [...byAge.params]);
    expect(age.text).not.toMatch(/events_pkey/);
    expect(age.removed).toBeLessThanOrEqual(1);
  });
});

/** Thrown to roll a transaction back once its plans are read. */
class RolledBack extends Error {}
