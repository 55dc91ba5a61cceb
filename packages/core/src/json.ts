/**
 * Checks that payloads and metadata are plain JSON that survives a round trip unchanged, and copies
 * them, in one recursive walk (this is on the append hot path).
 */

import { RULES } from './limits.js';
import type { JsonObject, JsonValue } from './model.js';
import { appendPath, describeValue, invalid } from './validation/issues.js';

type Segment = string | number;

/**
 * A problem with a string that JSON and the backends cannot carry: a NUL character or a lone
 * surrogate. Returns undefined when the string is fine.
 */
export function stringProblem(value: string): string | undefined {
  if (value.indexOf('\u0000') !== -1) {
    return 'contains a NUL character (U+0000), which cannot be stored; remove it';
  }
  if (!isWellFormed(value)) {
    return 'contains a lone surrogate (half of a UTF-16 pair), which is not valid Unicode; fix the string encoding';
  }
  return undefined;
}

const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** True when the string has no lone surrogates. */
export function isWellFormed(value: string): boolean {
  if (nativeWellFormed !== undefined) return nativeWellFormed.call(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const next = value.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** A prototype from another realm (a vm context, an iframe) that is still the plain `Object`/`Array` one. */
function isForeignBuiltinPrototype(proto: object, name: 'Object' | 'Array'): boolean {
  const ctor = (proto as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor.name !== name) return false;
  return name === 'Object'
    ? Object.getPrototypeOf(proto) === null
    : Object.getPrototypeOf(Object.getPrototypeOf(proto)) === null;
}

function describeInstance(value: object): string {
  const ctor = (value as { constructor?: unknown }).constructor;
  const name =
    typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'an object with a custom prototype';
  return name;
}

/**
 * Bytes of UTF-8 JSON of a string, quotes included, or -1 when the string holds a NUL or a lone
 * surrogate. A plain loop: for the short strings of payloads it beats a regex test.
 */
function stringJsonBytes(value: string): number {
  const n = value.length;
  let bytes = n + 2;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20) {
        if (c === 0x22 || c === 0x5c) bytes += 1;
      } else if (c === 0) return -1;
      else bytes += c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 1 : 5;
    } else if (c < 0x800) bytes += 1;
    else if (c < 0xd800 || c > 0xdfff) bytes += 2;
    else {
      const next = value.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return -1;
      bytes += 2; // two units, four bytes
      i++;
    }
  }
  return bytes;
}

/** Characters of a finite number as JSON writes it. */
function numberJsonLength(value: number): number {
  if (Number.isSafeInteger(value)) {
    let length = value < 0 ? 2 : 1;
    let rest = Math.abs(value);
    while (rest >= 10) {
      rest = Math.floor(rest / 10);
      length++;
    }
    return length;
  }
  return String(value).length;
}

/**
 * A problem found deep in a value. The walk keeps no path while it runs (that would cost on every
 * value); instead each container on the way back up records its segment and itself.
 */
class JsonProblem {
  /** Segments from the problem up to the root (reversed at the end). */
  readonly segments: Segment[] = [];
  /** Containers from the problem up to the root, to tell a cycle from deep nesting. */
  readonly containers: object[] = [];

  constructor(
    readonly problem: string,
    readonly tooDeep = false,
  ) {}
}

/** UTF-8 bytes of JSON of the values walked so far (the walk is synchronous). */
let walkedBytes = 0;

function walkString(v: string, what: 'string' | 'key'): void {
  const bytes = stringJsonBytes(v);
  if (bytes < 0) throw new JsonProblem(`the ${what} ${stringProblem(v) ?? 'is not valid Unicode'}`);
  walkedBytes += bytes;
}

function walkValue(v: unknown, depth: number): JsonValue {
  switch (typeof v) {
    case 'string':
      walkString(v, 'string');
      return v;
    case 'number':
      if (v === 0) {
        walkedBytes += 1;
        return 0; // -0 becomes 0, as JSON writes it
      }
      if (Number.isFinite(v)) {
        walkedBytes += numberJsonLength(v);
        return v;
      }
      throw new JsonProblem(`${String(v)} is not JSON; use a finite number or null`);
    case 'boolean':
      walkedBytes += v ? 4 : 5;
      return v;
    case 'object':
      if (v === null) {
        walkedBytes += 4;
        return null;
      }
      return walkContainer(v, depth);
    case 'undefined':
      throw new JsonProblem('undefined is not JSON; use null, or leave the key out');
    case 'bigint':
      throw new JsonProblem(
        `the BigInt ${String(v)}n is not JSON; use a number (if it is a safe integer) or a string`,
      );
    case 'function':
      throw new JsonProblem('a function is not JSON; pass data only');
    case 'symbol':
      throw new JsonProblem('a symbol is not JSON; use a string');
    default:
      throw new JsonProblem(`a value of type ${typeof v} is not JSON`);
  }
}

function walkContainer(v: object, depth: number): JsonValue {
  // A cycle also ends here: it nests without end. Which of the two it was is decided on the way up.
  if (depth >= RULES.maxJsonDepth) {
    throw new JsonProblem(`the value nests deeper than ${RULES.maxJsonDepth} levels; flatten it`, true);
  }
  const proto = Object.getPrototypeOf(v) as object | null;
  if (Array.isArray(v)) {
    if (proto !== Array.prototype && !(proto !== null && isForeignBuiltinPrototype(proto, 'Array'))) {
      throw new JsonProblem(`an instance of ${describeInstance(v)} is not plain JSON; use a plain array`);
    }
    return walkArray(v, depth + 1);
  }
  if (proto !== Object.prototype && proto !== null && !isForeignBuiltinPrototype(proto, 'Object')) {
    throw new JsonProblem(
      v instanceof Date
        ? 'a Date is not JSON; pass date.toISOString() or epoch milliseconds instead'
        : `an instance of ${describeInstance(v)} is not plain JSON; use a plain object, array, string, number, boolean or null`,
    );
  }
  return walkObject(v as Record<string, unknown>, depth + 1);
}

function walkArray(v: readonly unknown[], depth: number): JsonValue[] {
  const n = v.length;
  const out: JsonValue[] = new Array(n);
  walkedBytes += n === 0 ? 2 : n + 1; // brackets and commas
  let i = 0;
  try {
    for (; i < n; i++) {
      if (!(i in v))
        throw new JsonProblem('the array has a hole (a sparse array); JSON would turn it into null');
      const item = v[i];
      if (item === undefined) throw new JsonProblem('undefined in an array is not JSON; use null');
      out[i] = walkValue(item, depth);
    }
  } catch (error) {
    if (error instanceof JsonProblem) {
      error.segments.push(i);
      error.containers.push(v);
    }
    throw error;
  }
  return out;
}

function walkObject(v: Record<string, unknown>, depth: number): JsonObject {
  if (Object.getOwnPropertySymbols(v).length > 0) {
    throw new JsonProblem('the object has a symbol key, which JSON drops; use string keys only');
  }
  // One copy of the own enumerable members, each read once (a getter cannot change what was
  // checked). A spread copies a plain object's layout in one step, several times faster than
  // adding its keys one by one; a `__proto__` key becomes an own member, as JSON.parse makes it,
  // so writing it below writes the member, not the prototype. Then only the containers (replaced
  // by their copies), -0 (by 0) and undefined members (dropped, as JSON drops them) are written.
  const out: Record<string, unknown> = { ...v };
  walkedBytes += 1; // the opening brace; each member adds its key, a colon and a comma or the closing brace
  let members = 0;
  const keys = Object.keys(out);
  let key = '';
  try {
    for (let i = 0; i < keys.length; i++) {
      key = keys[i] as string;
      const item = out[key];
      if (item === undefined) {
        delete out[key];
        continue;
      }
      walkString(key, 'key');
      walkedBytes += 2;
      members++;
      const checked = walkValue(item, depth);
      if (item === 0 || typeof item === 'object') out[key] = checked;
    }
  } catch (error) {
    if (error instanceof JsonProblem) {
      error.segments.push(key);
      error.containers.push(v);
    }
    throw error;
  }
  if (members === 0) walkedBytes += 1;
  return out as JsonObject;
}

/**
 * Where a value is in the caller's input, for messages: its path (`events[2].payload`), or an
 * object whose `toString()` spells the path, so a hot caller builds no string unless a message
 * needs one.
 */
export type Where = string | { toString(): string };

/** Turns a problem into the VALIDATION_ERROR naming its location below `where`. */
function problemError(problem: JsonProblem, at: Where) {
  const where = String(at);
  const segments = problem.segments.reverse();
  if (problem.tooDeep) {
    const containers = problem.containers.reverse();
    // containers[i] is reached by segments[0..i); the first container seen twice closes a cycle.
    const seen = new Set<object>();
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i] as object;
      if (seen.has(c)) {
        return invalid(
          appendPath(where, segments.slice(0, i)),
          'the value contains a cycle (an object that contains itself), which JSON cannot represent',
        );
      }
      seen.add(c);
    }
  }
  return invalid(appendPath(where, segments), problem.problem);
}

/** Walks a value, returning its checked copy and size; throws VALIDATION_ERROR naming the location. */
function walk(value: unknown, where: Where, root: boolean): SizedJson {
  const outer = walkedBytes; // a getter in the value could start a nested walk
  walkedBytes = 0;
  try {
    const json = root ? walkContainer(value as object, 0) : walkValue(value, 0);
    return { json, bytes: walkedBytes };
  } catch (error) {
    if (error instanceof JsonProblem) throw problemError(error, where);
    throw error;
  } finally {
    walkedBytes = outer;
  }
}

/**
 * Checks that `value` is a plain JSON object that survives a JSON round trip unchanged, and returns
 * a fresh deep copy (never the caller's object, so later mutation by the caller cannot change
 * stored data).
 *
 * Rejected with `VALIDATION_ERROR`, the message naming the exact location: functions, BigInt,
 * symbols, Date and class instances, cycles, NaN/±Infinity, NUL characters and lone surrogates in
 * strings or keys, sparse arrays and `undefined` in arrays, symbol keys, nesting deeper than 100.
 * Keys whose value is `undefined` are dropped (as JSON does); `-0` becomes `0`.
 *
 * @param where the location of `value` in the caller's input, used in messages (`events[2].payload`)
 * @example
 * toJsonObject({ a: [1, NaN] }, 'payload')
 * // throws VALIDATION_ERROR "payload.a[1]: NaN is not JSON; use a finite number or null."
 */
export function toJsonObject(value: unknown, where: Where): JsonObject {
  return toSizedJsonObject(value, where).json;
}

/** A checked JSON copy with its size. */
export interface SizedJson<T extends JsonValue = JsonValue> {
  json: T;
  /** UTF-8 bytes of `JSON.stringify(json)`, counted during the walk. */
  bytes: number;
}

/**
 * {@link toJsonObject} that also returns the copy's size in UTF-8 bytes of JSON, counted in the
 * same walk (so appends check size limits without serializing).
 *
 * @example toSizedJsonObject({ a: 'é' }, 'payload') // { json: { a: 'é' }, bytes: 10 }
 */
export function toSizedJsonObject(value: unknown, where: Where): SizedJson<JsonObject> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(
      String(where),
      `must be a JSON object (like { "key": "value" }), got ${describeValue(value)}`,
    );
  }
  return walk(value, where, true) as SizedJson<JsonObject>;
}

/**
 * Checks and copies any JSON value (object, array or scalar) with the rules of {@link toJsonObject}.
 *
 * @example toJsonValue([1, 'a', null], 'value') // [1, 'a', null]
 */
export function toJsonValue(value: unknown, where: Where): JsonValue {
  return walk(value, where, false).json;
}

const NodeBuffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer;

/**
 * Bytes of UTF-8 of a (well-formed) string.
 *
 * @example utf8ByteLength('é') // 2
 */
export function utf8ByteLength(text: string): number {
  if (NodeBuffer !== undefined) return NodeBuffer.byteLength(text, 'utf8');
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff)
      i++; // a pair: 2 units, 4 bytes
    else bytes += 2;
  }
  return bytes;
}

/**
 * The size of a JSON value as stored: UTF-8 bytes of `JSON.stringify(value)`.
 *
 * @example jsonByteLength({ a: 'é' }) // 10
 */
export function jsonByteLength(value: JsonValue): number {
  return utf8ByteLength(JSON.stringify(value));
}
