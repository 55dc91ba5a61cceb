/**
 * Rollups (issue 10), for adapters with `capabilities.rollups`: a differential property test —
 * generated events, rollups defined before or after them, appends, stream deletions and
 * truncations, archive removals, retention and pruning, then generated `reduce` queries answered
 * with rollups and by the scan (a second log on the same adapter with `useRollups: false`), which
 * must agree (sums within the DSL's 1e-9 tolerance, everything else exactly) — and routing tests
 * (`explainQuery` says which queries a rollup answers).
 */

import {
  createEventLog,
  type EventLog,
  type NewEventInput,
  type Query,
  type RollupGroup,
  type RollupMeasure,
  type StorageAdapter,
} from '@eventlog/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compareResults, show } from './compare-results.js';
import { uniqueName } from './context.js';

/** Options of {@link describeRollups}. */
export interface RollupSuiteOptions {
  name: string;
  create: () => StorageAdapter | Promise<StorageAdapter>;
  teardown?: () => void | Promise<void>;
  /** Generated scenarios. Default 30. */
  numRuns?: number;
  seed?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events fall in the 4 days from here (a Monday), some exactly on boundaries. */
const BASE = Date.parse('2024-01-29T00:00:00.000Z');
/** The clock of both logs: 2 days after the last event. */
const NOW = BASE + 6 * DAY;

const TYPES = ['a', 'b', 'c'] as const;
const STREAMS = ['s1', 's2', 's3'] as const;

const arbTimestamp = fc.oneof(
  fc.integer({ min: 0, max: 4 * DAY - 1 }).map((ms) => BASE + ms),
  // On bucket boundaries, and one millisecond before them.
  fc
    .tuple(fc.integer({ min: 0, max: 4 * 24 - 1 }), fc.constantFrom(0, -1))
    .map(([h, d]) => BASE + h * HOUR + d),
);

const arbAmount = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -400, max: 400 }).map((n) => n / 4),
  fc.constant('12'),
  fc.constant(null),
  fc.constant(undefined),
);

const arbEvent: fc.Arbitrary<NewEventInput> = fc
  .record({
    streamId: fc.constantFrom(...STREAMS),
    eventType: fc.constantFrom(...TYPES),
    timestamp: arbTimestamp,
    amount: arbAmount,
    qty: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
  })
  .map(({ streamId, eventType, timestamp, amount, qty }) => {
    const payload: Record<string, unknown> = {};
    if (amount !== undefined) payload.amount = amount;
    if (qty !== undefined) payload.qty = qty;
    return { streamId, eventType, timestamp, payload } as NewEventInput;
  });

const arbGroups: fc.Arbitrary<RollupGroup[]> = fc
  .record({
    type: fc.boolean(),
    stream: fc.boolean(),
    interval: fc.option(fc.constantFrom('minute', 'hour', 'day' as const), { nil: undefined }),
  })
  .chain(({ type, stream, interval }) => {
    const groups: RollupGroup[] = [];
    if (type) groups.push('event_type');
    if (stream) groups.push('stream_id');
    if (interval !== undefined) groups.push({ field: 'timestamp', interval });
    return fc.shuffledSubarray(groups, { minLength: groups.length, maxLength: groups.length });
  });

const arbMeasures: fc.Arbitrary<RollupMeasure[]> = fc.subarray([
  { type: 'sum', field: 'payload.amount' } as RollupMeasure,
  { type: 'sum', field: 'payload.qty' } as RollupMeasure,
]);

type Op =
  | { kind: 'append'; events: NewEventInput[] }
  | { kind: 'define'; index: number; groupBy: RollupGroup[]; measures: RollupMeasure[] }
  | { kind: 'drop'; index: number }
  | { kind: 'deleteStream'; streamId: string }
  | { kind: 'truncate'; streamId: string; before: number }
  | { kind: 'removeSome'; every: number }
  | { kind: 'retention'; maxAgeMs?: number; maxEventsPerStream?: number }
  | { kind: 'prune' }
  | { kind: 'noRetention' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(arbEvent, { minLength: 1, maxLength: 12 })
      .map((events) => ({ kind: 'append' as const, events })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ index: fc.integer({ min: 0, max: 2 }), groupBy: arbGroups, measures: arbMeasures })
      .map((r) => ({ kind: 'define' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }).map((index) => ({ kind: 'drop' as const, index })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...STREAMS).map((streamId) => ({ kind: 'deleteStream' as const, streamId })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ streamId: fc.constantFrom(...STREAMS), before: fc.integer({ min: 1, max: 12 }) })
      .map((r) => ({ kind: 'truncate' as const, ...r })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 2, max: 4 }).map((every) => ({ kind: 'removeSome' as const, every })),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer({ min: 1, max: 5 }).map((d) => ({ kind: 'retention' as const, maxAgeMs: d * DAY })),
      fc.integer({ min: 1, max: 4 }).map((n) => ({ kind: 'retention' as const, maxEventsPerStream: n })),
    ),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'prune' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'noRetention' as const }) },
);

const iso = (ms: number) => new Date(ms).toISOString();

/** A time bound: on an hour or day boundary (served by hour/minute rollups), or anywhere. */
const arbBound = fc.oneof(
  fc.integer({ min: -1, max: 5 }).map((d) => BASE + d * DAY),
  fc.integer({ min: 0, max: 4 * 24 }).map((h) => BASE + h * HOUR),
  fc.integer({ min: 0, max: 4 * DAY }).map((ms) => BASE + ms),
);

const arbCondition = fc.oneof(
  fc.constantFrom(...TYPES).map((value) => ({ field: 'event_type', operator: 'eq', value })),
  fc.subarray([...TYPES], { minLength: 1 }).map((value) => ({ field: 'event_type', operator: 'in', value })),
  fc.constantFrom(...TYPES).map((value) => ({ field: 'eventType', operator: 'neq', value })),
  fc.constantFrom(...STREAMS).map((value) => ({ field: 'stream_id', operator: 'eq', value })),
  fc.tuple(fc.constantFrom('gte', 'lt'), arbBound).map(([operator, ms]) => ({
    field: 'timestamp',
    operator,
    value: iso(ms),
  })),
  fc.tuple(fc.constantFrom('gt', 'lte'), arbBound).map(([operator, ms]) => ({
    field: 'timestamp',
    operator,
    value: ms - 1,
  })),
  fc.tuple(arbBound, arbBound).map(([a, b]) => ({
    field: 'timestamp',
    operator: 'between',
    value: [iso(Math.min(a, b)), iso(Math.max(a, b) - 1)],
  })),
  fc.constantFrom(...TYPES).map((value) => ({ not: { field: 'event_type', operator: 'eq', value } })),
  // Not coverable: fields no rollup keeps.
  fc.constant({ field: 'payload.qty', operator: 'gt', value: 3 }),
);

const arbQuery = (instance: string): fc.Arbitrary<Query> =>
  fc
    .record({
      type: fc.constantFrom('count', 'count', 'sum', 'avg', 'min'),
      field: fc.constantFrom('payload.amount', 'payload.qty'),
      groupBy: fc.subarray(['event_type', 'stream_id', 'timestamp'] as const, { maxLength: 2 }),
      interval: fc.constantFrom('minute', 'hour', 'day', 'week', 'month'),
      where: fc.array(arbCondition, { maxLength: 2 }),
      stream: fc.option(fc.constantFrom(...STREAMS), { nil: undefined, freq: 8 }),
    })
    .map(({ type, field, groupBy, interval, where, stream }) => {
      const reduce: Record<string, unknown> = { type };
      if (type !== 'count') reduce.field = field;
      if (groupBy.length > 0) {
        reduce.groupBy = groupBy.map((g) => (g === 'timestamp' ? { field: 'timestamp', interval } : g));
      }
      const from: Record<string, string> = { instance };
      if (stream !== undefined) from.stream = stream;
      const q: Record<string, unknown> = { from, reduce };
      if (where.length > 0) q.where = where;
      return q as unknown as Query;
    });

const RANK = { minute: 0, hour: 1, day: 2, week: 3, month: 4 } as const;

/** Queries a rollup covers by construction (so a good share of the comparisons use it). */
const arbCoveredQuery = (
  instance: string,
  groups: readonly RollupGroup[],
  measures: readonly RollupMeasure[],
): fc.Arbitrary<Query> => {
  const bucket = groups.find((g) => typeof g !== 'string');
  const sums = measures.flatMap((m) => (m.type === 'sum' ? [m.field] : []));
  const conditions = [
    ...(groups.includes('event_type')
      ? [fc.constantFrom(...TYPES).map((value) => ({ field: 'event_type', operator: 'neq', value }))]
      : []),
    ...(groups.includes('stream_id')
      ? [
          fc
            .subarray([...STREAMS], { minLength: 1 })
            .map((value) => ({ field: 'stream_id', operator: 'in', value })),
        ]
      : []),
    ...(bucket !== undefined
      ? [
          fc
            .tuple(fc.constantFrom('gte', 'lt'), fc.integer({ min: 0, max: 4 }))
            .map(([operator, d]) => ({ field: 'timestamp', operator, value: iso(BASE + d * DAY) })),
        ]
      : []),
  ];
  return fc
    .record({
      type: fc.constantFrom(...(sums.length > 0 ? ['count', 'sum', 'avg'] : ['count'])),
      field: fc.constantFrom(...(sums.length > 0 ? sums : ['payload.amount'])),
      groupBy: fc.subarray([...groups]),
      interval: fc.constantFrom(
        ...(['minute', 'hour', 'day', 'week', 'month'] as const).filter(
          (i) => bucket === undefined || typeof bucket === 'string' || RANK[i] >= RANK[bucket.interval],
        ),
      ),
      where: conditions.length === 0 ? fc.constant([]) : fc.array(fc.oneof(...conditions), { maxLength: 2 }),
    })
    .map(({ type, field, groupBy, interval, where }) => {
      const reduce: Record<string, unknown> = { type };
      if (type !== 'count') reduce.field = field;
      if (groupBy.length > 0) {
        reduce.groupBy = groupBy.map((g) => (typeof g === 'string' ? g : { field: 'timestamp', interval }));
      }
      const q: Record<string, unknown> = { from: { instance }, reduce };
      if (where.length > 0) q.where = where;
      return q as unknown as Query;
    });
};

function ok<D>(envelope: { success: boolean; data?: D; error?: string }, what: string): D {
  if (!envelope.success) throw new Error(`${what} failed: ${envelope.error}`);
  return envelope.data as D;
}

/**
 * Registers the rollup tests for an adapter. Two logs share it: one answers from rollups, the
 * other always scans.
 */
export function describeRollups(options: RollupSuiteOptions): void {
  describe(`rollups: ${options.name}`, () => {
    let adapter: StorageAdapter;
    let log: EventLog;
    let scan: EventLog;
    beforeAll(async () => {
      adapter = await options.create();
      log = createEventLog({ adapter, now: () => NOW });
      scan = createEventLog({ adapter, now: () => NOW, useRollups: false });
    });
    afterAll(async () => {
      await log?.close();
      await options.teardown?.();
    });

    test('answers covered queries from the rollup, exactly as the scan', async () => {
      let routed = 0;
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(arbOp, { minLength: 2, maxLength: 12 }),
          // Every scenario defines a rollup, before, between or after its other operations.
          fc.record({ index: fc.constant(0), groupBy: arbGroups, measures: arbMeasures }),
          fc.nat(),
          fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 12, maxLength: 12 }),
          async (generated, first, at, seeds) => {
            const ops = [...generated];
            ops.splice(at % (ops.length + 1), 0, { kind: 'define', ...first });
            const name = uniqueName('rollups');
            ok(await log.createInstance(name), 'createInstance');
            const defined = new Map<number, string>();
            const queries = [
              ...fc.sample(arbQuery(name), { numRuns: seeds.length / 2, seed: seeds[0] as number }),
              ...fc.sample(arbCoveredQuery(name, first.groupBy, first.measures), {
                numRuns: seeds.length / 2,
                seed: seeds[1] as number,
              }),
            ];
            const check = async () => {
              for (const query of queries) {
                const plan = await log.store.explainQuery(query);
                const fromRollup = await log.queryEvents(query);
                const scanned = await scan.queryEvents(query);
                expect(fromRollup.success).toBe(scanned.success);
                if (!scanned.success || !fromRollup.success) continue;
                compared++;
                if (plan.rollup !== null) routed++;
                const diffs = compareResults(scanned.data.result, fromRollup.data.result);
                if (diffs.length > 0) {
                  const rollups = ok(await log.listRollups({ instanceId: name }), 'listRollups');
                  throw new Error(
                    `rollup ${plan.rollup} differs from the scan for ${show(query)}:\n${diffs.join('\n')}\nrollups: ${show(rollups.rollups)}`,
                  );
                }
                // Beyond the tolerance: counts, totals, groups and their order are identical.
                if (scanned.data.result.aggregation?.type === 'count') {
                  expect(fromRollup.data.result).toEqual(scanned.data.result);
                }
              }
            };
            for (const op of ops) {
              switch (op.kind) {
                case 'append':
                  ok(await log.appendEvents({ instanceId: name, events: op.events }), 'appendEvents');
                  break;
                case 'define': {
                  const previous = defined.get(op.index);
                  if (previous !== undefined)
                    ok(await log.dropRollup({ instanceId: name, name: previous }), 'dropRollup');
                  const rollupName = `r${op.index}-${compared}`;
                  ok(
                    await log.defineRollup({
                      instanceId: name,
                      name: rollupName,
                      groupBy: op.groupBy,
                      measures: op.measures,
                    }),
                    'defineRollup',
                  );
                  defined.set(op.index, rollupName);
                  break;
                }
                case 'drop': {
                  const previous = defined.get(op.index);
                  if (previous !== undefined) {
                    expect(
                      ok(await log.dropRollup({ instanceId: name, name: previous }), 'dropRollup'),
                    ).toEqual({
                      dropped: true,
                    });
                    defined.delete(op.index);
                  }
                  break;
                }
                case 'deleteStream':
                  ok(await log.deleteStream({ instanceId: name, streamId: op.streamId }), 'deleteStream');
                  break;
                case 'truncate':
                  ok(
                    await log.truncateStream({ instanceId: name, streamId: op.streamId, before: op.before }),
                    'truncateStream',
                  );
                  break;
                case 'removeSome': {
                  if (adapter.removeEvents === undefined) break;
                  const { result } = ok(
                    await scan.queryEvents({ from: { instance: name }, limit: 1000 }),
                    'queryEvents',
                  );
                  const instanceId = ok(await log.getInstance(name), 'getInstance').instance.id;
                  const positions = (result.events ?? [])
                    .filter((_, i) => i % op.every === 0)
                    .map((e) => (e as { global_position: number }).global_position);
                  await adapter.removeEvents({ instanceId, positions });
                  break;
                }
                case 'retention':
                  ok(
                    await log.setRetention({
                      instanceId: name,
                      maxAgeMs: op.maxAgeMs ?? null,
                      maxEventsPerStream: op.maxEventsPerStream ?? null,
                    }),
                    'setRetention',
                  );
                  break;
                case 'prune':
                  ok(await log.pruneExpired({ instanceId: name }), 'pruneExpired');
                  break;
                case 'noRetention':
                  ok(
                    await log.setRetention({ instanceId: name, maxAgeMs: null, maxEventsPerStream: null }),
                    'setRetention',
                  );
                  break;
              }
            }
            await check();
            // Without retention every covered query is answered from the rollup: check it again.
            ok(
              await log.setRetention({ instanceId: name, maxAgeMs: null, maxEventsPerStream: null }),
              'setRetention',
            );
            await check();
            ok(await log.deleteInstance(name), 'deleteInstance');
          },
        ),
        { numRuns: options.numRuns ?? 30, seed: options.seed ?? 20_261_202, endOnFailure: true },
      );
      // The property proves something only if the rollups answered a good share of the queries.
      console.log(`rollups: ${routed} of ${compared} queries answered from a rollup`);
      expect(compared).toBeGreaterThan(100);
      expect(routed).toBeGreaterThan(compared / 4);
    }, 120_000);

    test('routes only what a rollup covers', async () => {
      const name = uniqueName('rollup-routing');
      ok(await log.createInstance(name), 'createInstance');
      const events: NewEventInput[] = [];
      for (let h = 0; h < 72; h++) {
        events.push({
          streamId: `s${h % 2}`,
          eventType: h % 3 === 0 ? 'order' : 'view',
          timestamp: BASE + h * HOUR + 1234,
          payload: { amount: h },
        });
      }
      ok(await log.appendEvents({ instanceId: name, events }), 'appendEvents');
      const hourly = ok(
        await log.defineRollup({
          instanceId: name,
          name: 'hourly',
          groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }],
          measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
        }),
        'defineRollup',
      ).rollup;
      expect(hourly).toMatchObject({
        name: 'hourly',
        measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
      });
      const from = { instance: name };
      const plan = async (q: Record<string, unknown>) =>
        (await log.store.explainQuery({ from, ...q } as unknown as Query)).rollup;
      const day = { field: 'timestamp', interval: 'day' };
      expect(await plan({ reduce: { type: 'count', groupBy: [day] } })).toBe('hourly');
      expect(
        await plan({ reduce: { type: 'sum', field: 'payload.amount', groupBy: ['event_type', day] } }),
      ).toBe('hourly');
      expect(await plan({ reduce: { type: 'avg', field: 'payload.amount' } })).toBe('hourly');
      expect(
        await plan({
          reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'week' }] },
          where: [
            { field: 'timestamp', operator: 'gte', value: '2024-01-29T00:00:00Z' },
            { field: 'timestamp', operator: 'lt', value: '2024-01-30T05:00:00+00:00' },
            { field: 'event_type', operator: 'in', value: ['order'] },
          ],
        }),
      ).toBe('hourly');
      // Not covered: minute buckets, unaligned bounds, other fields, other reductions, streams.
      expect(
        await plan({ reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'minute' }] } }),
      ).toBe(null);
      expect(
        await plan({
          reduce: { type: 'count' },
          where: [{ field: 'timestamp', operator: 'gte', value: '2024-01-29T00:30:00Z' }],
        }),
      ).toBe(null);
      expect(await plan({ reduce: { type: 'count', groupBy: ['stream_id'] } })).toBe(null);
      expect(await plan({ reduce: { type: 'max', field: 'payload.amount' } })).toBe(null);
      expect(await plan({ reduce: { type: 'count', field: 'payload.amount' } })).toBe(null);
      expect(await plan({ reduce: { type: 'sum', field: 'payload.qty' } })).toBe(null);
      expect(
        await plan({
          reduce: { type: 'count' },
          where: [{ field: 'payload.amount', operator: 'gt', value: 1 }],
        }),
      ).toBe(null);
      expect(await plan({ from: { instance: name, stream: 's0' }, reduce: { type: 'count' } })).toBe(null);
      expect(await plan({ limit: 5 })).toBe(null);
      // Retention hides events the rollup still counts: the scan answers.
      ok(await log.setRetention({ instanceId: name, maxAgeMs: 5 * DAY }), 'setRetention');
      expect(await plan({ reduce: { type: 'count' } })).toBe(null);
      ok(await log.setRetention({ instanceId: name, maxAgeMs: null }), 'setRetention');
      expect(await plan({ reduce: { type: 'count' } })).toBe('hourly');

      // The answer itself, against the scan.
      const q = { from, reduce: { type: 'count', groupBy: ['event_type', day] } } as unknown as Query;
      const a = ok(await log.queryEvents(q), 'queryEvents').result;
      expect(a).toEqual(ok(await scan.queryEvents(q), 'queryEvents').result);
      expect(a.total).toBe(72);

      // The coarsest covering rollup answers (fewest cells to read).
      ok(
        await log.defineRollup({
          instanceId: name,
          name: 'daily',
          groupBy: [{ field: 'timestamp', interval: 'day' }],
        }),
        'defineRollup',
      );
      expect(await plan({ reduce: { type: 'count', groupBy: [day] } })).toBe('daily');
      expect(
        await plan({ reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'hour' }] } }),
      ).toBe('hourly');
      expect(await plan({ reduce: { type: 'count', groupBy: ['event_type', day] } })).toBe('hourly');
      expect(await plan({ reduce: { type: 'sum', field: 'payload.amount', groupBy: [day] } })).toBe('hourly');
      const perDay = { from, reduce: { type: 'count', groupBy: [day] } } as unknown as Query;
      const daily = ok(await log.queryEvents(perDay), 'queryEvents').result;
      expect(daily).toEqual(ok(await scan.queryEvents(perDay), 'queryEvents').result);
      expect(daily.aggregation?.groups?.length).toBe(3);
      ok(await log.dropRollup({ instanceId: name, name: 'daily' }), 'dropRollup');

      // Names are unique per instance; dropping makes the scan answer again.
      const dup = await log.defineRollup({ instanceId: name, name: 'hourly', groupBy: [] });
      expect(dup.success).toBe(false);
      expect(dup.success ? undefined : dup.code).toBe('ALREADY_EXISTS');
      expect(
        ok(await log.listRollups({ instanceId: name }), 'listRollups').rollups.map((r) => r.name),
      ).toEqual(['hourly']);
      expect(ok(await log.dropRollup({ instanceId: name, name: 'hourly' }), 'dropRollup')).toEqual({
        dropped: true,
      });
      expect(ok(await log.dropRollup({ instanceId: name, name: 'hourly' }), 'dropRollup')).toEqual({
        dropped: false,
      });
      expect(await plan({ reduce: { type: 'count' } })).toBe(null);

      // A deleted instance takes its rollups along; a new one of the same name has none.
      ok(
        await log.defineRollup({
          instanceId: name,
          name: 'daily',
          groupBy: [{ field: 'timestamp', interval: 'day' }],
        }),
        'defineRollup',
      );
      ok(await log.deleteInstance(name), 'deleteInstance');
      ok(await log.createInstance(name), 'createInstance');
      expect(ok(await log.listRollups({ instanceId: name }), 'listRollups').rollups).toEqual([]);
      ok(await log.deleteInstance(name), 'deleteInstance');
    });

    test('validates definitions', async () => {
      const name = uniqueName('rollup-validation');
      ok(await log.createInstance(name), 'createInstance');
      const bad: unknown[] = [
        { instanceId: name, name: '', groupBy: [] },
        { instanceId: name, name: 'x', groupBy: ['payload.a'] },
        { instanceId: name, name: 'x', groupBy: [{ field: 'timestamp', interval: 'week' }] },
        { instanceId: name, name: 'x', groupBy: ['event_type', 'eventType'] },
        { instanceId: name, name: 'x', groupBy: [], measures: [{ type: 'max', field: 'payload.a' }] },
        { instanceId: name, name: 'x', groupBy: [], measures: [{ type: 'sum', field: 'stream_id' }] },
        { instanceId: name, name: 'x', groupBy: [], extra: 1 },
      ];
      for (const params of bad) {
        const res = await log.defineRollup(params as never);
        expect(res.success ? 'ok' : res.code, show(params)).toBe('VALIDATION_ERROR');
      }
      const missing = await log.defineRollup({ instanceId: uniqueName('nope'), name: 'x', groupBy: [] });
      expect(missing.success ? 'ok' : missing.code).toBe('NOT_FOUND');
      ok(await log.deleteInstance(name), 'deleteInstance');
    });
  });
}
