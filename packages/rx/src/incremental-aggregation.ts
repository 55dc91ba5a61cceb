/**
 * Incremental upkeep of `reduce` results for `liveQuery`: folds the aggregation of newly committed
 * events into the previous result, for the types where that is exact.
 *
 * Exact means the merged result equals what the query would return over all events:
 * - `count` (with or without field): counts add.
 * - `sum`: only while every partial sum is an integer within ±2^53, where addition is exact; a
 *   fractional or huge sum falls back to a full query (float sums depend on the order of addition).
 * - `min` / `max`: numbers win over strings; strings compare by code point, as the DSL does.
 * - `groupBy` of the above: groups merge by key and are re-sorted in the DSL's key order. Keys
 *   holding arrays or objects fall back (adapters may group them by stored text), as does a
 *   result past `maxGroups` (the full query reports `LIMIT_EXCEEDED`).
 * `avg` and `collect` are never merged: the result does not carry what a merge would need.
 */

import {
  type Aggregation,
  type AggregationGroup,
  canonicalJson,
  compareCodePoints,
  compareGroupKeys,
  type EventRecord,
  type JsonValue,
  type Limits,
  type QueryResult,
  type ReduceNode,
  reduceEvents,
} from '@eventlog/core';

/**
 * True when results of `reduce` can be kept up to date by {@link mergeNewEvents}: `count`, `sum`,
 * `min` and `max`, with or without `groupBy`.
 *
 * @example
 * isIncremental(log.store.parseQuery({ from: { instance: 'i' }, reduce: { type: 'count' } }).reduce); // true
 */
export function isIncremental(reduce: ReduceNode | undefined): reduce is ReduceNode {
  return (
    reduce !== undefined &&
    (reduce.type === 'count' || reduce.type === 'sum' || reduce.type === 'min' || reduce.type === 'max')
  );
}

/** Merges two values of one aggregation, or returns undefined when the merge would not be exact. */
function mergeValue(type: ReduceNode['type'], a: JsonValue | undefined, b: JsonValue | undefined) {
  switch (type) {
    case 'count':
      return typeof a === 'number' && typeof b === 'number' ? a + b : undefined;
    case 'sum': {
      if (typeof a !== 'number' || typeof b !== 'number') return undefined;
      const sum = a + b;
      return Number.isSafeInteger(a) && Number.isSafeInteger(b) && Number.isSafeInteger(sum)
        ? sum
        : undefined;
    }
    case 'min':
    case 'max': {
      if (a === undefined || b === undefined) return undefined;
      if (a === null) return b;
      if (b === null) return a;
      if (typeof a === 'number' && typeof b === 'number') {
        return type === 'min' ? Math.min(a, b) : Math.max(a, b);
      }
      if (typeof a === 'number' && typeof b === 'string') return a;
      if (typeof a === 'string' && typeof b === 'number') return b;
      if (typeof a === 'string' && typeof b === 'string') {
        const c = compareCodePoints(a, b);
        return type === 'min' ? (c <= 0 ? a : b) : c >= 0 ? a : b;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function isComposite(value: JsonValue): boolean {
  return value !== null && typeof value === 'object';
}

/** A group's key values in groupBy order, or undefined when one is missing from the key. */
function keyValues(group: AggregationGroup, names: readonly string[]): JsonValue[] | undefined {
  const out: JsonValue[] = [];
  for (const name of names) {
    if (!Object.hasOwn(group.key, name)) return undefined;
    out.push(group.key[name] as JsonValue);
  }
  return out;
}

function mapKey(values: readonly JsonValue[]): string {
  return values.map((v) => (typeof v === 'string' ? `s${v}` : canonicalJson(v))).join('\u0000');
}

function mergeGroups(
  reduce: ReduceNode,
  previous: readonly AggregationGroup[],
  delta: readonly AggregationGroup[],
  maxGroups: number,
): AggregationGroup[] | undefined {
  const names = (reduce.groupBy ?? []).map((g) => g.key);
  const merged = new Map<string, { values: JsonValue[]; value: JsonValue }>();
  for (const group of previous) {
    const values = keyValues(group, names);
    if (values === undefined || values.some(isComposite)) return undefined;
    merged.set(mapKey(values), { values, value: group.value });
  }
  for (const group of delta) {
    const values = keyValues(group, names);
    if (values === undefined || values.some(isComposite)) return undefined;
    const key = mapKey(values);
    const current = merged.get(key);
    if (current === undefined) {
      merged.set(key, { values, value: group.value });
      continue;
    }
    const value = mergeValue(reduce.type, current.value, group.value);
    if (value === undefined) return undefined;
    current.value = value;
  }
  if (merged.size > maxGroups) return undefined;
  return [...merged.values()]
    .sort((a, b) => compareGroupKeys(a.values, b.values))
    .map(({ values, value }) => {
      const key: Record<string, JsonValue> = {};
      names.forEach((name, i) => {
        key[name] = values[i] as JsonValue;
      });
      return { key, value };
    });
}

/**
 * Folds `events` (new events that match the query's stream and where, all after those the
 * previous result covered) into `previous`, a result of the same `reduce` query.
 *
 * @returns the updated result, or undefined when an exact merge is not possible (run the query)
 * @example
 * const next = mergeNewEvents(previous, ast.reduce, newEvents, log.store.limits) ?? (await rerun());
 */
export function mergeNewEvents(
  previous: QueryResult,
  reduce: ReduceNode,
  events: readonly EventRecord[],
  limits: Pick<Limits, 'maxGroups' | 'maxCollectValues'>,
): QueryResult | undefined {
  if (!isIncremental(reduce) || previous.aggregation === undefined) return undefined;
  if (events.length === 0) return previous;
  let delta: { aggregation: Aggregation; total: number };
  try {
    delta = reduceEvents(events, undefined, undefined, reduce, limits);
  } catch {
    return undefined;
  }
  const aggregation: Aggregation = { ...previous.aggregation };
  if (reduce.groupBy !== undefined && reduce.groupBy.length > 0) {
    const groups = mergeGroups(
      reduce,
      previous.aggregation.groups ?? [],
      delta.aggregation.groups ?? [],
      limits.maxGroups,
    );
    if (groups === undefined) return undefined;
    aggregation.groups = groups;
  } else {
    const value = mergeValue(reduce.type, previous.aggregation.value, delta.aggregation.value);
    if (value === undefined) return undefined;
    aggregation.value = value;
  }
  return { ...previous, aggregation, total: previous.total + delta.total };
}
