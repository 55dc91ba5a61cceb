import { DEFAULT_LIMITS, type EventRecord, type Limits, resolveLimits } from '@eventlog/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueryCompiler } from '../compiler/query-compiler.js';
import { runProgramSync } from '../compiler/query-program.js';
import { INSTANCE_ID, makeEvents, QUERIES, randomQuery, rng, sameResult } from '../test/fixtures.js';
import { compareSync } from '../test/oracle.js';
import { canonicalJsonText, SQLITE_CANONICAL_JSON_FUNCTION, sqliteDialect } from './sqlite-dialect.js';

const events = makeEvents(400, 7);
/** Random queries per run; raise it (EVENTLOG_FUZZ_RUNS=20000) to search harder. */
const RUNS = Number(process.env.EVENTLOG_FUZZ_RUNS ?? 600);
const SEED = Number(process.env.EVENTLOG_FUZZ_SEED ?? 11);
const mine = events.filter((e) => e.instanceId === INSTANCE_ID);

function openDatabase(documents: 'text' | 'jsonb', rows: readonly EventRecord[]): Database.Database {
  const db = new Database(':memory:');
  db.function(SQLITE_CANONICAL_JSON_FUNCTION, { deterministic: true }, canonicalJsonText);
  db.exec(`CREATE TABLE events (
    global_position INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, id TEXT NOT NULL, stream_id TEXT NOT NULL,
    sequence_number INTEGER NOT NULL, event_type TEXT NOT NULL, timestamp TEXT NOT NULL,
    payload ${documents === 'jsonb' ? 'BLOB' : 'TEXT'} NOT NULL, metadata ${documents === 'jsonb' ? 'BLOB' : 'TEXT'} NOT NULL, event_id TEXT, tags TEXT)`);
  db.exec(`CREATE TABLE event_tags (instance_id TEXT NOT NULL, tag TEXT NOT NULL, global_position INTEGER NOT NULL,
    PRIMARY KEY (instance_id, tag, global_position)) WITHOUT ROWID`);
  const insertTag = db.prepare('INSERT INTO event_tags VALUES (?, ?, ?)');
  const doc = documents === 'jsonb' ? 'jsonb(?)' : '?';
  const insert = db.prepare(`INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ${doc}, ${doc}, ?, ?)`);
  db.transaction(() => {
    for (const e of rows) {
      insert.run(
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
      );
      for (const tag of e.tags ?? []) insertTag.run(e.instanceId, tag, e.global_position);
    }
  })();
  return db;
}

describe.each(['text', 'jsonb'] as const)('Given the SQLite dialect with %s documents', (documents) => {
  let db: Database.Database;
  const compiler = createQueryCompiler(
    sqliteDialect({ documents, canonicalJsonFunction: SQLITE_CANONICAL_JSON_FUNCTION }),
  );
  const run = (compiled: ReturnType<typeof compiler.compileQuery>) =>
    db.transaction(() =>
      compiled.executeSync((s) => db.prepare(s.sql).all(...s.params) as Record<string, unknown>[]),
    )();

  beforeAll(() => {
    db = openDatabase(documents, events);
  });
  afterAll(() => db.close());

  it.each(QUERIES.map((q, i) => [i, q] as const))(
    'when hand-written query #%i runs, then it returns what the evaluator returns',
    (_i, query) => {
      const c = compareSync(query, mine, compiler, DEFAULT_LIMITS, INSTANCE_ID, run);
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
    (_name, limits) => {
      const random = rng(SEED + (documents === 'text' ? 0 : 1));
      let checked = 0;
      for (let i = 0; i < RUNS; i++) {
        const query = randomQuery(random);
        const c = compareSync(query, mine, compiler, limits, INSTANCE_ID, run);
        if (c.skipped) continue;
        checked++;
        if (!c.same) {
          expect({ query, actual: c.actual }, c.sql).toEqual({ query, actual: c.expected });
        }
      }
      expect(checked).toBeGreaterThan(RUNS / 2);
    },
  );

  it('when reading after a position with a filter, then it returns the matching events in position order', () => {
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
    const rows = db.prepare(read.statement.sql).all(...read.statement.params) as Record<string, unknown>[];
    const expected = mine
      .filter((e) => e.global_position > 10 && e.stream_id === 's1' && e.payload.a !== 1)
      .slice(0, 5);
    expect(read.decode(rows)).toEqual(expected);
  });

  it('when computing stats and the head position, then they describe only the instance', () => {
    const stats = runProgramSync(
      compiler.compileStats(INSTANCE_ID).program(),
      (s) => db.prepare(s.sql).all(...s.params) as Record<string, unknown>[],
    );
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
    const head = compiler
      .compileHeadPosition(INSTANCE_ID)
      .executeSync((s) => db.prepare(s.sql).all(...s.params) as Record<string, unknown>[]);
    expect(head).toBe(mine.at(-1)?.global_position);
    const empty = compiler
      .compileHeadPosition('nobody')
      .executeSync((s) => db.prepare(s.sql).all(...s.params) as Record<string, unknown>[]);
    expect(empty).toBe(0);
  });
});
