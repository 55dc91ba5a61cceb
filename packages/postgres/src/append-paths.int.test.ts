/**
 * The append paths (see append-writer.ts): a lone call in one statement (`append_events`), groups
 * in one pipelined round trip when unconditional, the others through the general path; and the NOTIFY that goes out only while some process listens.
 */

import { randomUUID } from 'node:crypto';
import { type CommitSignal, DEFAULT_LIMITS, parseQuery, parseWhere } from '@eventlog/core';
import { conditionProbe, createQueryCompiler, type ReadAfterSpec } from '@eventlog/sql';
import {
  appendRequest,
  describePostgres,
  errorOf,
  expectVersion,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import { functionProbe } from './append-writer.js';
import type { PostgresAdapter } from './index.js';
import { POSTGRES_DIALECT, postgresEventLayout } from './postgres-layout.js';
import { buildStatements } from './statements.js';
import { recordStatements, statementKinds, testAdapter } from './test/pg-env.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describePostgres('postgres append paths', () => {
  const pg = usePostgres();
  const { schema } = pg;
  let adapter: PostgresAdapter;

  beforeAll(async () => {
    adapter = testAdapter(pg);
    await adapter.ready();
  });

  it('given a lone append with tags, an eventId and an exact expectedVersion, when it runs, then it is one statement and one round trip on the pool, outside an explicit transaction', async () => {
    const instance = await freshInstance(adapter);
    await adapter.append(appendRequest(instance.id, [newEvent()]));
    const recorder = recordStatements(adapter, { replies: true });
    try {
      const { events } = await adapter.append(
        appendRequest(instance.id, [newEvent({ eventId: `e-${randomUUID()}`, tags: ['t:1', 't:2'] })], {
          expectedVersion: expectVersion(1),
        }),
      );
      expect(events[0]).toMatchObject({ sequence_number: 2 });
      // One statement, then its reply: no begin, lock or commit of its own.
      expect(statementKinds(recorder.statements)).toEqual(['append-one', '(reply)']);
      const [tags] = await pg.sql.unsafe<Array<{ n: number }>>(
        `select count(*) as n from "${schema}".event_tags where global_position = $1`,
        [events[0]?.global_position as number],
      );
      expect(tags?.n).toBe(2);
    } finally {
      recorder.stop();
    }
  });

  it('given lone appends racing on one stream from two pools, then each is one statement that waits for the lock and reads the versions its predecessor committed (no fallback)', async () => {
    const instance = await freshInstance(adapter);
    const pools = [testAdapter(pg, { coalesce: false }), testAdapter(pg, { coalesce: false })];
    await Promise.all(pools.map((p) => p.ready()));
    const recorders = pools.map((p) => recordStatements(p));
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, k) =>
          (pools[k % 2] as PostgresAdapter).append(
            appendRequest(instance.id, [newEvent({ streamId: 'race' })]),
          ),
        ),
      );
      // A stale snapshot would have hit the stream's unique key and fallen back to the general path.
      expect(recorders.flatMap((r) => statementKinds(r.statements))).toEqual(Array(40).fill('append-one'));
      const records = outcomes.map(
        (o) => o.events[0] as { sequence_number: number; global_position: number },
      );
      const bySequence = [...records].sort((x, y) => x.sequence_number - y.sequence_number);
      expect(bySequence.map((r) => r.sequence_number)).toEqual(Array.from({ length: 40 }, (_, k) => k + 1));
      // Sequence order is position order: the lock serialized them.
      const positions = bySequence.map((r) => r.global_position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
    } finally {
      for (const r of recorders) r.stop();
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('given a group of unconditional appends, when it runs, then its transaction is one round trip and it numbers each stream on from its last sequence number', async () => {
    const instance = await freshInstance(adapter);
    await adapter.append(
      appendRequest(instance.id, [newEvent({ streamId: 'a' }), newEvent({ streamId: 'a' })]),
    );
    const recorder = recordStatements(adapter);
    try {
      const streams = ['a', 'b', 'a', 'c', 'b', 'a'];
      const events = streams.map((streamId, i) =>
        newEvent({
          streamId,
          metadata: i === 3 ? { m: 1 } : {},
          timestamp: `2024-01-0${1 + (i % 2)}T00:00:00.000Z`,
        }),
      );
      // Calls submitted together go in one group (a lone call takes the one-statement path; should
      // the first call run alone, the other two still make a group).
      const [, { events: records }] = await Promise.all([
        adapter.append(appendRequest(instance.id, [newEvent({ streamId: 'z' })])),
        adapter.append(
          appendRequest(instance.id, events, { expectedVersion: { check: { kind: 'any' }, raw: 'any' } }),
        ),
        adapter.append(appendRequest(instance.id, [newEvent({ streamId: 'y' })])),
      ]);
      expect(statementKinds(recorder.statements).slice(-4)).toEqual([
        'begin',
        'lock',
        'insert-unconditional',
        'commit',
      ]);
      expect(records.map((r) => [r.stream_id, r.sequence_number])).toEqual([
        ['a', 3],
        ['b', 1],
        ['a', 4],
        ['c', 1],
        ['b', 2],
        ['a', 5],
      ]);
      const positions = records.map((r) => r.global_position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      // What was stored is what was returned: streams, sequences, metadata, timestamps.
      const stored = await adapter.readAfter({ instanceId: instance.id, after: 0, limit: 100 });
      const ids = new Set(records.map((r) => r.id));
      expect(
        stored
          .filter((e) => ids.has(e.id))
          .map((e) => [e.id, e.stream_id, e.sequence_number, e.metadata, e.timestamp]),
      ).toEqual(records.map((r) => [r.id, r.stream_id, r.sequence_number, r.metadata, r.timestamp]));
    } finally {
      recorder.stop();
    }
  });

  it('given an instance named in the call by its name, when appended, then the one-statement path resolves it', async () => {
    const instance = await freshInstance(adapter);
    const recorder = recordStatements(adapter);
    try {
      const { events } = await adapter.append(appendRequest(instance.name, [newEvent()]));
      expect(events[0]?.instanceId).toBe(instance.id);
      expect(statementKinds(recorder.statements)).toEqual(['append-one']);
    } finally {
      recorder.stop();
    }
  });

  it('given one call with an exact expectedVersion, a condition or key-value writes, then it is one statement: the checks and the writes run inside append_events', async () => {
    const instance = await freshInstance(adapter);
    const recorder = recordStatements(adapter);
    try {
      await adapter.append(appendRequest(instance.id, [newEvent()], { expectedVersion: expectVersion(0) }));
      await adapter.append({
        ...appendRequest(instance.id, [newEvent({ tags: ['t:1'] })]),
        condition: { items: [{ tags: ['t:1'] }, { types: ['Other'] }], after: 1 },
        kvWrites: [{ namespace: 'snap', key: 'one-statement', value: { at: 2 } }],
      });
      await adapter.append({
        ...appendRequest(instance.id, [newEvent()]),
        kvWrites: [{ namespace: 'snap', key: 'one-statement', value: { at: 3 } }],
      });
      expect(statementKinds(recorder.statements)).toEqual(['append-one', 'append-one', 'append-one']);
    } finally {
      recorder.stop();
    }
    expect(await adapter.readAfter({ instanceId: instance.id, after: 0, limit: 10 })).toHaveLength(3);
    expect(await adapter.kv.get('snap', 'one-statement')).toMatchObject({ value: { at: 3 }, version: 2 });
  });

  it('given a failing check inside the one-round-trip insert, then it is the same CONFLICT as the general path gives, and nothing is written', async () => {
    const instance = await freshInstance(adapter);
    const { events } = await adapter.append(
      appendRequest(instance.id, [newEvent({ tags: ['t:1'] }), newEvent()]),
    );
    const tagged = events[0]?.global_position;
    const version = await errorOf(
      adapter.append(appendRequest(instance.id, [newEvent()], { expectedVersion: expectVersion(1) })),
    );
    expect(version).toMatchObject({
      code: 'CONFLICT',
      details: { streamId: 's1', expectedVersion: 1, actualVersion: 2 },
    });
    const condition = await errorOf(
      adapter.append({
        ...appendRequest(instance.id, [newEvent()]),
        condition: { items: [{ tags: ['t:1'] }], after: 0 },
        kvWrites: [{ namespace: 'snap', key: 'k', value: 1 }],
      }),
    );
    expect(condition).toMatchObject({
      code: 'CONFLICT',
      details: { condition: true, after: 0, position: tagged },
    });
    expect(await adapter.readAfter({ instanceId: instance.id, after: 0, limit: 10 })).toHaveLength(2);
    expect(await adapter.kv.get('snap', 'k')).toBeUndefined();
  });

  it('given a new eventId, when appended, then it is one statement; given a stored one, then the general path decides it (a duplicate)', async () => {
    const instance = await freshInstance(adapter);
    const recorder = recordStatements(adapter);
    try {
      const first = await adapter.append(appendRequest(instance.id, [newEvent({ eventId: 'e-1' })]));
      expect(statementKinds(recorder.statements)).toEqual(['append-one']);
      recorder.statements.length = 0;
      const again = await adapter.append(appendRequest(instance.id, [newEvent({ eventId: 'e-1' })]));
      expect(again).toMatchObject({ duplicate: true, events: [{ id: first.events[0]?.id }] });
      expect(statementKinds(recorder.statements)).toEqual([
        'append-one',
        'begin',
        'lock',
        'versions',
        'events-by-event-id',
        'head',
        'rollback',
      ]);
    } finally {
      recorder.stop();
    }
  });

  it('given autoCreateInstance for a missing instance, when appended, then the one-statement append writes nothing and the general path creates it', async () => {
    const ref = `auto-${randomUUID()}`;
    const recorder = recordStatements(adapter);
    try {
      const { events } = await adapter.append(appendRequest(ref, [newEvent()], { autoCreate: true }));
      expect(events[0]).toMatchObject({ instanceId: ref, sequence_number: 1 });
      const sent = statementKinds(recorder.statements);
      expect(sent[0]).toBe('append-one');
      expect(sent.slice(1)).toContain('create-instance');
      expect(await adapter.readAfter({ instanceId: ref, after: 0, limit: 10 })).toHaveLength(1);
    } finally {
      recorder.stop();
    }
  });

  it('given a missing instance without autoCreateInstance, when appended, then it is NOT_FOUND and nothing is written', async () => {
    const ref = `missing-${randomUUID()}`;
    await expect(adapter.append(appendRequest(ref, [newEvent()]))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const [row] = await pg.sql.unsafe<Array<{ n: number }>>(
      `select count(*) as n from "${schema}".events where instance_id = $1`,
      [ref],
    );
    expect(row?.n).toBe(0);
  });

  it('given nobody listens, when appends commit, then no NOTIFY goes out; once a process listens, they do', async () => {
    const channel = `eventlog_${schema}`;
    const heard: string[] = [];
    // A bare LISTEN, which does not register as a listener: it only overhears.
    const overhear = await pg.sql.listen(channel, (payload) => heard.push(payload));
    const instance = await freshInstance(adapter);
    try {
      await adapter.append(appendRequest(instance.id, [newEvent()]));
      await sleep(300);
      expect(heard).toEqual([]);

      const listening = testAdapter(pg);
      const signals: CommitSignal[] = [];
      const stop = listening.watch((s) => signals.push(s));
      try {
        // Registered: the listener announces itself with an `unknown` signal.
        await expect.poll(() => signals.some((s) => s.kind === 'unknown'), { timeout: 5000 }).toBe(true);
        const { events } = await adapter.append(appendRequest(instance.id, [newEvent()]));
        const position = events[0]?.global_position;
        await expect
          .poll(() => signals.some((s) => s.kind === 'append' && s.position === position), { timeout: 5000 })
          .toBe(true);
        expect(heard.map((h) => JSON.parse(h))).toContainEqual({ k: 'append', i: instance.id, p: position });
      } finally {
        stop();
        await listening.close();
      }
    } finally {
      await overhear.unlisten();
    }
  });

  it('given an append transaction that found nobody listening and is still open, when a process starts listening, then its registration waits for that commit, so its first read finds it', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let reached!: () => void;
    const inTransaction = new Promise<void>((r) => {
      reached = r;
    });
    const holding = testAdapter(pg, {
      hooks: {
        beforeAppendCommit: async () => {
          reached();
          await released;
        },
      },
    });
    const listening = testAdapter(pg);
    try {
      const instance = await freshInstance(holding);
      const appended = holding.append(appendRequest(instance.id, [newEvent()]));
      await inTransaction;

      const reads: number[][] = [];
      const stop = listening.watch((signal) => {
        if (signal.kind !== 'unknown') return;
        void listening
          .readAfter({ instanceId: instance.id, after: 0, limit: 10 })
          .then((page) => reads.push(page.map((e) => e.global_position)));
      });
      try {
        await sleep(400);
        expect(reads).toEqual([]);
        release();
        const { events } = await appended;
        await expect.poll(() => reads[0], { timeout: 5000 }).toEqual([events[0]?.global_position]);
      } finally {
        stop();
      }
    } finally {
      release();
      await Promise.all([holding.close(), listening.close()]);
    }
  });

  /** The plan of `statement`, with sequential and bitmap scans off, so only index choices remain. */
  async function plan(statement: string, params: unknown[]): Promise<string> {
    return pg.sql.begin(async (tx) => {
      await tx.unsafe('set local enable_seqscan = off');
      await tx.unsafe('set local enable_bitmapscan = off');
      await tx.unsafe(`select set_config('eventlog.append_instance', 'some-instance', true)`);
      const rows = await tx.unsafe<Array<{ 'QUERY PLAN': string }>>(
        `explain ${statement}`,
        params as never[],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it('given either append path, then reading the head is one backward index step, not a scan of the instance', async () => {
    // An O(events) head read once made every append slower as the instance grew.
    const S = buildStatements(schema);
    const general = await plan(S.lockedHead, []);
    expect(general).toMatch(/Limit[\s\S]*Index Only Scan Backward using events_instance_position_idx/);
    const unconditional = await plan(S.appendUnconditional, [
      'some-instance',
      '[]',
      's',
      '2024-01-01T00:00:00.000Z',
      ['s'],
    ]);
    expect(unconditional).toMatch(
      /CTE head[\s\S]*Limit[\s\S]*Index Only Scan Backward using events_instance_position_idx/,
    );
    // The head CTE's own plan (up to the next CTE): no aggregate over the instance.
    const head = /CTE head[\s\S]*?(?=\n\s*CTE |$)/.exec(unconditional)?.[0] ?? '';
    expect(head).toMatch(/Index Only Scan Backward using events_instance_position_idx/);
    expect(head).not.toMatch(/Aggregate/);
  });

  /** A fresh instance whose stream `long` holds 2000 events, and their positions in order. */
  async function longStream(): Promise<{ instanceId: string; positions: number[] }> {
    const instance = await freshInstance(adapter);
    for (let k = 0; k < 2; k++) {
      const events = Array.from({ length: 1000 }, () => newEvent({ streamId: 'long' }));
      await adapter.append(appendRequest(instance.id, events));
    }
    const page = await adapter.readAfter({ instanceId: instance.id, stream: 'long', after: 0, limit: 2000 });
    return { instanceId: instance.id, positions: page.map((e) => e.global_position) };
  }

  /** The `EXPLAIN ANALYZE` of a read of `long`, and the most rows one of its filters removed. */
  async function analyzeRead(instanceId: string, spec: Omit<ReadAfterSpec, 'stream'>) {
    const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
    const { statement } = compiler.compileReadAfter(instanceId, { ...spec, stream: 'long' });
    const rows = await pg.sql.unsafe<Array<{ 'QUERY PLAN': string }>>(
      `explain (analyze, costs off) ${statement.sql}`,
      [...statement.params] as never[],
    );
    const text = rows.map((r) => r['QUERY PLAN']).join('\n');
    const removed = [...text.matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1]));
    return { text, removed: Math.max(0, ...removed) };
  }

  it('given a read of one stream after a position, then it seeks to the tail: no walk from the stream’s first event', async () => {
    // A tail read (a live stream reader, a snapshot's anchor) once walked the whole stream: the
    // last 50 of 2000 events filtered 1950 rows out.
    const { instanceId, positions } = await longStream();
    const { text, removed } = await analyzeRead(instanceId, {
      after: positions[1949] as number,
      limit: 1000,
    });
    expect(text).toMatch(/actual time=[\d.]+\.\.[\d.]+ rows=50 loops=1/);
    expect(removed).toBeLessThanOrEqual(50);
    expect(text).toMatch(/Index Scan Backward using events_stream_sequence_key/);
  });

  it('given a stream reader catching up that bounds the sequence number it reached, then the read seeks there: no walk back from the stream’s end', async () => {
    // A catch-up from the start of a long stream, page by page, walked back over every later
    // event for each page (the tail subquery): 1950 rows filtered out for the second page of 2000.
    const { instanceId, positions } = await longStream();
    const where = parseWhere([{ field: 'sequence_number', operator: 'gt', value: 50 }]);
    const { text, removed } = await analyzeRead(instanceId, {
      after: positions[49] as number,
      where,
      limit: 100,
    });
    expect(text).toMatch(/actual time=[\d.]+\.\.[\d.]+ rows=100 loops=1/);
    expect(removed).toBeLessThanOrEqual(50);
    expect(text).not.toMatch(/Backward/);
  });

  it('given a query on tags contains, then the tag table key finds the events: no walk of the instance', async () => {
    // 3000 events, 10 of them tagged: with statistics, the planner starts from the tag table.
    const instance = await freshInstance(adapter);
    for (let k = 0; k < 3; k++) {
      const events = Array.from({ length: 1000 }, (_, i) =>
        newEvent({ streamId: `s${i % 10}`, ...(k === 0 && i < 10 ? { tags: ['course:c1'] } : {}) }),
      );
      await adapter.append(appendRequest(instance.id, events));
    }
    await pg.sql.unsafe(`analyze "${schema}".events, "${schema}".event_tags`);
    const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
    const query = parseQuery({
      from: { instance: instance.id },
      where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }],
      limit: 10,
    });
    const { page, count } = compiler.compileQuery(instance.id, query, DEFAULT_LIMITS).statements;
    for (const statement of [page, count]) {
      const text = await plan(statement?.sql as string, [...(statement?.params ?? [])]);
      expect(text).toMatch(/Index (Only )?Scan using event_tags_pkey/);
      // The events' indexes may only look up the tag rows' positions, never walk the instance.
      const lines = text.split('\n');
      lines.forEach((line, k) => {
        if (!/Index (Only )?Scan using events_instance_(position|type|timestamp)_idx/.test(line)) return;
        const cond = lines.slice(k + 1).find((l) => l.includes('Index Cond'));
        expect(cond).toMatch(/global_position = t\.global_position/);
      });
    }
  });

  it('given an append condition, then each item is an index range from `after` that stops at its first match', async () => {
    const probe = conditionProbe(
      POSTGRES_DIALECT,
      postgresEventLayout(schema),
      {
        items: [
          { types: ['StudentSubscribed'], tags: ['course:c1', 'student:s1'] },
          { types: ['CourseClosed'] },
        ],
        after: 1207,
      },
      () => "current_setting('eventlog.append_instance')",
    );
    const text = await plan(probe.sql, [...probe.params]);
    expect(text).toMatch(/Limit[\s\S]*Index (Only )?Scan using event_tags_pkey on event_tags t0/);
    expect(text).toMatch(/Limit[\s\S]*Index (Only )?Scan using events_instance_type_idx on events e/);
    expect(text).not.toMatch(/Seq Scan/);
    // The same probe as append_events runs it: prepared with typed parameters (id, texts, numbers)
    // and, like every statement of the function, with a generic plan (migration 0008).
    const inFunction = functionProbe(
      { dialect: POSTGRES_DIALECT, layout: postgresEventLayout(schema) },
      { items: [{ types: ['StudentSubscribed'], tags: ['course:c1', 'student:s1'] }], after: 1207 },
    );
    expect(inFunction.texts).toEqual(['course:c1', 'student:s1', 'StudentSubscribed']);
    expect(inFunction.numbers).toEqual([1207, 1207]);
    const functionPlan = await pg.sql.begin(async (tx) => {
      await tx.unsafe('set local enable_seqscan = off');
      await tx.unsafe('set local enable_bitmapscan = off');
      await tx.unsafe('set local plan_cache_mode = force_generic_plan');
      await tx.unsafe(`prepare probe_plan(text, text[], bigint[]) as ${inFunction.sql}`);
      try {
        // Its values as literals, as the function writes them (format's %L).
        const [call] = await tx.unsafe<Array<{ q: string }>>(
          `select format('explain execute probe_plan(%L, %L, %L)', 'some-instance', $1::text[], $2::bigint[]) as q`,
          [inFunction.texts, inFunction.numbers] as never[],
        );
        const rows = await tx.unsafe<Array<{ 'QUERY PLAN': string }>>(call?.q as string);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await tx.unsafe('deallocate probe_plan');
      }
    });
    expect(functionPlan).toMatch(/Limit[\s\S]*Index (Only )?Scan using event_tags_pkey on event_tags t0/);
    expect(functionPlan).toMatch(/Limit[\s\S]*Index (Only )?Scan using events_pkey on events e/);
    // Whichever tag the generic plan starts from, its scan is a range from `after`.
    expect(functionPlan).toMatch(/event_tags t1 [^\n]*\n\s+Index Cond: [^\n]*global_position (>|=) /);
    expect(functionPlan).not.toMatch(/Seq Scan/);
  });

  it('given statistics, then counts and streams come from the counters: no scan of the events, no walk of the streams', async () => {
    const compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(schema) });
    const { summary, types } = compiler.compileStats('some-instance').statements;
    const summaryPlan = await plan(summary?.sql as string, [...(summary?.params ?? [])]);
    expect(summaryPlan).not.toMatch(/Seq Scan|Index Only Scan using events_instance_type_idx/);
    expect(summaryPlan).toMatch(/instance_stream_counts_pkey on instance_stream_counts/);
    expect(summaryPlan).not.toMatch(/Recursive Union|events_stream_sequence_key/);
    const typesPlan = await plan(types?.sql as string, [...(types?.params ?? [])]);
    expect(typesPlan).toMatch(/event_type_counts/);
    expect(typesPlan).not.toMatch(/on events/);
  });

  it('given append_events, then it runs with generic plans: its statements are planned once per connection, not on every append', async () => {
    // Under the default plan_cache_mode the versions read was planned on every call (a generic
    // plan reckons unnest(p_streams) at 10 rows and never looks cheaper), about 40% of the
    // function's server time (migration 0007).
    const rows = await pg.sql.unsafe<Array<{ config: string[] | null }>>(
      `SELECT p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1 AND p.proname = 'append_events' AND p.pronargs = 13`,
      [schema],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.config).toContain('plan_cache_mode=force_generic_plan');
  });

  it('given conditional appends on one connection, then each condition shape is prepared once, any tag text round-trips, and at most 64 are kept', async () => {
    const one = testAdapter(pg, { max: 1 });
    const instance = await freshInstance(one);
    const probeNames = `SELECT name FROM pg_prepared_statements WHERE name LIKE 'eventlog\\_probe\\_%'`;
    const probes = async () => (await one.sql.unsafe(probeNames)).length;
    const odd = `it's {a,b} "quoted" \\ and, more`;
    const stored = await one.append(appendRequest(instance.id, [newEvent({ tags: [odd] })]));
    const position = stored.events[0]?.global_position as number;
    const conditional = (tags: string[], after: number) => ({
      ...appendRequest(instance.id, [newEvent()]),
      condition: { items: [{ tags }], after },
    });
    // The same shape with other values: one prepared probe, and the values still decide.
    await one.append(conditional(['other'], 0));
    await one.append(conditional(['more'], 0));
    expect(await probes()).toBe(1);
    expect(await errorOf(one.append(conditional([odd], 0)))).toMatchObject({
      code: 'CONFLICT',
      details: { position },
    });
    await one.append(conditional([odd], position));
    // Another shape (two tags): a second probe. Many shapes: never more than 64.
    await one.append(conditional(['a', 'b'], 0));
    expect(await probes()).toBe(2);
    for (let k = 3; k <= 70; k++) {
      await one.append({
        ...appendRequest(instance.id, [newEvent()]),
        condition: { items: Array.from({ length: k }, (_, i) => ({ types: [`T${i}`] })), after: 0 },
      });
      expect(await probes()).toBeLessThanOrEqual(64);
    }
    // Lost by the connection (DISCARD ALL, a pooler): prepared again.
    await one.sql.unsafe(
      `DO $$ DECLARE r record; BEGIN FOR r IN ${probeNames} LOOP EXECUTE format('DEALLOCATE %I', r.name); END LOOP; END $$`,
    );
    expect(await probes()).toBe(0);
    await one.append(conditional(['other'], 0));
    expect(await errorOf(one.append(conditional([odd], 0)))).toMatchObject({ code: 'CONFLICT' });
  });
});
