import type { QueryResult } from '@eventlog/core';
import { describe, expect, test } from 'vitest';
import { closeTo, compareResults, diffValues } from './compare-results.js';

const page = (events: QueryResult['events'], extra: Partial<QueryResult> = {}): QueryResult => ({
  events,
  total: events?.length ?? 0,
  limit: 100,
  offset: 0,
  ...extra,
});

describe('compareResults', () => {
  test('given equal results with keys in another order, then no differences', () => {
    expect(
      compareResults(
        page([{ a: 1, b: { c: [1, 2] } } as never]),
        page([{ b: { c: [1, 2] }, a: 1 } as never]),
      ),
    ).toEqual([]);
  });

  test('given the same events in another order, then each position is reported', () => {
    const diffs = compareResults(page([{ id: 'x' }, { id: 'y' }]), page([{ id: 'y' }, { id: 'x' }]));
    expect(diffs).toEqual(['events[0].id: expected "x", got "y"', 'events[1].id: expected "y", got "x"']);
  });

  test('given a missing or an extra key, then both are reported; an undefined value counts as absent', () => {
    expect(compareResults(page([{ id: 'x', eventId: 'e' }]), page([{ id: 'x' }]))).toEqual([
      'events[0].eventId: missing key (expected "e")',
    ]);
    expect(compareResults(page([{ id: 'x' }]), page([{ id: 'x', extra: 1 } as never]))).toEqual([
      'events[0].extra: unexpected key (value 1)',
    ]);
    expect(compareResults(page([{ id: 'x' }]), page([{ id: 'x', eventId: undefined }]))).toEqual([]);
  });

  test('given type-different values, then 1, "1" and true differ', () => {
    expect(diffValues(1, '1')).toHaveLength(1);
    expect(diffValues(1, true)).toHaveLength(1);
    expect(diffValues(null, undefined)).toHaveLength(1);
    expect(diffValues([1], { 0: 1 })).toHaveLength(1);
  });

  test('given total, limit or offset that differ, then they are reported', () => {
    expect(compareResults(page([], { total: 3 }), page([], { total: 2 }))).toEqual([
      'total: expected 3, got 2',
    ]);
    expect(compareResults(page([], { limit: 5 }), page([], { limit: 100 }))).toEqual([
      'limit: expected 5, got 100',
    ]);
  });

  test('given a reduce result with events on one side, then it is reported', () => {
    const agg = { total: 1, limit: 100, offset: 0, aggregation: { type: 'count' as const, value: 1 } };
    expect(compareResults(agg, { ...agg, events: [] })).toHaveLength(1);
  });

  test('given sum or avg within 1e-9 relative, then equal; beyond it, different; other types exact', () => {
    const sum = (value: number, type: 'sum' | 'max' = 'sum'): QueryResult => ({
      total: 2,
      limit: 100,
      offset: 0,
      aggregation: { type, field: 'payload.x', value },
    });
    expect(compareResults(sum(0.30000000000000004), sum(0.3))).toEqual([]);
    expect(compareResults(sum(1e6), sum(1e6 + 1e-4))).toEqual([]);
    expect(compareResults(sum(1e6), sum(1e6 + 1e-2))).toHaveLength(1);
    expect(compareResults(sum(0.30000000000000004, 'max'), sum(0.3, 'max'))).toHaveLength(1);
  });

  test('given groups that differ in order, key or value, then each is reported', () => {
    const grouped = (groups: Array<[string | null, number]>): QueryResult => ({
      total: 3,
      limit: 100,
      offset: 0,
      aggregation: {
        type: 'avg',
        field: 'payload.x',
        groupBy: ['event_type'],
        groups: groups.map(([k, v]) => ({ key: { event_type: k }, value: v })),
      },
    });
    expect(
      compareResults(
        grouped([
          ['a', 1],
          ['b', 2],
        ]),
        grouped([
          ['a', 1],
          ['b', 2 + 1e-12],
        ]),
      ),
    ).toEqual([]);
    expect(
      compareResults(
        grouped([
          ['a', 1],
          ['b', 2],
        ]),
        grouped([
          ['b', 2],
          ['a', 1],
        ]),
      ),
    ).toHaveLength(4);
    expect(compareResults(grouped([[null, 1]]), grouped([['null', 1]]))).toHaveLength(1);
    expect(
      compareResults(
        grouped([['a', 1]]),
        grouped([
          ['a', 1],
          ['b', 2],
        ]),
      ),
    ).toEqual(['aggregation.groups: expected 1 groups, got 2']);
  });

  test('given an avg of null against 0, then they differ', () => {
    const avg = (value: number | null): QueryResult => ({
      total: 0,
      limit: 100,
      offset: 0,
      aggregation: { type: 'avg', field: 'payload.x', value },
    });
    expect(compareResults(avg(null), avg(0))).toHaveLength(1);
  });
});

describe('closeTo', () => {
  test('given values at and beyond the tolerance, then it decides by the larger magnitude', () => {
    expect(closeTo(100, 100 + 1e-8)).toBe(true);
    expect(closeTo(100, 100 + 1e-6)).toBe(false);
    expect(closeTo(0, 1e-13)).toBe(true);
    expect(closeTo(0, 1e-6)).toBe(false);
    expect(closeTo(Number.NaN, Number.NaN)).toBe(false);
  });
});
