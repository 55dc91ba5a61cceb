/**
 * Compares an adapter's query result with the oracle's, the way SPEC §4 defines equality: events
 * deep-equal and in the same order, aggregations equal, `sum`/`avg` within a relative tolerance.
 */

import type { Aggregation, QueryResult } from '@eventlog/core';

/** Options of {@link compareResults}. */
export interface CompareOptions {
  /** Relative tolerance of `sum` and `avg` values. Default `1e-9` (SPEC §4). */
  relativeTolerance?: number;
  /** Stop after this many differences. Default 20. */
  maxDifferences?: number;
}

/**
 * True when two numbers are equal within `relativeTolerance` of the larger magnitude. A tiny
 * absolute floor (1e-12) absorbs rounding of sums that cancel to almost zero, where a purely
 * relative test would compare noise with noise.
 */
export function closeTo(expected: number, actual: number, relativeTolerance = 1e-9): boolean {
  if (expected === actual) return true;
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return false;
  const diff = Math.abs(expected - actual);
  return diff <= relativeTolerance * Math.max(Math.abs(expected), Math.abs(actual)) || diff <= 1e-12;
}

/**
 * Lists the differences between an expected and an actual query result; empty when they agree.
 * Each entry names the path (`events[3].payload.a`) and both values.
 *
 * Object key order is ignored and a key whose value is `undefined` counts as absent (JSON
 * semantics); everything else must match exactly, including the order of events, groups and
 * collected values.
 *
 * @example
 * const diffs = compareResults(evaluateQuery(events, ast, limits), adapterResult);
 * expect(diffs).toEqual([]);
 */
export function compareResults(
  expected: QueryResult,
  actual: QueryResult,
  options: CompareOptions = {},
): string[] {
  const out: string[] = [];
  const max = options.maxDifferences ?? 20;
  const tolerance = options.relativeTolerance ?? 1e-9;

  if (!isRecord(actual)) return [`result: expected an object, got ${show(actual)}`];
  for (const key of ['total', 'limit', 'offset'] as const) {
    if (expected[key] !== actual[key])
      out.push(`${key}: expected ${show(expected[key])}, got ${show(actual[key])}`);
  }
  diffKeys('result', expected, actual, out, ['total', 'limit', 'offset', 'events', 'aggregation']);
  if (expected.events !== undefined || actual.events !== undefined) {
    deepDiff('events', expected.events, actual.events, out, max);
  }
  if (expected.aggregation !== undefined || actual.aggregation !== undefined) {
    diffAggregation(expected.aggregation, actual.aggregation, tolerance, out, max);
  }
  return out.slice(0, max);
}

/**
 * Lists the differences between two JSON-like values (object key order ignored, `undefined`
 * counting as absent), each prefixed with `path`.
 */
export function diffValues(
  expected: unknown,
  actual: unknown,
  path = 'value',
  maxDifferences = 20,
): string[] {
  const out: string[] = [];
  deepDiff(path, expected, actual, out, maxDifferences);
  return out;
}

function diffAggregation(
  expected: Aggregation | undefined,
  actual: Aggregation | undefined,
  tolerance: number,
  out: string[],
  max: number,
): void {
  if (expected === undefined || actual === undefined || !isRecord(actual)) {
    out.push(`aggregation: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  const expectedGroups = expected.groups;
  const grouped = expectedGroups !== undefined;
  diffKeys('aggregation', expected, actual, out, ['type', 'field', 'groupBy', grouped ? 'groups' : 'value']);
  for (const key of ['type', 'field', 'groupBy'] as const) {
    deepDiff(`aggregation.${key}`, expected[key], actual[key], out, max);
  }
  const numeric = expected.type === 'sum' || expected.type === 'avg';
  const compareValue = (path: string, e: unknown, a: unknown) => {
    if (numeric && typeof e === 'number' && typeof a === 'number') {
      if (!closeTo(e, a, tolerance))
        out.push(`${path}: expected ${show(e)}, got ${show(a)} (tolerance ${tolerance})`);
    } else {
      deepDiff(path, e, a, out, max);
    }
  };
  if (expectedGroups === undefined) {
    compareValue('aggregation.value', expected.value, actual.value);
    return;
  }
  if (!Array.isArray(actual.groups)) {
    out.push(`aggregation.groups: expected ${expectedGroups.length} groups, got ${show(actual.groups)}`);
    return;
  }
  if (expectedGroups.length !== actual.groups.length) {
    out.push(`aggregation.groups: expected ${expectedGroups.length} groups, got ${actual.groups.length}`);
  }
  const n = Math.min(expectedGroups.length, actual.groups.length);
  for (let i = 0; i < n && out.length < max; i++) {
    const e = expectedGroups[i];
    const a = actual.groups[i];
    if (e === undefined || a === undefined || !isRecord(a)) {
      out.push(`aggregation.groups[${i}]: expected ${show(e)}, got ${show(a)}`);
      continue;
    }
    diffKeys(`aggregation.groups[${i}]`, e, a, out, ['key', 'value']);
    deepDiff(`aggregation.groups[${i}].key`, e.key, a.key, out, max);
    compareValue(`aggregation.groups[${i}].value`, e.value, a.value);
  }
}

/** Reports keys present (with a defined value) on one side only, except those compared elsewhere. */
function diffKeys(path: string, expected: object, actual: object, out: string[], handled: string[]): void {
  const e = definedKeys(expected).filter((k) => !handled.includes(k));
  const a = definedKeys(actual).filter((k) => !handled.includes(k));
  for (const k of a)
    if (!e.includes(k)) out.push(`${path}.${k}: unexpected key (value ${show(read(actual, k))})`);
  for (const k of e)
    if (!a.includes(k)) out.push(`${path}.${k}: missing key (expected ${show(read(expected, k))})`);
}

/** Deep comparison of JSON-like values, pushing one line per difference. */
function deepDiff(path: string, expected: unknown, actual: unknown, out: string[], max: number): void {
  if (out.length >= max) return;
  if (expected === actual) return;
  if (
    typeof expected === 'number' &&
    typeof actual === 'number' &&
    Number.isNaN(expected) &&
    Number.isNaN(actual)
  ) {
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      out.push(`${path}: expected an array ${show(expected)}, got ${show(actual)}`);
      return;
    }
    if (expected.length !== actual.length) {
      out.push(`${path}: expected length ${expected.length}, got ${actual.length}`);
    }
    const n = Math.min(expected.length, actual.length);
    for (let i = 0; i < n; i++) deepDiff(`${path}[${i}]`, expected[i], actual[i], out, max);
    return;
  }
  if (isRecord(expected) && isRecord(actual) && !Array.isArray(actual)) {
    const keys = new Set([...definedKeys(expected), ...definedKeys(actual)]);
    for (const k of keys) {
      const e = read(expected, k);
      const a = read(actual, k);
      if (e === undefined) out.push(`${path}.${k}: unexpected key (value ${show(a)})`);
      else if (a === undefined) out.push(`${path}.${k}: missing key (expected ${show(e)})`);
      else deepDiff(`${path}.${k}`, e, a, out, max);
      if (out.length >= max) return;
    }
    return;
  }
  out.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function definedKeys(value: object): string[] {
  return Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
}

function read(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** A short, unambiguous rendering of a value for difference reports. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const text = JSON.stringify(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
