/**
 * The PostgreSQL dialect (13+): `$n` placeholders, jsonb access with `#>` / `#>>` and the path as
 * a quoted text[] literal (`payload #> '{"a","0"}'`, so expression indexes on the same expression
 * serve the DSL), type tests with `jsonb_typeof`, `strpos` for literal substrings, `COLLATE "C"`
 * for code point order, `date_trunc`/`to_char` time buckets and `jsonb_agg(… ORDER BY …)`.
 *
 * JSON values are bound as text and cast (`$1::text::jsonb`), so no driver-specific jsonb
 * serialization is involved. The driver is expected to return jsonb values parsed (postgres.js does
 * by default); pass `{ parseJson: true }` for a driver that returns them as text.
 */

import type { JsonScalar, JsonValue, PathSegment, TimeInterval } from '@eventlog/core';
import type { Bind, JsonRef, OrderingOperator, SqlDialect } from '../compiler/sql-dialect.js';
import { textTimeBucket } from './text-time-bucket.js';

/** Options of {@link postgresDialect}. */
export interface PostgresDialectOptions {
  /** Parse jsonb values read from the driver with `JSON.parse` (for drivers returning text). Default false. */
  parseJson?: boolean;
}

const OPERATORS: Readonly<Record<OrderingOperator, string>> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/**
 * The text[] literal of a validated path: `'{"a","0","b-c"}'`. Every element is double-quoted, so
 * a key spelled `null` stays a key rather than becoming an array NULL.
 */
export function postgresJsonPath(path: readonly PathSegment[]): string {
  return `'{${path.map((s) => `"${String(s)}"`).join(',')}}'`;
}

/**
 * The PostgreSQL dialect.
 *
 * Known difference, shared with SPEC's note: `#>` reads an index segment as a key on an object
 * (`payload.a.0` finds `{"a":{"0":…}}`); SPEC says integer-like keys are not addressable by path.
 *
 * @example
 * const compiler = createQueryCompiler(postgresDialect(), { layout: { table: ['eventlog', 'events'], columns: DEFAULT_EVENT_COLUMNS } });
 */
export function postgresDialect(
  options: PostgresDialectOptions = {},
): SqlDialect & Required<Pick<SqlDialect, 'leadingEquals'>> {
  const parse = options.parseJson === true;
  const value = (ref: JsonRef) => `(${ref.doc} #> ${postgresJsonPath(ref.path)})`;
  const text = (ref: JsonRef) => `(${ref.doc} #>> ${postgresJsonPath(ref.path)})`;
  const typeOf = (ref: JsonRef) => `jsonb_typeof(${value(ref)})`;
  const jsonParam = (v: JsonValue, bind: Bind) => `${bind(JSON.stringify(v))}::text::jsonb`;

  return {
    name: 'postgres',
    placeholder: (index) => `$${index}`,
    quoteIdentifier: (name) => `"${name.replaceAll('"', '""')}"`,

    // jsonb equality is type-strict (1 ≠ true ≠ "1") and numeric for numbers (1 = 1.0).
    jsonEquals: (ref, v: JsonScalar, bind) => `${value(ref)} = ${jsonParam(v, bind)}`,
    jsonIn: (ref, values, bind) => `${value(ref)} IN (${values.map((v) => jsonParam(v, bind)).join(', ')})`,

    jsonCompare(ref, op, v, bind) {
      if (typeof v === 'number') {
        return `(${typeOf(ref)} = 'number' AND ${value(ref)} ${OPERATORS[op]} ${jsonParam(v, bind)})`;
      }
      // jsonb orders strings by the database collation; compare the text under "C" instead.
      return `(${typeOf(ref)} = 'string' AND ${text(ref)} COLLATE "C" ${OPERATORS[op]} ${bind(v)}::text)`;
    },

    jsonContains(ref, v, bind) {
      // `@>` with a one-element array: some element equals v, same type (scalars only match scalars).
      const inArray = `(${typeOf(ref)} = 'array' AND ${value(ref)} @> ${jsonParam([v], bind)})`;
      if (typeof v !== 'string') return inArray;
      return `((${typeOf(ref)} = 'string' AND strpos(${text(ref)}, ${bind(v)}::text) > 0) OR ${inArray})`;
    },

    jsonExists: (ref) => `${value(ref)} IS NOT NULL`,
    jsonPresentNotNull: (ref) => `${typeOf(ref)} <> 'null'`,

    jsonOrderKeys(ref) {
      const t = typeOf(ref);
      return [
        `CASE ${t} WHEN 'null' THEN 1 WHEN 'boolean' THEN (CASE WHEN ${value(ref)} = 'true'::jsonb THEN 3 ELSE 2 END) WHEN 'number' THEN 4 WHEN 'string' THEN 5 WHEN 'array' THEN 6 WHEN 'object' THEN 6 ELSE 0 END`,
        `CASE WHEN ${t} = 'number' THEN ${value(ref)} END`,
        `(CASE WHEN ${t} = 'string' THEN ${text(ref)} END) COLLATE "C"`,
      ];
    },

    // jsonb equality ignores object key order, as the evaluator's grouping does.
    jsonGroupKey: (ref) => `COALESCE(${value(ref)}, 'null'::jsonb)`,
    jsonNumber: (ref) => `CASE WHEN ${typeOf(ref)} = 'number' THEN ${value(ref)}::float8 END`,
    jsonString: (ref) => `CASE WHEN ${typeOf(ref)} = 'string' THEN ${text(ref)} END`,
    jsonValue: (ref) => value(ref),

    documentJson: (doc) => doc,
    documentGroupKey: (doc) => doc,
    selectDocument: (doc) => doc,
    textContains: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
    collate: (expr) => `(${expr}) COLLATE "C"`,
    // `= ANY` of a one-element array is no equivalence to the planner, so the column stays in the
    // order, which only the index gives; the index still seeks it as an equality.
    leadingEquals: (column, v) => `${column} = ANY(ARRAY[${v}])`,

    timeBucket(timestamp, interval: TimeInterval) {
      // Text → timestamp ignores the trailing Z: the wall time is already UTC. ISO weeks start Monday.
      return textTimeBucket(
        timestamp,
        interval,
        (ts) => `to_char(date_trunc('week', (${ts})::timestamp), 'YYYY-MM-DD')`,
      );
    },

    toDouble: (expr) => `(${expr})::float8`,
    sumDouble: (expr) => `COALESCE(sum(${expr}), 0)`,
    avgDouble: (expr) => `avg(${expr})`,
    jsonArrayAgg: (v, orderBy, filter) =>
      `COALESCE(jsonb_agg(${v} ORDER BY ${orderBy})${filter === undefined ? '' : ` FILTER (WHERE ${filter})`}, '[]'::jsonb)`,

    decodeJson(v): JsonValue {
      if (parse && typeof v === 'string') return JSON.parse(v) as JsonValue;
      return (v ?? null) as JsonValue;
    },
  };
}
