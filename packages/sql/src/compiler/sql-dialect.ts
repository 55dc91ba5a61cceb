/**
 * The dialect contract: what differs between SQL backends. The shared compiler walks the AST,
 * assembles statements and decodes rows; a {@link SqlDialect} supplies placeholders, identifier
 * quoting, JSON access, type tests, substring search, collation, time buckets and aggregate
 * spellings. Every hook returns SQL text; values reach it only through {@link Bind}, so they are
 * always bound parameters.
 */

import type { JsonScalar, JsonValue, PathSegment, TimeInterval } from '@eventlog/core';

/**
 * Registers a value as a bound parameter and returns the text to put where it goes. Call it once
 * per occurrence: with positional `?` placeholders every occurrence is its own parameter.
 */
export type Bind = (value: unknown) => string;

/** The ordering operators. */
export type OrderingOperator = 'gt' | 'gte' | 'lt' | 'lte';

/**
 * A path inside a JSON document column.
 *
 * - `doc` is the SQL expression of the column (already qualified, e.g. `e."payload"`);
 * - `path` has at least one segment; key segments match `[A-Za-z_][A-Za-z0-9_-]*` and index
 *   segments are non-negative integers (checked again by {@link assertJsonPath} before any hook
 *   runs), so dialects may render them into quoted SQL literals.
 */
export interface JsonRef {
  readonly doc: string;
  readonly path: readonly PathSegment[];
}

/**
 * Hooks of one SQL dialect. "Nullable" conditions may yield SQL NULL where they do not hold; the
 * compiler negates them with `IS NOT TRUE`, so NULL always reads as "false". Condition hooks return
 * expressions that combine with AND / OR / NOT as they are: parenthesize compound ones.
 *
 * Conditions on JSON paths must follow SPEC §4 exactly: no conversion between types (`1` ≠ `true`
 * ≠ `"1"`, JSON null ≠ missing), strings by Unicode code point, and a key segment never reads an
 * array nor an index segment an object.
 */
export interface SqlDialect {
  /** A short name, e.g. `sqlite` or `postgres`. */
  readonly name: string;

  /** The placeholder of the `index`-th parameter (1-based): `?` or `$1`. */
  placeholder(index: number): string;
  /** Quotes one identifier (a table, schema or column name). */
  quoteIdentifier(name: string): string;

  /** Nullable condition: the value at `ref` equals the scalar, same JSON type. */
  jsonEquals(ref: JsonRef, value: JsonScalar, bind: Bind): string;
  /**
   * Nullable condition: the value at `ref` equals one of the scalars. Optional; the compiler falls
   * back to an `OR` of {@link jsonEquals}.
   */
  jsonIn?(ref: JsonRef, values: readonly JsonScalar[], bind: Bind): string;
  /** Nullable condition: the value at `ref` is a number (resp. string) and `op` holds against `value`. */
  jsonCompare(ref: JsonRef, op: OrderingOperator, value: number | string, bind: Bind): string;
  /**
   * Nullable condition: `contains` — a string value with `value` (a string) as a literal substring,
   * or an array with an element equal (same type) to `value`.
   */
  jsonContains(ref: JsonRef, value: JsonScalar, bind: Bind): string;
  /** Nullable condition: the path is present (JSON null counts as present). */
  jsonExists(ref: JsonRef): string;
  /** Nullable condition: the path is present and not JSON null (for `count` with a field). */
  jsonPresentNotNull(ref: JsonRef): string;
  /**
   * Ascending ORDER BY keys that sort the value at `ref` in the total order: missing, null, false,
   * true, numbers, strings (by code point), then arrays and objects as equals. The compiler appends
   * the direction to each key and the `global_position` tie-break.
   */
  jsonOrderKeys(ref: JsonRef): string[];
  /**
   * A GROUP BY key for the value at `ref`: equal for JSON-equal values, distinct across types,
   * with missing and JSON null giving the same key. Decoded with {@link decodeJson}.
   */
  jsonGroupKey(ref: JsonRef): string;
  /** The value at `ref` as a number when it is a JSON number, else NULL. */
  jsonNumber(ref: JsonRef): string;
  /** The value at `ref` as text when it is a JSON string, else NULL. */
  jsonString(ref: JsonRef): string;
  /** The value at `ref` as JSON (for `collect`), NULL when missing. */
  jsonValue(ref: JsonRef): string;

  /** A whole JSON document column as JSON (for `collect`). */
  documentJson(doc: string): string;
  /** A whole JSON document column as a GROUP BY key (equal for JSON-equal documents); decoded with {@link decodeJson}. */
  documentGroupKey(doc: string): string;
  /** A whole JSON document column in a SELECT list; decoded with {@link decodeJson}. */
  selectDocument(doc: string): string;
  /** Non-null condition: `needle` (a bound text parameter) is a literal substring of `text` (never LIKE). */
  textContains(text: string, needle: string): string;
  /** Makes a text expression compare and sort by Unicode code point. */
  collate(text: string): string;
  /**
   * `column = value` for an index's leading column, written so that an `ORDER BY` starting with
   * `column` still needs that index. Optional; a plain `=` when absent. PostgreSQL: with a plain
   * `=` on a value its plan cannot see (a generic plan's parameter, a CTE's column) the planner
   * takes the column as fixed and drops it from the order; ordered by `global_position` alone, a
   * walk of the primary key keeping one instance's events could look cheaper than seeking the
   * (instance, …, position) index, and it passes every event other instances wrote.
   */
  leadingEquals?(column: string, value: string): string;
  /**
   * The canonical ISO string of the UTC start of the bucket containing `timestamp` (a canonical
   * ISO text expression): see `timeBucketStart` in core.
   */
  timeBucket(timestamp: string, interval: TimeInterval): string;
  /** A numeric expression as a double. */
  toDouble(expr: string): string;
  /** Aggregate: the sum of a double expression, `0` when there are no non-null values. */
  sumDouble(expr: string): string;
  /** Aggregate: the mean of a double expression, NULL when there are no non-null values. */
  avgDouble(expr: string): string;
  /**
   * Aggregate: a JSON array of `value` (a JSON expression) over the rows where `filter` holds (all
   * rows when undefined), ordered by `orderBy`; an empty array when none. Decoded with
   * {@link decodeJson}.
   */
  jsonArrayAgg(value: string, orderBy: string, filter: string | undefined): string;

  /** Turns a JSON value read from the driver (text, or an already parsed value) into a JS value. */
  decodeJson(value: unknown): JsonValue;
}

/** Key segments of paths: the DSL grammar of SPEC §4. */
const KEY_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Checks a JSON path again before it is rendered into SQL text. The parser already validated it;
 * this guard keeps a bug elsewhere from ever becoming SQL injection.
 *
 * @throws TypeError when a segment is neither a grammar key nor a non-negative safe integer
 */
export function assertJsonPath(path: readonly PathSegment[]): void {
  if (path.length === 0) throw new TypeError('A JSON path needs at least one segment.');
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Number.isSafeInteger(segment) || segment < 0) {
        throw new TypeError(`Invalid array index ${String(segment)} in a JSON path.`);
      }
    } else if (typeof segment !== 'string' || !KEY_SEGMENT.test(segment)) {
      throw new TypeError(`Invalid key ${JSON.stringify(segment)} in a JSON path.`);
    }
  }
}

/**
 * `column = value` for an index's leading column as the dialect writes it
 * ({@link SqlDialect.leadingEquals}), a plain `=` when it has no form of its own.
 */
export function leadingEquals(dialect: SqlDialect, column: string, value: string): string {
  return dialect.leadingEquals?.(column, value) ?? `${column} = ${value}`;
}
