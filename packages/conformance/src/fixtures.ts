/**
 * Hand-written datasets of the example tests. Every expected value in the tests is derived by hand
 * from these events (each carries `payload.label`), never from the implementation.
 */

import type { EventRecord, Instance, NewEventInput } from '@eventlog/core';
import type { ConformanceContext } from './context.js';

/** A seeded fixture: the instance, its records in position order, and records by label. */
export interface Fixture {
  instance: Instance;
  records: EventRecord[];
  byLabel: Map<string, EventRecord>;
}

/** The labels of records, for comparing result sets by hand. */
export function labels(events: ReadonlyArray<Partial<EventRecord>> | undefined): string[] {
  return (events ?? []).map((e) => String((e.payload as { label?: unknown } | undefined)?.label));
}

/** Creates an instance and appends `events` in one batch. */
export async function seedFixture(
  ctx: ConformanceContext,
  label: string,
  events: NewEventInput[],
): Promise<Fixture> {
  const instance = await ctx.newInstance(label);
  const records = await ctx.append(instance.id, events);
  const byLabel = new Map<string, EventRecord>();
  for (const r of records) byLabel.set(String((r.payload as { label?: unknown }).label), r);
  return { instance, records, byLabel };
}

/**
 * The filter fixture: the same paths hold different JSON types across events (`v` is 1, true,
 * "1", null, missing, 2, [1], {a:1}, 0, false), strings with LIKE metacharacters, astral
 * characters and U+FFFF, arrays, nested objects, and timestamps given with offsets and as epoch
 * milliseconds.
 *
 * | label | stream | type     | timestamp (UTC)          | v       | s            | n    | other                              |
 * |-------|--------|----------|--------------------------|---------|--------------|------|------------------------------------|
 * | e1    | s1     | login    | 2024-01-01T00:00:00.000Z | 1       | alpha        |      | tags [a,b], nested.x 1, pct "100%" |
 * | e2    | s1     | logout   | 2024-01-15T12:00:00.000Z | true    | a_b          |      | tags [b], nested.x 2               |
 * | e3    | s2     | login    | 2024-01-31T23:00:00.000Z | "1"     | a%b          |      | tags [1,a], nested.x null          |
 * | e4    | s2     | view     | 2024-02-01T00:00:00.000Z | null    | back\slash   | 10   | tags []                            |
 * | e5    | s3     | view     | 2024-03-01T08:30:00.000Z | missing | ALPHA        | 2.5  | arr [true,null]                    |
 * | e6    | s1     | purchase | 2024-03-15T00:00:00.000Z | 2       | ""           | -3   | nested {x:1,y:"deep"}              |
 * | e7    | s3     | view     | 2024-04-01T00:00:00.000Z | [1]     | x😀y         |      | obj {a:1}                          |
 * | e8    | s3     | view     | 2024-04-02T00:00:00.000Z | {a:1}   | \uFFFF       |      |                                    |
 * | e9    | s4     | login    | 2024-04-03T00:00:00.000Z | 0       | 😀           | "10" |                                    |
 * | e10   | s4     | Login    | 2024-04-04T00:00:00.000Z | false   | alphabet     | 10   | metadata.source "Web"              |
 *
 * Metadata: e1 `{ source: 'web', 'x-request-id': 'r1' }`, e2 `{ source: 'cli' }`, e10
 * `{ source: 'Web' }`, the others none. Sequence numbers: s1 e1=1 e2=2 e6=3; s2 e3=1 e4=2;
 * s3 e5=1 e7=2 e8=3; s4 e9=1 e10=2.
 */
export const FILTER_EVENTS: NewEventInput[] = [
  {
    streamId: 's1',
    eventType: 'login',
    timestamp: '2024-01-01T00:00:00.000Z',
    payload: { label: 'e1', v: 1, s: 'alpha', tags: ['a', 'b'], nested: { x: 1 }, pct: '100%' },
    metadata: { source: 'web', 'x-request-id': 'r1' },
  },
  {
    streamId: 's1',
    eventType: 'logout',
    timestamp: '2024-01-15T12:00:00.000Z',
    payload: { label: 'e2', v: true, s: 'a_b', tags: ['b'], nested: { x: 2 } },
    metadata: { source: 'cli' },
  },
  {
    streamId: 's2',
    eventType: 'login',
    timestamp: '2024-02-01T00:00:00+01:00',
    payload: { label: 'e3', v: '1', s: 'a%b', tags: [1, 'a'], nested: { x: null } },
  },
  {
    streamId: 's2',
    eventType: 'view',
    timestamp: 1_706_745_600_000,
    payload: { label: 'e4', v: null, s: 'back\\slash', tags: [], n: 10 },
  },
  {
    streamId: 's3',
    eventType: 'view',
    timestamp: '2024-03-01T08:30:00.000Z',
    payload: { label: 'e5', s: 'ALPHA', n: 2.5, arr: [true, null] },
  },
  {
    streamId: 's1',
    eventType: 'purchase',
    timestamp: '2024-03-15T00:00:00.000Z',
    payload: { label: 'e6', v: 2, s: '', n: -3, nested: { x: 1, y: 'deep' } },
  },
  {
    streamId: 's3',
    eventType: 'view',
    timestamp: '2024-04-01T00:00:00.000Z',
    payload: { label: 'e7', v: [1], s: 'x😀y', obj: { a: 1 } },
  },
  {
    streamId: 's3',
    eventType: 'view',
    timestamp: '2024-04-02T00:00:00.000Z',
    payload: { label: 'e8', v: { a: 1 }, s: '\uFFFF' },
  },
  {
    streamId: 's4',
    eventType: 'login',
    timestamp: '2024-04-03T00:00:00.000Z',
    payload: { label: 'e9', v: 0, s: '😀', n: '10' },
  },
  {
    streamId: 's4',
    eventType: 'Login',
    timestamp: '2024-04-04T00:00:00.000Z',
    payload: { label: 'e10', v: false, s: 'alphabet', n: 10 },
    metadata: { source: 'Web' },
  },
];

/** All labels of {@link FILTER_EVENTS}, in position order. */
export const ALL_FILTER_LABELS = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10'];

/** `ALL_FILTER_LABELS` without the given labels. */
export function allBut(...excluded: string[]): string[] {
  return ALL_FILTER_LABELS.filter((l) => !excluded.includes(l));
}

/**
 * The reduce fixture: amounts that are numbers, a numeric string, null and missing; categories
 * with null and missing; timestamps on minute, day, ISO-week (Sunday/Monday) and month edges.
 *
 * | label | type   | timestamp (UTC)          | cat     | amount  | score   |
 * |-------|--------|--------------------------|---------|---------|---------|
 * | r1    | sale   | 2024-01-01T10:15:30.123Z | "a"     | 10      | "b"     |
 * | r2    | sale   | 2024-01-01T10:15:59.999Z | "a"     | 2.5     | 3       |
 * | r3    | refund | 2024-01-01T10:16:00.000Z | "b"     | -4      | "a"     |
 * | r4    | sale   | 2024-01-07T23:59:59.999Z | null    | "7"     | true    |
 * | r5    | sale   | 2024-01-08T00:00:00.000Z | missing | null    | missing |
 * | r6    | view   | 2024-02-29T12:00:00.000Z | "b"     | 1.5     | 10      |
 * | r7    | view   | 2023-12-31T23:59:59.999Z | "a"     | missing | -1      |
 *
 * 2024-01-01 and 2024-01-08 are Mondays; 2024-01-07 and 2023-12-31 are Sundays.
 */
export const REDUCE_EVENTS: NewEventInput[] = [
  {
    eventType: 'sale',
    streamId: 'shop',
    timestamp: '2024-01-01T10:15:30.123Z',
    payload: { label: 'r1', cat: 'a', amount: 10, score: 'b' },
  },
  {
    eventType: 'sale',
    streamId: 'shop',
    timestamp: '2024-01-01T10:15:59.999Z',
    payload: { label: 'r2', cat: 'a', amount: 2.5, score: 3 },
  },
  {
    eventType: 'refund',
    streamId: 'shop',
    timestamp: '2024-01-01T10:16:00.000Z',
    payload: { label: 'r3', cat: 'b', amount: -4, score: 'a' },
  },
  {
    eventType: 'sale',
    streamId: 'shop',
    timestamp: '2024-01-07T23:59:59.999Z',
    payload: { label: 'r4', cat: null, amount: '7', score: true },
  },
  {
    eventType: 'sale',
    streamId: 'other',
    timestamp: '2024-01-08T00:00:00.000Z',
    payload: { label: 'r5', amount: null },
  },
  {
    eventType: 'view',
    streamId: 'other',
    timestamp: '2024-02-29T12:00:00.000Z',
    payload: { label: 'r6', cat: 'b', amount: 1.5, score: 10 },
  },
  {
    eventType: 'view',
    streamId: 'other',
    timestamp: '2023-12-31T23:59:59.999Z',
    payload: { label: 'r7', cat: 'a', score: -1 },
  },
];
