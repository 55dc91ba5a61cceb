/**
 * The SQLite dialect (3.45+, for JSONB and aggregate ORDER BY): `?` placeholders, `json_extract`
 * / `json_type` with the path as a quoted literal (`'$."a"[0]'`, so expression indexes on
 * `json_extract(payload, '$."a"')` serve the DSL), `instr` for literal substrings, BINARY (code
 * point) collation, `strftime`-free time buckets and `json_group_array(… ORDER BY …)`.
 */

import {
  canonicalJson,
  type JsonScalar,
  type JsonValue,
  type PathSegment,
  type TimeInterval,
} from '@eventlog/core';
import type { Bind, JsonRef, OrderingOperator, SqlDialect } from '../compiler/sql-dialect.js';
import { textTimeBucket } from './text-time-bucket.js';

/** Options of {@link sqliteDialect}. */
export interface SqliteDialectOptions {
  /**
   * How `payload` and `metadata` are stored: JSON `text` (default) or SQLite `jsonb` blobs.
   * JSON functions read both; JSONB columns are turned back into text with `json()` when selected.
   */
  documents?: 'text' | 'jsonb';
  /**
   * The name of a SQL function, registered on the connection, that turns JSON text into its
   * canonical form (object keys sorted): see {@link canonicalJsonText} and
   * {@link SQLITE_CANONICAL_JSON_FUNCTION}. With it, group keys that are objects (or arrays of
   * objects) group by JSON equality, ignoring key order, exactly as the evaluator does; without it
   * they group by their stored text. It only runs for array and object keys.
   */
  canonicalJsonFunction?: string;
}

/** The conventional name of the canonical-JSON function the SQLite adapter registers. */
export const SQLITE_CANONICAL_JSON_FUNCTION = 'eventlog_canonical_json';

/**
 * The canonical JSON text of JSON text: object keys sorted by code point, no whitespace. Register
 * it as a deterministic SQL function for {@link SqliteDialectOptions.canonicalJsonFunction}.
 *
 * @example
 * db.function(SQLITE_CANONICAL_JSON_FUNCTION, { deterministic: true }, canonicalJsonText);
 */
export function canonicalJsonText(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  return canonicalJson(JSON.parse(text) as JsonValue);
}

const OPERATORS: Readonly<Record<OrderingOperator, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * The SQLite JSON path literal of a validated path: `'$."a"[0]."b-c"'`. Keys are double-quoted so
 * `-` needs no care; the grammar (`[A-Za-z_][A-Za-z0-9_-]*`) holds no quote of either kind.
 */
export function sqliteJsonPath(path: readonly PathSegment[]): string {
  let text = "'$";
  for (const segment of path) text += typeof segment === 'number' ? `[${segment}]` : `."${segment}"`;
  return `${text}'`;
}

/**
 * The SQLite dialect.
 *
 * Equality relies on what `json_extract` returns — SQL NULL for JSON null and missing, 1/0 for
 * true/false, the number, the string's text, the minified text of an array or object — and adds a
 * `json_type` test only where that could confuse types: for the numbers 0 and 1 (booleans) and for
 * strings starting with `[` or `{` (containers). So the common `payload.x eq "abc"` stays one
 * index-friendly `json_extract(…) = ?`.
 *
 * @example
 * const compiler = createQueryCompiler(sqliteDialect());
 */
export function sqliteDialect(options: SqliteDialectOptions = {}): SqlDialect {
  const jsonb = options.documents === 'jsonb';
  const canonical = options.canonicalJsonFunction;
  if (canonical !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(canonical)) {
    throw new TypeError(`Invalid SQL function name ${JSON.stringify(canonical)}.`);
  }
  const extract = (ref: JsonRef) => `json_extract(${ref.doc}, ${sqliteJsonPath(ref.path)})`;
  const type = (ref: JsonRef) => `json_type(${ref.doc}, ${sqliteJsonPath(ref.path)})`;

  /** `json_extract(…) = ?` alone is type-strict for this value (see the dialect's notes). */
  const plainEquality = (value: JsonScalar): value is number | string =>
    (typeof value === 'number' && value !== 0 && value !== 1) ||
    (typeof value === 'string' && !value.startsWith('[') && !value.startsWith('{'));

  const equals = (ref: JsonRef, value: JsonScalar, bind: Bind): string => {
    if (value === null) return `${type(ref)} = 'null'`;
    if (value === true) return `${type(ref)} = 'true'`;
    if (value === false) return `${type(ref)} = 'false'`;
    if (plainEquality(value)) return `${extract(ref)} = ${bind(value)}`;
    const types = typeof value === 'number' ? `IN ('integer', 'real')` : `= 'text'`;
    return `(${extract(ref)} = ${bind(value)} AND ${type(ref)} ${types})`;
  };

  /** An element of `json_each` (alias `j`) equal to the scalar, same type. */
  const elementEquals = (value: JsonScalar, bind: Bind): string => {
    if (value === null) return `j.type = 'null'`;
    if (value === true) return `j.type = 'true'`;
    if (value === false) return `j.type = 'false'`;
    if (typeof value === 'number') return `j.type IN ('integer', 'real') AND j.atom = ${bind(value)}`;
    return `j.type = 'text' AND j.atom = ${bind(value)}`;
  };

  return {
    name: 'sqlite',
    placeholder: () => '?',
    quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,

    jsonEquals: equals,

    jsonIn(ref, values, bind) {
      const plain = values.filter(plainEquality);
      const parts: string[] = [];
      if (plain.length === 1) parts.push(`${extract(ref)} = ${bind(plain[0])}`);
      else if (plain.length > 1) parts.push(`${extract(ref)} IN (${plain.map((v) => bind(v)).join(', ')})`);
      for (const value of values) if (!plainEquality(value)) parts.push(equals(ref, value, bind));
      return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
    },

    jsonCompare(ref, op, value, bind) {
      const types = typeof value === 'number' ? `IN ('integer', 'real')` : `= 'text'`;
      return `(${extract(ref)} ${OPERATORS[op]} ${bind(value)} AND ${type(ref)} ${types})`;
    },

    jsonContains(ref, value, bind) {
      // json_each of a scalar yields the scalar itself, hence the explicit array test.
      const inArray = `(${type(ref)} = 'array' AND EXISTS (SELECT 1 FROM json_each(${ref.doc}, ${sqliteJsonPath(ref.path)}) AS j WHERE ${elementEquals(value, bind)}))`;
      if (typeof value !== 'string') return inArray;
      return `((${type(ref)} = 'text' AND instr(${extract(ref)}, ${bind(value)}) > 0) OR ${inArray})`;
    },

    jsonExists: (ref) => `${type(ref)} IS NOT NULL`,
    jsonPresentNotNull: (ref) => `${type(ref)} <> 'null'`,

    jsonOrderKeys(ref) {
      const t = type(ref);
      return [
        `CASE ${t} WHEN 'null' THEN 1 WHEN 'false' THEN 2 WHEN 'true' THEN 3 WHEN 'integer' THEN 4 WHEN 'real' THEN 4 WHEN 'text' THEN 5 WHEN 'array' THEN 6 WHEN 'object' THEN 6 ELSE 0 END`,
        // Arrays and objects are equal in the total order: give them no second key.
        `CASE WHEN ${t} IN ('integer', 'real', 'text') THEN ${extract(ref)} END`,
      ];
    },

    jsonGroupKey(ref) {
      // `->` renders the JSON text of the value ('null' for JSON null, NULL when missing).
      const json = `${ref.doc} -> ${sqliteJsonPath(ref.path)}`;
      if (canonical === undefined) return `COALESCE(${json}, 'null')`;
      return `CASE WHEN ${type(ref)} IN ('array', 'object') THEN ${canonical}(${json}) ELSE COALESCE(${json}, 'null') END`;
    },
    jsonNumber: (ref) => `CASE WHEN ${type(ref)} IN ('integer', 'real') THEN ${extract(ref)} END`,
    jsonString: (ref) => `CASE WHEN ${type(ref)} = 'text' THEN ${extract(ref)} END`,
    // `->` returns JSON with the JSON subtype, so json_group_array embeds it rather than quoting it.
    jsonValue: (ref) => `${ref.doc} -> ${sqliteJsonPath(ref.path)}`,

    documentJson: (doc) => `json(${doc})`,
    documentGroupKey: (doc) => (canonical === undefined ? `json(${doc})` : `${canonical}(json(${doc}))`),
    selectDocument: (doc) => (jsonb ? `json(${doc})` : doc),
    textContains: (text, needle) => `instr(${text}, ${needle}) > 0`,
    // Columns use the default BINARY collation: memcmp of UTF-8, which is code point order.
    collate: (text) => text,

    timeBucket(timestamp, interval: TimeInterval) {
      // Back six days, then forward to the next Monday: the Monday on or before the day.
      return textTimeBucket(timestamp, interval, (ts) => `date(${ts}, '-6 days', 'weekday 1')`);
    },

    toDouble: (expr) => `CAST(${expr} AS REAL)`,
    // total() is a double sum that is 0.0 over no values and never overflows like sum() on integers.
    sumDouble: (expr) => `total(${expr})`,
    avgDouble: (expr) => `avg(${expr})`,
    jsonArrayAgg: (value, orderBy, filter) =>
      `json_group_array(${value} ORDER BY ${orderBy})${filter === undefined ? '' : ` FILTER (WHERE ${filter})`}`,

    decodeJson(value): JsonValue {
      if (typeof value === 'string') return JSON.parse(value) as JsonValue;
      if (value === null || value === undefined) return null;
      throw new TypeError(`Expected JSON text from SQLite, got ${typeof value}.`);
    },
  };
}
