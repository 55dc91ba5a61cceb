/**
 * `where` conditions → SQL, shared by every dialect. Typed columns are handled here (a value of
 * another type folds to TRUE/FALSE at compile time); JSON paths go to the dialect's hooks.
 *
 * A compiled condition is `true`, `false`, or SQL text that may be NULL when `nullable` (NULL
 * reads as "does not hold"). Negation uses `IS NOT TRUE` on nullable conditions, so `not(eq)` and
 * `neq` match a missing field exactly as the evaluator does.
 */

import { type ConditionNode, compareCodePoints, type JsonScalar, type OrderedScalar } from '@eventlog/core';
import { type FieldRef, type QualifiedColumns, resolveField } from './field-ref.js';
import type { Bind, OrderingOperator, SqlDialect } from './sql-dialect.js';

/** A compiled condition: a constant, or SQL text (which may yield NULL when `nullable`). */
export type SqlCondition = boolean | { readonly sql: string; readonly nullable: boolean };

/** What compiling a condition needs. */
export interface ConditionContext {
  readonly dialect: SqlDialect;
  readonly columns: QualifiedColumns;
  /** The queried instance's public id (the value of the `instanceId` field). */
  readonly instanceId: string;
  readonly bind: Bind;
  /**
   * SQL that holds for events carrying `tag` (from the tag index); undefined when the layout has
   * no tag table, and then `tags contains` cannot be compiled.
   */
  readonly tagContains?: ((tag: string) => string) | undefined;
}

const MAX = Number.MAX_SAFE_INTEGER;

const SQL_OPERATORS: Readonly<Record<'eq' | OrderingOperator, string>> = {
  eq: '=',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

function sqlOf(sql: string, nullable: boolean): SqlCondition {
  return { sql, nullable };
}

/** SQL text of a compiled condition (`TRUE` / `FALSE` for constants). */
export function conditionText(condition: SqlCondition): string {
  if (condition === true) return 'TRUE';
  if (condition === false) return 'FALSE';
  return condition.sql;
}

/** All of the conditions hold; constants fold. */
export function andConditions(parts: readonly SqlCondition[]): SqlCondition {
  const kept: Exclude<SqlCondition, boolean>[] = [];
  for (const p of parts) {
    if (p === false) return false;
    if (p !== true) kept.push(p);
  }
  if (kept.length === 0) return true;
  if (kept.length === 1) return kept[0] as SqlCondition;
  return sqlOf(
    `(${kept.map((k) => k.sql).join(' AND ')})`,
    kept.some((k) => k.nullable),
  );
}

/** Some condition holds; constants fold. */
export function orConditions(parts: readonly SqlCondition[]): SqlCondition {
  const kept: Exclude<SqlCondition, boolean>[] = [];
  for (const p of parts) {
    if (p === true) return true;
    if (p !== false) kept.push(p);
  }
  if (kept.length === 0) return false;
  if (kept.length === 1) return kept[0] as SqlCondition;
  return sqlOf(
    `(${kept.map((k) => k.sql).join(' OR ')})`,
    kept.some((k) => k.nullable),
  );
}

/** The condition does not hold (NULL counting as "does not hold"). */
export function notCondition(part: SqlCondition): SqlCondition {
  if (typeof part === 'boolean') return !part;
  return part.nullable ? sqlOf(`(${part.sql}) IS NOT TRUE`, false) : sqlOf(`NOT (${part.sql})`, false);
}

/** Compiles a condition node. */
export function compileConditionNode(node: ConditionNode, ctx: ConditionContext): SqlCondition {
  switch (node.kind) {
    case 'and':
      return andConditions(node.conditions.map((c) => compileConditionNode(c, ctx)));
    case 'or':
      return orConditions(node.conditions.map((c) => compileConditionNode(c, ctx)));
    case 'not':
      return notCondition(compileConditionNode(node.condition, ctx));
    case 'compare': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      if (node.op === 'eq') return equals(field, node.value, ctx);
      if (node.op === 'neq') return notCondition(equals(field, node.value, ctx));
      const value = node.value;
      if (typeof value !== 'number' && typeof value !== 'string') return false;
      return compare(field, node.op, value, ctx);
    }
    case 'in': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      return inList(field, node.values, ctx);
    }
    case 'between': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      return between(field, node.low, node.high, ctx);
    }
    case 'contains': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      return contains(field, node.value, ctx);
    }
    case 'startsWith': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      return startsWith(field, node.prefix, ctx);
    }
    case 'exists': {
      const field = resolveField(node.field, ctx.columns, ctx.instanceId);
      if (field.kind === 'tags') return sqlOf(`${field.sql} IS ${node.exists ? 'NOT ' : ''}NULL`, false);
      if (field.kind !== 'path') return node.exists;
      const present = sqlOf(ctx.dialect.jsonExists(field.ref), true);
      return node.exists ? present : notCondition(present);
    }
    default:
      throw new TypeError(`Unknown condition node ${JSON.stringify((node as { kind?: unknown }).kind)}.`);
  }
}

function columnAccepts(field: Extract<FieldRef, { kind: 'column' }>, value: JsonScalar): boolean {
  if (typeof value !== field.type) return false;
  // Integer columns never equal a fraction, nor a number past the safe range (which PostgreSQL's
  // bigint parameters would reject).
  return !field.integer || Number.isSafeInteger(value);
}

function equals(field: FieldRef, value: JsonScalar, ctx: ConditionContext): SqlCondition {
  switch (field.kind) {
    case 'constant':
      return value === field.value;
    case 'document':
    case 'tags':
      return false;
    case 'column':
      return columnAccepts(field, value) ? sqlOf(`${field.sql} = ${ctx.bind(value)}`, false) : false;
    case 'path':
      return sqlOf(ctx.dialect.jsonEquals(field.ref, value, ctx.bind), true);
  }
}

function inList(field: FieldRef, values: readonly JsonScalar[], ctx: ConditionContext): SqlCondition {
  switch (field.kind) {
    case 'constant':
      return values.includes(field.value);
    case 'document':
    case 'tags':
      return false;
    case 'column': {
      const kept = [...new Set(values.filter((v) => columnAccepts(field, v)))];
      if (kept.length === 0) return false;
      if (kept.length === 1) return sqlOf(`${field.sql} = ${ctx.bind(kept[0])}`, false);
      return sqlOf(`${field.sql} IN (${kept.map((v) => ctx.bind(v)).join(', ')})`, false);
    }
    case 'path': {
      const distinct = [...new Set(values)];
      if (ctx.dialect.jsonIn !== undefined && distinct.length > 1) {
        return sqlOf(ctx.dialect.jsonIn(field.ref, distinct, ctx.bind), true);
      }
      return orConditions(distinct.map((v) => sqlOf(ctx.dialect.jsonEquals(field.ref, v, ctx.bind), true)));
    }
  }
}

function holds(op: OrderingOperator, c: number): boolean {
  switch (op) {
    case 'gt':
      return c > 0;
    case 'gte':
      return c >= 0;
    case 'lt':
      return c < 0;
    case 'lte':
      return c <= 0;
  }
}

/**
 * Turns `x op v` on an integer column into an equivalent comparison with a safe integer bound, or
 * a constant: column values are safe integers, so `x > 1.5` is `x >= 2` and `x < 1e300` always holds.
 */
function integerBound(op: OrderingOperator, v: number): { op: OrderingOperator; bound: number } | boolean {
  if (Number.isSafeInteger(v)) return { op, bound: v };
  if (op === 'gt' || op === 'gte') {
    const bound = op === 'gt' ? Math.floor(v) + 1 : Math.ceil(v);
    if (bound > MAX) return false;
    if (bound < -MAX) return true;
    return { op: 'gte', bound };
  }
  const bound = op === 'lt' ? Math.ceil(v) - 1 : Math.floor(v);
  if (bound < -MAX) return false;
  if (bound > MAX) return true;
  return { op: 'lte', bound };
}

function compare(
  field: FieldRef,
  op: OrderingOperator,
  value: OrderedScalar,
  ctx: ConditionContext,
): SqlCondition {
  switch (field.kind) {
    case 'constant':
      return typeof value === 'string' && holds(op, compareCodePoints(field.value, value));
    case 'document':
    case 'tags':
      return false;
    case 'column': {
      if (typeof value !== field.type) return false;
      if (field.type === 'string') {
        return sqlOf(`${ctx.dialect.collate(field.sql)} ${SQL_OPERATORS[op]} ${ctx.bind(value)}`, false);
      }
      const normalized = field.integer ? integerBound(op, value as number) : { op, bound: value as number };
      if (typeof normalized === 'boolean') return normalized;
      return sqlOf(`${field.sql} ${SQL_OPERATORS[normalized.op]} ${ctx.bind(normalized.bound)}`, false);
    }
    case 'path':
      return sqlOf(ctx.dialect.jsonCompare(field.ref, op, value, ctx.bind), true);
  }
}

function between(
  field: FieldRef,
  low: OrderedScalar,
  high: OrderedScalar,
  ctx: ConditionContext,
): SqlCondition {
  if (
    field.kind === 'column' &&
    field.type === 'string' &&
    typeof low === 'string' &&
    typeof high === 'string'
  ) {
    const text = ctx.dialect.collate(field.sql);
    return sqlOf(`${text} BETWEEN ${ctx.bind(low)} AND ${ctx.bind(high)}`, false);
  }
  if (field.kind === 'column' && field.integer && typeof low === 'number' && typeof high === 'number') {
    if (Number.isSafeInteger(low) && Number.isSafeInteger(high)) {
      return sqlOf(`${field.sql} BETWEEN ${ctx.bind(low)} AND ${ctx.bind(high)}`, false);
    }
  }
  return andConditions([compare(field, 'gte', low, ctx), compare(field, 'lte', high, ctx)]);
}

function contains(field: FieldRef, value: JsonScalar, ctx: ConditionContext): SqlCondition {
  switch (field.kind) {
    case 'constant':
      return typeof value === 'string' && field.value.includes(value);
    case 'document':
      return false;
    case 'tags': {
      // Tags are strings: another scalar is never an element.
      if (typeof value !== 'string') return false;
      if (ctx.tagContains === undefined) {
        throw new TypeError(
          'tags contains needs a tag table in the events table layout (EventTableLayout.tagTable).',
        );
      }
      return sqlOf(ctx.tagContains(value), false);
    }
    case 'column':
      if (field.type !== 'string' || typeof value !== 'string') return false;
      return sqlOf(ctx.dialect.textContains(field.sql, ctx.bind(value)), false);
    case 'path':
      return sqlOf(ctx.dialect.jsonContains(field.ref, value, ctx.bind), true);
  }
}

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order:
 * the prefix with its last code point incremented (skipping the surrogate range, which no stored
 * string holds), after dropping trailing U+10FFFF; undefined when every code point is U+10FFFF.
 *
 * @example prefixSuccessor('order-') // 'order.'
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0) as number);
  while (points.length > 0) {
    const last = points.pop() as number;
    if (last < 0x10ffff) {
      points.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}

/**
 * `startsWith` as a range, `prefix <= x < successor` in code point order: an index on the column
 * serves it (SQLite's BINARY collation; PostgreSQL under `COLLATE "C"`), where `substr` or `LIKE`
 * would scan, and no character of the prefix means anything special.
 */
function startsWith(field: FieldRef, prefix: string, ctx: ConditionContext): SqlCondition {
  const upper = prefixSuccessor(prefix);
  switch (field.kind) {
    case 'constant':
      return field.value.startsWith(prefix);
    case 'document':
    case 'tags':
      return false;
    case 'column':
    case 'path': {
      if (field.kind === 'column' && field.type !== 'string') return false;
      const low = compare(field, 'gte', prefix, ctx);
      return upper === undefined ? low : andConditions([low, compare(field, 'lt', upper, ctx)]);
    }
  }
}
