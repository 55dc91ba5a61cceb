/**
 * `reduce` (SPEC §4): every aggregation type with and without a field, `groupBy` on fields and
 * time buckets, missing keys grouped with null, group order, caps. Expected values come from the
 * table in `REDUCE_EVENTS`.
 */

import type { Aggregation, JsonValue, Query } from '@eventlog/core';
import { beforeAll, expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, useContext } from '../context.js';
import { type Fixture, REDUCE_EVENTS, seedFixture } from '../fixtures.js';

/** Registers the `reduce` group. */
export function registerReduceTests(holder: ContextHolder): void {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await seedFixture(useContext(holder), 'reduce', REDUCE_EVENTS);
  });

  const run = async (query: Omit<Query, 'from'>) => {
    const ctx = useContext(holder);
    const { result } = expectOk(
      await ctx.log.queryEvents({ from: { instance: fixture!.instance.id }, ...query }),
    );
    expect(result.events, 'a reduce result has no events').toBeUndefined();
    return result;
  };
  const value = async (reduce: Query['reduce'], extra: Omit<Query, 'from' | 'reduce'> = {}) =>
    (await run({ ...extra, reduce })).aggregation?.value;
  const groups = async (reduce: Query['reduce'], extra: Omit<Query, 'from' | 'reduce'> = {}) => {
    const aggregation = (await run({ ...extra, reduce })).aggregation as Aggregation;
    expect(aggregation.value, 'a grouped aggregation has groups, not a value').toBeUndefined();
    return aggregation.groups;
  };

  test('given count without a field, then it counts events and total matches', async () => {
    const result = await run({ reduce: { type: 'count' } });
    expect(result.aggregation).toEqual({ type: 'count', value: 7 });
    expect(result.total).toBe(7);
  });

  test('given count with a field, then it counts present, non-null values', async () => {
    const result = await run({ reduce: { type: 'count', field: 'payload.amount' } });
    expect(result.aggregation).toEqual({ type: 'count', field: 'payload.amount', value: 5 });
    expect(await value({ type: 'count', field: 'payload.cat' })).toBe(5);
    expect(await value({ type: 'count', field: 'payload.nope' })).toBe(0);
  });

  test('given sum and avg, then only numbers count (not "7", null or missing)', async () => {
    expect(await value({ type: 'sum', field: 'payload.amount' })).toBe(10);
    expect(await value({ type: 'avg', field: 'payload.amount' })).toBe(2.5);
  });

  test('given sum and avg of a field without numbers, then sum is 0 and avg is null', async () => {
    expect(await value({ type: 'sum', field: 'payload.cat' })).toBe(0);
    expect(await value({ type: 'avg', field: 'payload.cat' })).toBeNull();
    expect(await value({ type: 'sum', field: 'payload.nope' })).toBe(0);
    expect(await value({ type: 'avg', field: 'timestamp' })).toBeNull();
  });

  test('given min and max of mixed numbers and strings, then the numbers decide', async () => {
    expect(await value({ type: 'min', field: 'payload.amount' })).toBe(-4);
    expect(await value({ type: 'max', field: 'payload.amount' })).toBe(10);
    expect(await value({ type: 'min', field: 'payload.score' })).toBe(-1);
    expect(await value({ type: 'max', field: 'payload.score' })).toBe(10);
  });

  test('given min and max of strings only, then by code point; of nothing, then null', async () => {
    expect(await value({ type: 'min', field: 'payload.cat' })).toBe('a');
    expect(await value({ type: 'max', field: 'payload.cat' })).toBe('b');
    expect(await value({ type: 'max', field: 'timestamp' })).toBe('2024-02-29T12:00:00.000Z');
    expect(await value({ type: 'min', field: 'timestamp' })).toBe('2023-12-31T23:59:59.999Z');
    expect(await value({ type: 'min', field: 'payload.nope' })).toBeNull();
    expect(await value({ type: 'max', field: 'payload.nope' })).toBeNull();
  });

  test('given min and max of sequence_number, then numbers', async () => {
    expect(await value({ type: 'min', field: 'sequence_number' })).toBe(1);
    expect(await value({ type: 'max', field: 'sequenceNumber' })).toBe(4);
  });

  test('given collect, then every present value (null included) in position order', async () => {
    expect(await value({ type: 'collect', field: 'payload.amount' })).toEqual([10, 2.5, -4, '7', null, 1.5]);
    expect(await value({ type: 'collect', field: 'payload.nope' })).toEqual([]);
  });

  test('given collect with a where and a stream, then only matching events contribute', async () => {
    const v = await value(
      { type: 'collect', field: 'payload.score' },
      { where: [{ field: 'stream_id', operator: 'eq', value: 'other' }] },
    );
    expect(v).toEqual([10, -1]);
    const fromStream = expectOk(
      await useContext(holder).log.queryEvents({
        from: { instance: fixture!.instance.id, stream: 'shop' },
        reduce: { type: 'collect', field: 'payload.label' },
      }),
    ).result.aggregation?.value;
    expect(fromStream).toEqual(['r1', 'r2', 'r3', 'r4']);
  });

  test('given a where, then the aggregation runs over matches only', async () => {
    const result = await run({
      where: [{ field: 'event_type', operator: 'eq', value: 'sale' }],
      reduce: { type: 'sum', field: 'payload.amount' },
    });
    expect(result.aggregation?.value).toBe(12.5);
    expect(result.total).toBe(4);
  });

  test('given limit, offset, select and orderBy, then reduce ignores them', async () => {
    const result = await run({
      limit: 1,
      offset: 3,
      select: ['id'],
      orderBy: { field: 'timestamp', direction: 'desc' },
      reduce: { type: 'count' },
    });
    expect(result.aggregation?.value).toBe(7);
    expect(result.total).toBe(7);
  });

  test('given groupBy event_type, then groups are keyed by the canonical field and sorted by key', async () => {
    const result = await run({ reduce: { type: 'count', groupBy: ['event_type'] } });
    expect(result.aggregation).toMatchObject({ type: 'count' });
    expect(result.aggregation?.groups).toEqual([
      { key: { event_type: 'refund' }, value: 1 },
      { key: { event_type: 'sale' }, value: 4 },
      { key: { event_type: 'view' }, value: 2 },
    ]);
    expect(await groups({ type: 'count', groupBy: ['eventType'] })).toEqual(result.aggregation?.groups);
  });

  test('given groupBy a payload field, then missing and null share the null key, sorted first', async () => {
    expect(await groups({ type: 'count', groupBy: ['payload.cat'] })).toEqual([
      { key: { 'payload.cat': null }, value: 2 },
      { key: { 'payload.cat': 'a' }, value: 3 },
      { key: { 'payload.cat': 'b' }, value: 2 },
    ]);
  });

  test('given sum, avg and collect with groupBy, then each group aggregates its own events', async () => {
    expect(await groups({ type: 'sum', field: 'payload.amount', groupBy: ['payload.cat'] })).toEqual([
      { key: { 'payload.cat': null }, value: 0 },
      { key: { 'payload.cat': 'a' }, value: 12.5 },
      { key: { 'payload.cat': 'b' }, value: -2.5 },
    ]);
    expect(await groups({ type: 'avg', field: 'payload.amount', groupBy: ['payload.cat'] })).toEqual([
      { key: { 'payload.cat': null }, value: null },
      { key: { 'payload.cat': 'a' }, value: 6.25 },
      { key: { 'payload.cat': 'b' }, value: -1.25 },
    ]);
    expect(await groups({ type: 'collect', field: 'payload.amount', groupBy: ['payload.cat'] })).toEqual([
      { key: { 'payload.cat': null }, value: ['7', null] },
      { key: { 'payload.cat': 'a' }, value: [10, 2.5] },
      { key: { 'payload.cat': 'b' }, value: [-4, 1.5] },
    ]);
    expect(await groups({ type: 'count', field: 'payload.amount', groupBy: ['payload.cat'] })).toEqual([
      { key: { 'payload.cat': null }, value: 1 },
      { key: { 'payload.cat': 'a' }, value: 2 },
      { key: { 'payload.cat': 'b' }, value: 2 },
    ]);
  });

  test('given min and max with groupBy, then numbers first, else strings, per group', async () => {
    expect(await groups({ type: 'min', field: 'payload.score', groupBy: ['event_type'] })).toEqual([
      { key: { event_type: 'refund' }, value: 'a' },
      { key: { event_type: 'sale' }, value: 3 },
      { key: { event_type: 'view' }, value: -1 },
    ]);
    expect(await groups({ type: 'max', field: 'payload.score', groupBy: ['event_type'] })).toEqual([
      { key: { event_type: 'refund' }, value: 'a' },
      { key: { event_type: 'sale' }, value: 3 },
      { key: { event_type: 'view' }, value: 10 },
    ]);
  });

  test('given groupBy two fields, then keys hold both and sort entry by entry', async () => {
    expect(await groups({ type: 'count', groupBy: ['event_type', 'payload.cat'] })).toEqual([
      { key: { event_type: 'refund', 'payload.cat': 'b' }, value: 1 },
      { key: { event_type: 'sale', 'payload.cat': null }, value: 2 },
      { key: { event_type: 'sale', 'payload.cat': 'a' }, value: 2 },
      { key: { event_type: 'view', 'payload.cat': 'a' }, value: 1 },
      { key: { event_type: 'view', 'payload.cat': 'b' }, value: 1 },
    ]);
  });

  test('given group keys of several JSON types, then groups follow the total order', async () => {
    const key = (v: unknown) => ({ key: { 'payload.score': v }, value: 1 });
    expect(await groups({ type: 'count', groupBy: ['payload.score'] })).toEqual([
      key(null),
      key(true),
      key(-1),
      key(3),
      key(10),
      key('a'),
      key('b'),
    ]);
  });

  test('given a groupBy field missing everywhere, then one null group holds every event', async () => {
    expect(await groups({ type: 'count', groupBy: ['payload.nope'] })).toEqual([
      { key: { 'payload.nope': null }, value: 7 },
    ]);
  });

  test.each([
    [
      'minute',
      [
        ['2023-12-31T23:59:00.000Z', 1],
        ['2024-01-01T10:15:00.000Z', 2],
        ['2024-01-01T10:16:00.000Z', 1],
        ['2024-01-07T23:59:00.000Z', 1],
        ['2024-01-08T00:00:00.000Z', 1],
        ['2024-02-29T12:00:00.000Z', 1],
      ],
    ],
    [
      'hour',
      [
        ['2023-12-31T23:00:00.000Z', 1],
        ['2024-01-01T10:00:00.000Z', 3],
        ['2024-01-07T23:00:00.000Z', 1],
        ['2024-01-08T00:00:00.000Z', 1],
        ['2024-02-29T12:00:00.000Z', 1],
      ],
    ],
    [
      'day',
      [
        ['2023-12-31T00:00:00.000Z', 1],
        ['2024-01-01T00:00:00.000Z', 3],
        ['2024-01-07T00:00:00.000Z', 1],
        ['2024-01-08T00:00:00.000Z', 1],
        ['2024-02-29T00:00:00.000Z', 1],
      ],
    ],
    [
      'week',
      [
        ['2023-12-25T00:00:00.000Z', 1],
        ['2024-01-01T00:00:00.000Z', 4],
        ['2024-01-08T00:00:00.000Z', 1],
        ['2024-02-26T00:00:00.000Z', 1],
      ],
    ],
    [
      'month',
      [
        ['2023-12-01T00:00:00.000Z', 1],
        ['2024-01-01T00:00:00.000Z', 5],
        ['2024-02-01T00:00:00.000Z', 1],
      ],
    ],
  ] as const)(
    'given groupBy a %s time bucket, then groups are keyed by the UTC bucket start, in time order',
    async (interval, expected) => {
      expect(await groups({ type: 'count', groupBy: [{ field: 'timestamp', interval }] })).toEqual(
        expected.map(([timestamp, count]) => ({ key: { timestamp }, value: count })),
      );
    },
  );

  test('given groupBy a day bucket and event_type with sum, then both keys combine', async () => {
    expect(
      await groups({
        type: 'sum',
        field: 'payload.amount',
        groupBy: [{ field: 'timestamp', interval: 'day' }, 'event_type'],
      }),
    ).toEqual([
      { key: { timestamp: '2023-12-31T00:00:00.000Z', event_type: 'view' }, value: 0 },
      { key: { timestamp: '2024-01-01T00:00:00.000Z', event_type: 'refund' }, value: -4 },
      { key: { timestamp: '2024-01-01T00:00:00.000Z', event_type: 'sale' }, value: 12.5 },
      { key: { timestamp: '2024-01-07T00:00:00.000Z', event_type: 'sale' }, value: 0 },
      { key: { timestamp: '2024-01-08T00:00:00.000Z', event_type: 'sale' }, value: 0 },
      { key: { timestamp: '2024-02-29T00:00:00.000Z', event_type: 'view' }, value: 1.5 },
    ]);
  });

  test('given group keys that are arrays and objects, then equal values group together after scalars', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('reduce-objects');
    await ctx.append(
      inst.id,
      ([{ a: 1 }, [1], { a: 1 }, { b: 2 }, [1], 'x'] as JsonValue[]).map((o) => ({
        eventType: 'e',
        payload: { o },
      })),
    );
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        reduce: { type: 'count', groupBy: ['payload.o'] },
      }),
    );
    // Arrays and objects are equal in the total order; their canonical JSON breaks the tie ("[" < "{").
    expect(result.aggregation?.groups).toEqual([
      { key: { 'payload.o': 'x' }, value: 1 },
      { key: { 'payload.o': [1] }, value: 2 },
      { key: { 'payload.o': { a: 1 } }, value: 2 },
      { key: { 'payload.o': { b: 2 } }, value: 1 },
    ]);
  });

  test('given an empty instance, then count is 0, sum 0, avg/min/max null, collect [] and no groups', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('reduce-empty');
    const agg = async (reduce: Query['reduce']) =>
      expectOk(await ctx.log.queryEvents({ from: { instance: inst.id }, reduce })).result;
    expect((await agg({ type: 'count' })).aggregation?.value).toBe(0);
    expect((await agg({ type: 'sum', field: 'payload.x' })).aggregation?.value).toBe(0);
    expect((await agg({ type: 'avg', field: 'payload.x' })).aggregation?.value).toBeNull();
    expect((await agg({ type: 'min', field: 'payload.x' })).aggregation?.value).toBeNull();
    expect((await agg({ type: 'max', field: 'payload.x' })).aggregation?.value).toBeNull();
    expect((await agg({ type: 'collect', field: 'payload.x' })).aggregation?.value).toEqual([]);
    const grouped = await agg({ type: 'count', groupBy: ['event_type'] });
    expect(grouped.aggregation?.groups).toEqual([]);
    expect(grouped.total).toBe(0);
  });

  test('given more groups than maxGroups, then LIMIT_EXCEEDED; at the cap it succeeds', async () => {
    const ctx = useContext(holder);
    const from = { instance: fixture!.instance.id };
    expectOk(await ctx.tight.queryEvents({ from, reduce: { type: 'count', groupBy: ['event_type'] } }));
    expectFailure(
      await ctx.tight.queryEvents({ from, reduce: { type: 'count', groupBy: ['payload.score'] } }),
      'LIMIT_EXCEEDED',
      [/group/i],
    );
  });

  test('given more collected values than maxCollectValues, then LIMIT_EXCEEDED; at the cap it succeeds', async () => {
    const ctx = useContext(holder);
    const from = { instance: fixture!.instance.id };
    const atCap = expectOk(
      await ctx.tight.queryEvents({
        from,
        where: [{ field: 'event_type', operator: 'neq', value: 'view' }],
        reduce: { type: 'collect', field: 'payload.amount' },
      }),
    );
    expect(atCap.result.aggregation?.value).toEqual([10, 2.5, -4, '7', null]);
    expectFailure(
      await ctx.tight.queryEvents({ from, reduce: { type: 'collect', field: 'payload.amount' } }),
      'LIMIT_EXCEEDED',
      [/collect/i],
    );
    expectFailure(
      await ctx.tight.queryEvents({
        from,
        reduce: { type: 'collect', field: 'payload.amount', groupBy: ['event_type'] },
      }),
      'LIMIT_EXCEEDED',
      [/collect/i],
    );
  });
}
