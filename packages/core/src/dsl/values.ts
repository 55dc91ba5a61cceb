/**
 * Typed JSON values as the DSL sees them: lookup by field, type-strict equality, and the one
 * total order used by `orderBy`, group sorting, `min` and `max`.
 *
 * Order, ascending: missing, null, false, true, numbers, strings (by Unicode code point), then
 * arrays and objects (equal to each other).
 */

import type { JsonValue } from '../model.js';
import type { FieldNode } from './ast.js';

/** The value of a field that is not there. */
export const MISSING: unique symbol = Symbol('missing');

/** A field's value: a JSON value, or {@link MISSING}. */
export type FieldValue = JsonValue | typeof MISSING;

/** The DSL's value types. */
export type ValueType = 'missing' | 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

/** The type of a field value. */
export function typeOf(value: FieldValue): ValueType {
  if (value === MISSING) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'boolean' || t === 'number' || t === 'string') return t;
  return 'object';
}

/** Rank of a value in the total order. */
export function rankOf(value: FieldValue): number {
  if (value === MISSING) return 0;
  if (value === null) return 1;
  if (value === false) return 2;
  if (value === true) return 3;
  switch (typeof value) {
    case 'number':
      return 4;
    case 'string':
      return 5;
    default:
      return 6;
  }
}

/**
 * Compares two strings by Unicode code point (as UTF-8 bytes and SQL `C`/`BINARY` collations
 * do), not by UTF-16 code unit as `<` does.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort above every BMP code unit from U+E000 up.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Compares two values in the total order: negative, zero or positive. */
export function compareValues(a: FieldValue, b: FieldValue): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 4) return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ra === 5) return compareCodePoints(a as string, b as string);
  return 0;
}

/** JSON equality: same type and same value; objects compare by keys, ignoring key order. */
export function jsonEqual(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return a !== MISSING;
  if (a === MISSING || b === MISSING || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i] as JsonValue, b[i] as JsonValue)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !jsonEqual(a[k] as JsonValue, b[k] as JsonValue)) return false;
  }
  return true;
}

/** JSON text with object keys sorted (by code point), so equal values have equal text. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}

/**
 * Reads a field from an event-shaped record. A key segment reads an own key of an object (never of
 * an array); an index segment reads an element of an array (never a key of an object).
 */
export function lookupField(record: Readonly<Record<string, unknown>>, field: FieldNode): FieldValue {
  if (!Object.hasOwn(record, field.column)) return MISSING;
  let current = record[field.column] as JsonValue | undefined;
  if (current === undefined) return MISSING;
  for (const segment of field.path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return MISSING;
      current = current[segment] as JsonValue;
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return MISSING;
      if (!Object.hasOwn(current, segment)) return MISSING;
      current = current[segment] as JsonValue;
    }
    if (current === undefined) return MISSING;
  }
  return current;
}

/**
 * Compares group keys (arrays of values, one per groupBy entry): by the total order entry by
 * entry, and, where the order calls arrays/objects equal, by their canonical JSON so the result is
 * deterministic. SQL adapters sort their groups with this too.
 */
export function compareGroupKeys(a: readonly JsonValue[], b: readonly JsonValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as JsonValue;
    const y = b[i] as JsonValue;
    const c = compareValues(x, y);
    if (c !== 0) return c;
    if (x !== null && typeof x === 'object') {
      const t = compareCodePoints(canonicalJson(x), canonicalJson(y));
      if (t !== 0) return t;
    }
  }
  return 0;
}
