/**
 * How queries run (see postgres-query-runner.ts): every program in one read-only snapshot with
 * custom plans, the instance's row (its retention rules: the guard) sent ahead with the first
 * statements, and a count the page makes unnecessary never sent.
 */

import {
  type BoundaryDecider,
  createEventLog,
  DEFAULT_LIMITS,
  decide,
  parseQuery,
  readStream,
  SNAPSHOT_NAMESPACE,
} from '@eventlog/core';
import {
  appendRequest,
  describePostgres,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { recordStatements, testAdapter } from './test/pg-env.js';

function kinds(statements: string[]): string[] {
  return statements.map((s) => {
    if (s.startsWith('begin isolation level repeatable read read only')) return 'begin';
    if (s.startsWith('set local plan_cache_mode = force_custom_plan')) return 'custom-plans';
    if (s.startsWith('SELECT "id" AS key,')) return 'guard';
    if (s.startsWith('SELECT a.value, a.version,')) return 'anchor';
    if (s.startsWith('SELECT count(*) AS n, ') && s.includes(' AS c FROM')) return 'collect-check';
    if (s.startsWith('SELECT count(*) AS n FROM') || s.startsWith('SELECT coalesce(sum("n"), 0) AS n FROM'))
      return 'count';
    if (s.startsWith('SELECT count(*) AS n')) return 'aggregate';
    if (s.startsWith('SELECT')) return 'page';
    if (s === '(reply)') return s;
    return s.split(' ')[0] as string;
  });
}

/** The statements that find an instance by a reference (id or name): resolutions and guards by name. */
function byReference(statements: string[]): string[] {
  return statements.filter((s) => s.includes(' OR name = '));
}

describePostgres('postgres query runner', () => {
  const pg = usePostgres();
  let adapter: PostgresAdapter;
  let instanceId: string;
  let name: string;
  /** The stream the 25 events went to. */
  let stream: string;

  beforeAll(async () => {
    adapter = testAdapter(pg);
    const instance = await freshInstance(adapter);
    instanceId = instance.id;
    name = instance.name;
    const events = Array.from({ length: 25 }, (_, i) =>
      newEvent({ eventType: i % 5 === 0 ? 'Rare' : 'Common', payload: { n: i } }),
    );
    await adapter.append(appendRequest(instanceId, events));
    stream = (await adapter.readAfter({ instanceId, after: 0, limit: 1 }))[0]?.stream_id as string;
  });

  async function run(query: Record<string, unknown>, replies = false) {
    const recorder = recordStatements(adapter, { replies });
    try {
      const result = await adapter.query(
        instanceId,
        parseQuery({ from: { instance: instanceId }, ...query }),
        DEFAULT_LIMITS,
      );
      return { result, sent: kinds(recorder.statements) };
    } finally {
      recorder.stop();
    }
  }

  it('given a short page, when queried, then the total comes from the page, and page and commit take one round trip', async () => {
    const { result, sent } = await run(
      { where: [{ field: 'event_type', operator: 'eq', value: 'Rare' }], limit: 100 },
      true,
    );
    expect(result.events).toHaveLength(5);
    expect(result.total).toBe(5);
    expect(sent).toEqual([
      'begin',
      'custom-plans',
      'guard',
      'page',
      'commit',
      '(reply)',
      '(reply)',
      '(reply)',
      '(reply)',
      '(reply)',
    ]);
  });

  it('given a short page after an offset, when queried, then no count is sent either', async () => {
    const { result, sent } = await run({
      where: [{ field: 'payload.n', operator: 'gte', value: 0 }],
      limit: 10,
      offset: 20,
    });
    expect(result.events).toHaveLength(5);
    expect(result.total).toBe(25);
    expect(sent).toEqual(['begin', 'custom-plans', 'guard', 'page', 'commit']);
  });

  it('given a full page the first time, when queried, then it runs again with its count in a new snapshot; the next time the count goes along at once', async () => {
    const query = { where: [{ field: 'event_type', operator: 'eq', value: 'Common' }], limit: 7 };
    const cold = await run(query);
    expect(cold.result.events).toHaveLength(7);
    expect(cold.result.total).toBe(20);
    expect(cold.sent).toEqual([
      ...['begin', 'custom-plans', 'guard', 'page', 'commit'],
      ...['begin', 'custom-plans', 'guard', 'page', 'count', 'commit'],
    ]);
    const warm = await run(query, true);
    expect(warm.result).toEqual(cold.result);
    expect(warm.sent.slice(0, 7)).toEqual([
      'begin',
      'custom-plans',
      'guard',
      'page',
      'count',
      'commit',
      '(reply)',
    ]);
    expect(warm.sent.filter((k) => k !== '(reply)')).toHaveLength(6);
    // The prediction follows the data: a short page of the same statement sends its count once
    // more, needlessly, and not the next time.
    const short = await run({ ...query, offset: 18 });
    expect(short.result.total).toBe(20);
    expect(short.sent).toEqual(['begin', 'custom-plans', 'guard', 'page', 'count', 'commit']);
    const next = await run({ ...query, offset: 18 });
    expect(next.sent).toEqual(['begin', 'custom-plans', 'guard', 'page', 'commit']);
  });

  it('given an empty page past the end, when queried, then the count tells the total', async () => {
    const { result, sent } = await run({
      where: [{ field: 'payload.n', operator: 'lt', value: 100 }],
      limit: 10,
      offset: 40,
    });
    expect(result.events).toEqual([]);
    expect(result.total).toBe(25);
    expect(sent.slice(-6)).toEqual(['begin', 'custom-plans', 'guard', 'page', 'count', 'commit']);
  });

  it('given limit 0 or a reduce, when queried, then the one statement and the commit go in the first round trip', async () => {
    const counted = await run({ limit: 0 });
    expect(counted.result.total).toBe(25);
    expect(counted.sent).toEqual(['begin', 'custom-plans', 'guard', 'count', 'commit']);
    const summed = await run({ reduce: { type: 'sum', field: 'payload.n' } });
    expect(summed.result.aggregation?.value).toBe(300);
    expect(summed.sent).toEqual(['begin', 'custom-plans', 'guard', 'aggregate', 'commit']);
  });

  it('given collect, when queried, then its budget check runs before the aggregate, in one transaction', async () => {
    const { result, sent } = await run({ reduce: { type: 'collect', field: 'payload.n' } });
    expect(result.aggregation?.value).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(sent).toEqual(['begin', 'custom-plans', 'guard', 'collect-check', 'aggregate', 'commit']);
  });

  /** A readAfter of the instance, its statements classified. */
  async function readAfter(request: { stream?: string; where?: Record<string, unknown>[] }) {
    const recorder = recordStatements(adapter);
    try {
      const where =
        request.where === undefined
          ? undefined
          : parseQuery({ from: { instance: instanceId }, where: request.where }).where;
      const events = await adapter.readAfter({
        instanceId,
        after: 0,
        limit: 100,
        ...(request.stream === undefined ? {} : { stream: request.stream }),
        ...(where === undefined ? {} : { where }),
      });
      return { events, sent: kinds(recorder.statements) };
    } finally {
      recorder.stop();
    }
  }

  it('given a page of one stream bounded by sequence numbers, when read, then it keeps the plan cache (no custom plans), in one snapshot', async () => {
    const bounded = await readAfter({
      stream,
      where: [{ field: 'sequence_number', operator: 'gte', value: 3 }],
    });
    expect(bounded.events.map((e) => e.sequence_number)).toEqual(Array.from({ length: 23 }, (_, i) => i + 3));
    expect(bounded.sent).toEqual(['begin', 'guard', 'page', 'commit']);
    const whole = await readAfter({ stream });
    expect(whole.events).toHaveLength(25);
    expect(whole.sent).toEqual(['begin', 'guard', 'page', 'commit']);
  });

  it('given a read whose plan depends on its values (a filter on a type, or no stream), when read, then it forces custom plans', async () => {
    const filtered = await readAfter({
      stream,
      where: [{ field: 'event_type', operator: 'eq', value: 'Rare' }],
    });
    expect(filtered.events).toHaveLength(5);
    expect(filtered.sent).toEqual(['begin', 'custom-plans', 'guard', 'page', 'commit']);
    const all = await readAfter({});
    expect(all.events).toHaveLength(25);
    expect(all.sent).toEqual(['begin', 'custom-plans', 'guard', 'page', 'commit']);
  });

  it('given a stream start (instance, snapshot entry, page from its version), when loaded, then all of it goes in one round trip, in one snapshot, keeping the plan cache', async () => {
    await adapter.kv.put(SNAPSHOT_NAMESPACE, 'runner-start', { version: 20 });
    const recorder = recordStatements(adapter, { replies: true });
    try {
      const loaded = await adapter.loadStream({
        ref: instanceId,
        stream,
        anchor: { namespace: SNAPSHOT_NAMESPACE, key: 'runner-start' },
        limit: 100,
      });
      expect(loaded.instance?.id).toBe(instanceId);
      expect(loaded.from).toBe(20);
      expect(loaded.events.map((e) => e.sequence_number)).toEqual([20, 21, 22, 23, 24, 25]);
      expect(kinds(recorder.statements)).toEqual([
        ...['begin', 'guard', 'anchor', 'page', 'commit'],
        ...['(reply)', '(reply)', '(reply)', '(reply)', '(reply)'],
      ]);
    } finally {
      recorder.stop();
    }
  });

  it("given a stream read forward by the instance's name, then the first page and the instance go in one round trip, and the next pages by id", async () => {
    const log = createEventLog({ adapter });
    const recorder = recordStatements(adapter);
    try {
      const one = await readStream(log, { instance: name, streamId: stream });
      expect(one.events).toHaveLength(25);
      expect(kinds(recorder.statements)).toEqual(['begin', 'guard', 'page', 'commit']);
      recorder.statements.length = 0;
      const paged = await readStream(log, { instance: name, streamId: stream, pageSize: 10 });
      expect(paged.events.map((e) => e.sequence_number)).toEqual(one.events.map((e) => e.sequence_number));
      // Three pages: the first with the instance by name, the next two by its id (no resolution).
      expect(kinds(recorder.statements)).toEqual([
        ...['begin', 'guard', 'page', 'commit'],
        ...['begin', 'guard', 'page', 'commit'],
        ...['begin', 'guard', 'page', 'commit'],
      ]);
    } finally {
      recorder.stop();
    }
  });

  it("given a decision by the instance's name over two tags, then the name is resolved once, not once per read", async () => {
    const instance = await freshInstance(adapter);
    const log = createEventLog({ adapter });
    const appended = await log.appendEvents({
      instanceId: instance.id,
      events: [
        { streamId: 'course-1', eventType: 'Booked', tags: ['course:1', 'student:a'] },
        { streamId: 'course-2', eventType: 'Booked', tags: ['course:2', 'student:b'] },
      ],
    });
    expect(appended.success).toBe(true);
    const booking: BoundaryDecider<{ seen: number }, { course: string; student: string }> = {
      boundary: (c) => [{ tags: [`course:${c.course}`] }, { tags: [`student:${c.student}`] }],
      initialState: () => ({ seen: 0 }),
      evolve: (state) => ({ seen: state.seen + 1 }),
      decide: (c) => ({
        streamId: `course-${c.course}`,
        eventType: 'Booked',
        tags: [`course:${c.course}`, `student:${c.student}`],
      }),
    };
    const recorder = recordStatements(adapter);
    try {
      const result = await decide(log, {
        instance: instance.name,
        decider: booking,
        command: { course: '1', student: 'b' },
      });
      expect(result.events).toHaveLength(1);
      expect(result.state.seen).toBe(3); // the two events read, then the one appended
      const resolutions = byReference(recorder.statements);
      expect(resolutions).toHaveLength(1);
    } finally {
      recorder.stop();
    }
  });

  it("given a stream read backward by the instance's name, then only the first page resolves the name; the next pages and the version go by id, and nothing counts the stream", async () => {
    const log = createEventLog({ adapter });
    const recorder = recordStatements(adapter);
    const resolutions = () => byReference(recorder.statements).length;
    try {
      const back = await readStream(log, {
        instance: name,
        streamId: stream,
        direction: 'backward',
        pageSize: 10,
      });
      expect(back.events.map((e) => e.sequence_number)).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
      // Three pages (each a query with its guard), the name resolved once, before the first.
      expect(kinds(recorder.statements).filter((k) => k === 'begin').length).toBeGreaterThanOrEqual(3);
      expect(resolutions()).toBe(1);
      // Two of the pages are full: a query would count the stream for its total; a page does not.
      expect(kinds(recorder.statements)).not.toContain('count');
      recorder.statements.length = 0;
      // Forward, stopped by maxCount: the stream's version is asked by the id of the events read.
      const forward = await readStream(log, { instance: name, streamId: stream, maxCount: 5 });
      expect(forward.currentVersion).toBe(25);
      expect(resolutions()).toBe(2); // the first page's guard and page, sent together by the name
      expect(kinds(recorder.statements)).not.toContain('count');
    } finally {
      recorder.stop();
    }
  });

  it("given a query by the instance's name resolved before, then the name's check goes with the query, in one round trip", async () => {
    const log = createEventLog({ adapter });
    const query = {
      from: { instance: name },
      where: [{ field: 'event_type', operator: 'eq' as const, value: 'Rare' }],
    };
    expect((await log.queryEvents(query)).success).toBe(true); // resolves the name
    const recorder = recordStatements(adapter);
    const byName = () => byReference(recorder.statements).length;
    try {
      const again = await log.queryEvents(query);
      expect(again.success && again.data.result.total).toBe(5);
      expect(kinds(recorder.statements)).toEqual(['begin', 'custom-plans', 'guard', 'page', 'commit']);
      expect(byName()).toBe(1); // the guard
      recorder.statements.length = 0;
      const stats = await log.getInstanceStats(name);
      expect(stats.success && stats.data.eventCount).toBe(25);
      expect(kinds(recorder.statements)).toEqual([
        'begin',
        'custom-plans',
        'guard',
        'page',
        'page',
        'commit',
      ]);
      expect(byName()).toBe(1);
    } finally {
      recorder.stop();
    }
  });
});
