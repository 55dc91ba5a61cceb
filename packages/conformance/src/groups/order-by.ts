/**
 * `orderBy` (SPEC §4): one total order across JSON types, `desc` reversing it, ties broken by
 * `global_position` ascending in both directions.
 */

import type { JsonValue, NewEventInput, Query } from '@eventlog/core';
import { beforeAll, expect, test } from 'vitest';
import { type ContextHolder, expectOk, useContext } from '../context.js';
import { type Fixture, labels, seedFixture } from '../fixtures.js';

const MISSING = Symbol('missing');

/** `payload.k` of each event, in append order; `MISSING` leaves the key out. */
const K_VALUES: Array<[string, JsonValue | typeof MISSING]> = [
  ['o1', 'a'],
  ['o2', MISSING],
  ['o3', 10],
  ['o4', null],
  ['o5', [1]],
  ['o6', true],
  ['o7', ''],
  ['o8', -1],
  ['o9', { a: 1 }],
  ['o10', false],
  ['o11', '😀'],
  ['o12', 2.5],
  ['o13', MISSING],
  ['o14', 'A'],
  ['o15', '\uFFFF'],
  ['o16', 0],
  ['o17', [0]],
  ['o18', 10],
];

/** Streams and timestamps chosen so timestamp and sequence orders differ from append order. */
const ORDER_EVENTS: NewEventInput[] = K_VALUES.map(([label, k], i) => ({
  streamId: i % 3 === 0 ? 'x' : 'y',
  eventType: i % 2 === 0 ? 'even' : 'odd',
  timestamp: Date.UTC(2024, 0, 1) + ((i * 7) % 18) * 60_000,
  payload: k === MISSING ? { label, g: i % 2 } : { label, k, g: i % 2 },
})) as NewEventInput[];

/** By hand: missing, null, false, true, numbers, strings by code point, arrays/objects; ties by position. */
const K_ASC = [
  'o2',
  'o13',
  'o4',
  'o10',
  'o6',
  'o8',
  'o16',
  'o12',
  'o3',
  'o18',
  'o7',
  'o14',
  'o1',
  'o15',
  'o11',
  'o5',
  'o9',
  'o17',
];
/** The reverse of the value order, ties still by position ascending. */
const K_DESC = [
  'o5',
  'o9',
  'o17',
  'o11',
  'o15',
  'o1',
  'o14',
  'o7',
  'o3',
  'o18',
  'o12',
  'o16',
  'o8',
  'o6',
  'o10',
  'o4',
  'o2',
  'o13',
];

/** Registers the `orderBy` group. */
export function registerOrderByTests(holder: ContextHolder): void {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await seedFixture(useContext(holder), 'order', ORDER_EVENTS);
  });

  const run = async (query: Omit<Query, 'from'>) => {
    const ctx = useContext(holder);
    return expectOk(await ctx.log.queryEvents({ from: { instance: fixture!.instance.id }, ...query })).result;
  };

  test('given mixed JSON types, when ordering asc, then missing < null < false < true < numbers < strings < arrays = objects', async () => {
    const result = await run({ orderBy: { field: 'payload.k', direction: 'asc' } });
    expect(labels(result.events)).toEqual(K_ASC);
  });

  test('given mixed JSON types, when ordering desc, then the order reverses and ties stay by position ascending', async () => {
    const result = await run({ orderBy: { field: 'payload.k', direction: 'desc' } });
    expect(labels(result.events)).toEqual(K_DESC);
  });

  test('given no direction, when ordering, then it is ascending', async () => {
    const result = await run({ orderBy: { field: 'payload.k' } });
    expect(labels(result.events)).toEqual(K_ASC);
  });

  test('given no orderBy, then events come in global_position order', async () => {
    const result = await run({});
    expect(labels(result.events)).toEqual(K_VALUES.map(([l]) => l));
    const positions = (result.events ?? []).map((e) => e.global_position as number);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  test('given a field with two values, when ordering desc, then ties break by position ascending', async () => {
    const result = await run({ orderBy: { field: 'payload.g', direction: 'desc' } });
    const odd = K_VALUES.filter((_, i) => i % 2 === 1).map(([l]) => l);
    const even = K_VALUES.filter((_, i) => i % 2 === 0).map(([l]) => l);
    expect(labels(result.events)).toEqual([...odd, ...even]);
  });

  test('given event types, when ordering by the eventType alias asc, then "even" precede "odd", each by position', async () => {
    const result = await run({ orderBy: { field: 'eventType', direction: 'asc' } });
    const even = K_VALUES.filter((_, i) => i % 2 === 0).map(([l]) => l);
    const odd = K_VALUES.filter((_, i) => i % 2 === 1).map(([l]) => l);
    expect(labels(result.events)).toEqual([...even, ...odd]);
  });

  test('given timestamps out of append order, when ordering by timestamp desc, then latest first', async () => {
    const result = await run({ orderBy: { field: 'timestamp', direction: 'desc' } });
    // Event i is at minute (7i mod 18); 7 is invertible mod 18, so every minute is used once.
    const byMinute = K_VALUES.map(([l], i) => [l, (i * 7) % 18] as const).sort((a, b) => b[1] - a[1]);
    expect(labels(result.events)).toEqual(byMinute.map(([l]) => l));
    const stamps = (result.events ?? []).map((e) => e.timestamp as string);
    expect([...stamps].sort().reverse()).toEqual(stamps);
  });

  test('given two streams, when ordering by sequenceNumber desc, then higher sequences first, ties by position', async () => {
    const result = await run({ orderBy: { field: 'sequenceNumber', direction: 'desc' } });
    const seq = new Map<string, number>();
    const counters = { x: 0, y: 0 };
    K_VALUES.forEach(([l], i) => {
      const s = i % 3 === 0 ? 'x' : 'y';
      counters[s] += 1;
      seq.set(l, counters[s]);
    });
    const expected = K_VALUES.map(([l], i) => ({ l, s: seq.get(l)!, i }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((e) => e.l);
    expect(labels(result.events)).toEqual(expected);
  });

  test('given whole payloads (all objects, equal in the order), when ordering desc, then position ascending', async () => {
    const result = await run({ orderBy: { field: 'payload', direction: 'desc' } });
    expect(labels(result.events)).toEqual(K_VALUES.map(([l]) => l));
  });

  test('given a missing path, when ordering desc, then every event ties and comes by position', async () => {
    const result = await run({ orderBy: { field: 'payload.nope', direction: 'desc' } });
    expect(labels(result.events)).toEqual(K_VALUES.map(([l]) => l));
  });

  test('given ordering with offset and limit, then the page is a slice of the ordered list', async () => {
    const asc = await run({ orderBy: { field: 'payload.k' }, offset: 3, limit: 5 });
    expect(labels(asc.events)).toEqual(K_ASC.slice(3, 8));
    const desc = await run({ orderBy: { field: 'payload.k', direction: 'desc' }, offset: 1, limit: 3 });
    expect(labels(desc.events)).toEqual(K_DESC.slice(1, 4));
    expect(desc.total).toBe(18);
  });

  test('given a filter, when ordering, then only matches are ordered', async () => {
    const result = await run({
      where: [{ field: 'payload.k', operator: 'exists', value: true }],
      orderBy: { field: 'payload.k', direction: 'desc' },
    });
    expect(labels(result.events)).toEqual(K_DESC.filter((l) => l !== 'o2' && l !== 'o13'));
  });
}
