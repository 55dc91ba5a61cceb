import { DEFAULT_LIMITS, type Limits, resolveLimits } from '@eventlog/core';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import postgres from 'postgres';
import { beforeAll, expect, it } from 'vitest';
import { createQueryCompiler } from '../compiler/query-compiler.js';
import type { Row } from '../compiler/query-program.js';
import { INSTANCE_ID, makeEvents, QUERIES, randomQuery, rng, sameResult } from '../test/fixtures.js';
import { compareAsync } from '../test/oracle.js';
import { postgresDialect } from './postgres-dialect.js';

const RUNS = Number(process.env.EVENTLOG_FUZZ_RUNS ?? 600);
const SEED = Number(process.env.EVENTLOG_FUZZ_SEED ?? 21);

const events = makeEvents(400, 7);
const mine = events.filter((e) => e.instanceId === INSTANCE_ID);

describePostgres('Given the PostgreSQL dialect', (url) => {
  // Our own schema, so nothing else in the database is touched; dropped after the tests.
  const pg = usePostgres({ prefix: 'eventlog_sql_test' });
  const { schema } = pg;
  let sql: postgres.Sql;
  const compiler = createQueryCompiler(postgresDialect(), {
    layout: {
      table: [schema, 'events'],
      columns: {
        instance: 'instance_id',
        globalPosition: 'global_position',
        id: 'id',
        streamId: 'stream_id',
        sequenceNumber: 'sequence_number',
        eventType: 'event_type',
        timestamp: 'timestamp',
        payload: 'payload',
        metadata: 'metadata',
        eventId: 'event_id',
        tags: 'tags',
      },
      tagTable: {
        table: [schema, 'event_tags'],
        instance: 'instance_id',
        tag: 'tag',
        position: 'global_position',
      },
    },
  });
  const all = async (s: { sql: string; params: readonly unknown[] }) =>
    (await sql.unsafe(s.sql, s.params as postgres.ParameterOrJSON<never>[])) as unknown as Row[];
  const run = (compiled: ReturnType<typeof compiler.compileQuery>) => compiled.execute(all);

  beforeAll(async () => {
    // A plain client (not pg.sql): the decoders must cope with postgres.js's default types.
    const client = postgres(url, { max: 2, onnotice: () => {} });
    sql = client;
    pg.closeAfter({ close: () => client.end() });
    await sql.unsafe(`CREATE SCHEMA "${schema}"`);
    await sql.unsafe(`CREATE TABLE "${schema}".events (
      global_position bigint PRIMARY KEY, instance_id text NOT NULL, id text NOT NULL, stream_id text NOT NULL,
      sequence_number bigint NOT NULL, event_type text NOT NULL, timestamp text NOT NULL,
      payload jsonb NOT NULL, metadata jsonb NOT NULL, event_id text, tags jsonb)`);
    await sql.unsafe(`CREATE TABLE "${schema}".event_tags (instance_id text COLLATE "C" NOT NULL,
      tag text COLLATE "C" NOT NULL, global_position bigint NOT NULL, PRIMARY KEY (instance_id, tag, global_position))`);
    for (const e of events) {
      await sql.unsafe(
        `INSERT INTO "${schema}".events VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10, $11::text::jsonb)`,
        [
          e.global_position,
          e.instanceId,
          e.id,
          e.stream_id,
          e.sequence_number,
          e.event_type,
          e.timestamp,
          JSON.stringify(e.payload),
          JSON.stringify(e.metadata),
          e.eventId ?? null,
          e.tags === undefined ? null : JSON.stringify(e.tags),
        ],
      );
      for (const tag of e.tags ?? []) {
        await sql.unsafe(`INSERT INTO "${schema}".event_tags VALUES ($1, $2, $3)`, [
          e.instanceId,
          tag,
          e.global_position,
        ]);
      }
    }
  });

  it.each(QUERIES.map((q, i) => [i, q] as const))(
    'when hand-written query #%i runs, then it returns what the evaluator returns',
    async (_i, query) => {
      const c = await compareAsync(query, mine, compiler, DEFAULT_LIMITS, INSTANCE_ID, run);
      expect(c.skipped, 'the parser accepts the query').toBe(false);
      // Within SPEC's 1e-9 relative tolerance for sums and means; a real difference shows its diff.
      if (!sameResult(c.actual, c.expected)) expect(c.actual, c.sql).toEqual(c.expected);
    },
  );

  it.each([
    ['default limits', DEFAULT_LIMITS],
    ['tight group and collect limits', resolveLimits({ maxGroups: 12, maxCollectValues: 60 })],
  ] as Array<[string, Limits]>)(
    'when random queries run with %s, then each returns what the evaluator returns',
    async (_name, limits) => {
      const random = rng(SEED);
      let checked = 0;
      for (let i = 0; i < RUNS; i++) {
        const query = randomQuery(random);
        const c = await compareAsync(query, mine, compiler, limits, INSTANCE_ID, run);
        if (c.skipped) continue;
        checked++;
        if (!c.same) expect({ query, actual: c.actual }, c.sql).toEqual({ query, actual: c.expected });
      }
      expect(checked).toBeGreaterThan(RUNS / 2);
    },
    120_000,
  );

  it('when reading after a position with a filter, then it returns the matching events in position order', async () => {
    const read = compiler.compileReadAfter(INSTANCE_ID, {
      after: 10,
      stream: 's1',
      where: {
        kind: 'compare',
        op: 'neq',
        field: { kind: 'field', column: 'payload', path: ['a'], name: 'payload.a' },
        value: 1,
      },
      limit: 5,
    });
    const expected = mine
      .filter((e) => e.global_position > 10 && e.stream_id === 's1' && e.payload.a !== 1)
      .slice(0, 5);
    expect(read.decode(await all(read.statement))).toEqual(expected);
  });

  it('when computing stats and the head position, then they describe only the instance', async () => {
    const stats = await compiler.compileStats(INSTANCE_ID).execute(all);
    const types: Record<string, number> = {};
    for (const e of mine) types[e.event_type] = (types[e.event_type] ?? 0) + 1;
    const stamps = mine.map((e) => e.timestamp).sort();
    expect(stats).toEqual({
      eventCount: mine.length,
      streamCount: new Set(mine.map((e) => e.stream_id)).size,
      eventTypes: types,
      firstEventAt: stamps[0],
      lastEventAt: stamps.at(-1),
    });
    expect(await compiler.compileHeadPosition(INSTANCE_ID).execute(all)).toBe(mine.at(-1)?.global_position);
    expect(await compiler.compileHeadPosition('nobody').execute(all)).toBe(0);
  });
});
