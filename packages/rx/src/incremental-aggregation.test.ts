import {
  type EventRecord,
  evaluateQuery,
  type JsonValue,
  parseQuery,
  type Query,
  resolveLimits,
} from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { isIncremental, mergeNewEvents } from './incremental-aggregation.js';

const limits = resolveLimits();

/** A seeded generator (mulberry32), so every run checks the same cases. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values of mixed types, including look-alikes the DSL keeps apart. */
const VALUES: Array<JsonValue | undefined> = [
  1,
  2,
  -3,
  10,
  0,
  '1',
  'a',
  'B',
  'ab',
  '😀',
  '\uFFFF',
  true,
  null,
  undefined,
];

function events(count: number, next: () => number): EventRecord[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const payload: Record<string, JsonValue> = {};
    const v = pick(VALUES);
    if (v !== undefined) payload.v = v;
    const g = pick(['x', 'y', 1, null, undefined] as const);
    if (g !== undefined) payload.g = g;
    return {
      id: `e${i}`,
      instanceId: 'i',
      stream_id: pick(['s1', 's2']),
      event_type: pick(['a', 'b']),
      payload,
      metadata: {},
      timestamp: new Date(Date.UTC(2024, 0, 1 + Math.floor(next() * 60))).toISOString(),
      sequence_number: i + 1,
      global_position: i + 1,
    };
  });
}

const QUERIES: Query[] = [
  { from: { instance: 'i' }, reduce: { type: 'count' } },
  { from: { instance: 'i' }, reduce: { type: 'count', field: 'payload.v' } },
  { from: { instance: 'i' }, reduce: { type: 'sum', field: 'payload.v' } },
  { from: { instance: 'i' }, reduce: { type: 'min', field: 'payload.v' } },
  { from: { instance: 'i' }, reduce: { type: 'max', field: 'payload.v' } },
  { from: { instance: 'i' }, reduce: { type: 'count', groupBy: ['payload.g'] } },
  {
    from: { instance: 'i' },
    reduce: { type: 'max', field: 'payload.v', groupBy: ['stream_id', 'payload.g'] },
  },
  { from: { instance: 'i' }, reduce: { type: 'min', field: 'payload.v', groupBy: ['event_type'] } },
  { from: { instance: 'i' }, reduce: { type: 'sum', field: 'payload.v', groupBy: ['payload.g'] } },
  {
    from: { instance: 'i' },
    reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'week' }, 'payload.g'] },
  },
];

describe('mergeNewEvents', () => {
  it('given a result over a prefix, when the rest is merged in pieces, then it equals the evaluator over everything', () => {
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const all = events(5 + Math.floor(next() * 40), next);
      for (const raw of QUERIES) {
        const query = parseQuery(raw, limits);
        const reduce = query.reduce;
        if (reduce === undefined) throw new Error('a reduce query');
        let cut = Math.floor(next() * all.length);
        let result = evaluateQuery(all.slice(0, cut), query, limits);
        while (cut < all.length) {
          const end = Math.min(all.length, cut + 1 + Math.floor(next() * 6));
          const merged = mergeNewEvents(result, reduce, all.slice(cut, end), limits);
          const expected = evaluateQuery(all.slice(0, end), query, limits);
          if (merged !== undefined) {
            expect(merged, `seed ${seed}, ${JSON.stringify(raw)}, events 1..${end}`).toEqual(expected);
            checked++;
          }
          result = expected;
          cut = end;
        }
      }
    }
    // Most merges are possible (integer sums, scalar keys); a vacuous pass would check none.
    expect(checked).toBeGreaterThan(1000);
  });

  it('given a fractional sum, avg, collect or composite group keys, then it declines (the query must run)', () => {
    const base = events(3, random(7));
    const frac = base.map((e, i) => ({ ...e, payload: { v: i + 0.5, o: { a: i } } }));
    const check = (raw: Query, fresh: EventRecord[]) => {
      const query = parseQuery(raw, limits);
      const previous = evaluateQuery(fresh.slice(0, 1), query, limits);
      return mergeNewEvents(previous, query.reduce as never, fresh.slice(1), limits);
    };
    expect(
      check({ from: { instance: 'i' }, reduce: { type: 'sum', field: 'payload.v' } }, frac),
    ).toBeUndefined();
    expect(
      check({ from: { instance: 'i' }, reduce: { type: 'avg', field: 'payload.v' } }, frac),
    ).toBeUndefined();
    expect(
      check({ from: { instance: 'i' }, reduce: { type: 'collect', field: 'payload.v' } }, frac),
    ).toBeUndefined();
    expect(
      check({ from: { instance: 'i' }, reduce: { type: 'count', groupBy: ['payload.o'] } }, frac),
    ).toBeUndefined();
    expect(
      isIncremental(
        parseQuery({ from: { instance: 'i' }, reduce: { type: 'avg', field: 'payload.v' } }, limits).reduce,
      ),
    ).toBe(false);
  });

  it('given more groups than maxGroups after the merge, then it declines (the query reports LIMIT_EXCEEDED)', () => {
    const small = { ...limits, maxGroups: 2 };
    const query = parseQuery(
      { from: { instance: 'i' }, reduce: { type: 'count', groupBy: ['payload.v'] } },
      small,
    );
    const all = [1, 2, 3].map((v, i) => ({
      ...(events(1, random(1))[0] as EventRecord),
      payload: { v },
      global_position: i + 1,
    }));
    const previous = evaluateQuery(all.slice(0, 2), query, small);
    expect(mergeNewEvents(previous, query.reduce as never, all.slice(2), small)).toBeUndefined();
  });
});
