/**
 * Serializing requests for the wire. `JSON.stringify` silently changes values JSON cannot carry
 * (a `Date` becomes a string, `NaN` becomes null, a function disappears); the in-process API
 * rejects those with `VALIDATION_ERROR`, so the client does too instead of sending something else.
 */

import { validationError } from '@eventlog/core';

/** Why `value` cannot travel as JSON unchanged, or undefined when it can. */
function problemOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'function':
      return 'is a function, which JSON cannot carry';
    case 'symbol':
      return 'is a symbol, which JSON cannot carry';
    case 'bigint':
      return 'is a BigInt, which JSON cannot carry; pass a number or a string';
    case 'number':
      return Number.isFinite(value) ? undefined : `is ${String(value)}, which JSON cannot carry`;
    case 'object': {
      if (value === null || Array.isArray(value)) return undefined;
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) return undefined;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      const what =
        typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a custom prototype';
      return `is ${what}, which does not survive a JSON round trip; pass plain objects${what === 'a Date' ? ' (date.toISOString() for dates)' : ''}`;
    }
    default:
      return undefined;
  }
}

/**
 * `JSON.stringify(message)`, but throws `VALIDATION_ERROR` (naming the path) instead of changing a
 * value JSON cannot carry: functions, symbols, BigInts, non-finite numbers, class instances (a
 * `Date`, a `Map`) and cycles. Keys whose value is `undefined` are dropped, as JSON does.
 *
 * @throws EventLogError `VALIDATION_ERROR`
 * @example toWireJson({ type: 'eventLog.getInstance', requestId: 'r1', params: { instanceId: 'a' } })
 */
export function toWireJson(message: { params?: unknown }): string {
  const paths = new Map<object, string>();
  try {
    return JSON.stringify(message, function (this: unknown, key: string, value: unknown) {
      // `this` is the holder: read the original value, before any toJSON() ran.
      const holder = this as Record<string, unknown>;
      const original = key === '' ? value : holder[key];
      const parent = typeof holder === 'object' && holder !== null ? paths.get(holder) : undefined;
      let path = key;
      if (key === '') path = '';
      else if (Array.isArray(holder)) path = `${parent ?? ''}[${key}]`;
      else if (parent !== undefined && parent !== '') path = `${parent}.${key}`;
      if (original === undefined && !Array.isArray(holder)) return undefined;
      const problem = original === undefined ? 'is undefined inside an array' : problemOf(original);
      if (problem !== undefined) {
        // Name the place as the in-process API would: relative to the params.
        throw validationError(`${path.replace(/^params\.?/, '') || 'params'}: ${problem}.`);
      }
      if (typeof original === 'object' && original !== null) paths.set(original, path);
      return value;
    });
  } catch (error) {
    if (error instanceof TypeError && /circular/i.test(error.message)) {
      throw validationError(
        'params: holds a cycle (an object that contains itself), which JSON cannot carry.',
      );
    }
    throw error;
  }
}

/** UTF-8 bytes of a string, computed only when the answer could exceed `max`. */
export function exceedsBytes(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return new TextEncoder().encode(text).length > max;
}
