/**
 * The query parser: raw JSON DSL → frozen AST ({@link QueryNode}). Every rule of the DSL is checked
 * here, before storage is touched, so the evaluator and the SQL compilers can rely on the
 * invariants documented in `ast.ts`. Errors name the exact location (`where[2].or[0].value`).
 *
 * Hand-written rather than zod: the DSL is recursive and its messages must say what is allowed at
 * each spot, and building the AST in the same walk avoids a second pass.
 */

import { limitExceeded } from '../errors.js';
import { stringProblem } from '../json.js';
import { DEFAULT_LIMITS, type Limits, RULES } from '../limits.js';
import type { JsonScalar, ReduceType, TimeInterval } from '../model.js';
import { normalizeTimestamp } from '../timestamp.js';
import { describeValue, invalid } from '../validation/issues.js';
import { checkName } from '../validation/names.js';
import {
  type AndNode,
  COLUMN_ALIASES,
  COLUMNS,
  type Column,
  type ConditionNode,
  type FieldNode,
  fieldNode,
  freezeNode,
  type GroupNode,
  type OrderedScalar,
  type OrderNode,
  type PathSegment,
  type QueryNode,
  type ReduceNode,
} from './ast.js';
import { TIME_INTERVALS } from './time-bucket.js';

/** The operators of a `where` condition (`exists` and `startsWith` are extensions). */
export const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'contains',
  'startsWith',
  'in',
  'between',
  'exists',
] as const;

/** The aggregation types of `reduce`. */
export const REDUCE_TYPES: readonly ReduceType[] = ['count', 'sum', 'avg', 'min', 'max', 'collect'];

/** Fixed shape rules of `where` and `reduce`. */
export const QUERY_RULES = Object.freeze({
  /** Nesting of `or` / `not` in `where`. */
  maxWhereDepth: 16,
  /** Conditions of one `where`, counting every nested one. */
  maxConditions: 1000,
  /** Entries of `reduce.groupBy`. */
  maxGroupBy: 8,
});

const QUERY_KEYS = ['from', 'where', 'select', 'orderBy', 'limit', 'offset', 'reduce'];
const KEY_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const INDEX_SEGMENT = /^(?:0|[1-9][0-9]{0,8})$/;
const FIELD_LIST = `${COLUMNS.join(', ')}, paths below payload and metadata (payload.a.b), or the aliases ${Object.keys(COLUMN_ALIASES).join(', ')}`;
const ORDERING_OPS = new Set(['gt', 'gte', 'lt', 'lte']);

type Raw = Record<string, unknown>;

function at(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;
}

function isPlainObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks that `raw` is an object whose defined keys are all in `allowed`. */
function objectWith(raw: unknown, where: string, allowed: readonly string[], what: string): Raw {
  if (!isPlainObject(raw)) throw invalid(where, `expected ${what}, got ${describeValue(raw)}`);
  for (const key in raw) {
    if (!Object.hasOwn(raw, key) || raw[key] === undefined) continue;
    if (!allowed.includes(key)) {
      throw invalid(at(where, key), `is not a known key of ${what}; allowed keys are ${allowed.join(', ')}`);
    }
  }
  return raw;
}

/**
 * Parses a field reference: a column (`event_type`), a camelCase alias (`eventType`), or a path
 * below `payload`/`metadata` whose segments are keys (`[A-Za-z_][A-Za-z0-9_-]*`) or array indexes
 * (`0` or `[1-9][0-9]{0,8}`), at most 16 deep.
 *
 * @param where the location in messages (`where[0].field`)
 * @throws EventLogError `VALIDATION_ERROR`
 * @example parseField('payload.items.0.sku', 'select[0]') // { kind: 'field', column: 'payload', path: ['items', 0, 'sku'], … }
 */
export function parseField(raw: unknown, where: string): FieldNode {
  if (typeof raw !== 'string') {
    throw invalid(
      where,
      `expected a field name (like "event_type" or "payload.user.id"), got ${describeValue(raw)}`,
    );
  }
  const dot = raw.indexOf('.');
  const head = dot === -1 ? raw : raw.slice(0, dot);
  let column: Column | undefined;
  if ((COLUMNS as readonly string[]).includes(head)) column = head as Column;
  else if (Object.hasOwn(COLUMN_ALIASES, head)) column = COLUMN_ALIASES[head];
  if (column === undefined) {
    throw invalid(where, `${JSON.stringify(raw)} is not a field; fields are ${FIELD_LIST}`);
  }
  if (dot === -1) return fieldNode(column);
  if (column !== 'payload' && column !== 'metadata') {
    throw invalid(
      where,
      `${JSON.stringify(raw)} goes below ${head}, which has no nested fields; paths are allowed only below payload and metadata`,
    );
  }
  const parts = raw.slice(dot + 1).split('.');
  if (parts.length > RULES.maxPathDepth) {
    throw invalid(
      where,
      `${JSON.stringify(raw)} is ${parts.length} levels deep below ${column}; the maximum depth is ${RULES.maxPathDepth}`,
    );
  }
  const path: PathSegment[] = new Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (INDEX_SEGMENT.test(part)) path[i] = Number(part);
    else if (KEY_SEGMENT.test(part)) path[i] = part;
    else {
      const problem =
        part === ''
          ? 'has an empty segment (a leading, trailing or double dot)'
          : /^[0-9]+$/.test(part)
            ? `has the index segment "${part}"; indexes are 0 or a number without leading zeros, at most 9 digits`
            : `has the segment ${JSON.stringify(part)}; a segment is a key ([A-Za-z_][A-Za-z0-9_-]*) or an array index (digits)`;
      throw invalid(where, `${JSON.stringify(raw)} ${problem}`);
    }
  }
  return fieldNode(column, path);
}

function isTimestampColumn(field: FieldNode): boolean {
  return field.column === 'timestamp' && field.path.length === 0;
}

function scalar(raw: unknown, where: string, what: string): JsonScalar {
  switch (typeof raw) {
    case 'string': {
      const problem = stringProblem(raw);
      if (problem !== undefined) throw invalid(where, `the string ${problem}`);
      return raw;
    }
    case 'number':
      if (!Number.isFinite(raw)) throw invalid(where, `${String(raw)} is not a finite number; ${what}`);
      return raw === 0 ? 0 : raw;
    case 'boolean':
      return raw;
    default:
      if (raw === null) return null;
      throw invalid(where, `expected ${what}, got ${describeValue(raw)}`);
  }
}

function ordered(raw: unknown, where: string, what: string): OrderedScalar {
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw invalid(where, `expected ${what}, got ${describeValue(raw)}`);
  }
  return scalar(raw, where, what) as OrderedScalar;
}

const SCALAR = 'a scalar (a string, a finite number, a boolean or null)';
const ORDERED = 'a number or a string';

class ConditionParser {
  private count = 0;

  constructor(private readonly limits: Readonly<Limits>) {}

  list(raw: unknown, where: string, depth: number): ConditionNode[] {
    if (!Array.isArray(raw)) {
      throw invalid(where, `expected an array of conditions, got ${describeValue(raw)}`);
    }
    const out: ConditionNode[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = this.condition(raw[i], at(where, i), depth);
    return out;
  }

  condition(raw: unknown, where: string, depth: number): ConditionNode {
    if (depth > QUERY_RULES.maxWhereDepth) {
      throw invalid(
        where,
        `where nests or/not more than ${QUERY_RULES.maxWhereDepth} levels deep; flatten it`,
      );
    }
    if (++this.count > QUERY_RULES.maxConditions) {
      throw invalid(
        where,
        `where holds more than ${QUERY_RULES.maxConditions} conditions in all; simplify it`,
      );
    }
    const what = 'a condition: { field, operator, value }, { or: [conditions] } or { not: condition }';
    if (!isPlainObject(raw)) throw invalid(where, `expected ${what}, got ${describeValue(raw)}`);
    if (raw.or !== undefined) {
      objectWith(raw, where, ['or'], 'an or condition ({ or: [conditions] })');
      if (Array.isArray(raw.or) && raw.or.length === 0) {
        throw invalid(at(where, 'or'), 'must hold at least one condition');
      }
      return { kind: 'or', conditions: this.list(raw.or, at(where, 'or'), depth + 1) };
    }
    if (raw.not !== undefined) {
      objectWith(raw, where, ['not'], 'a not condition ({ not: condition })');
      return { kind: 'not', condition: this.condition(raw.not, at(where, 'not'), depth + 1) };
    }
    objectWith(raw, where, ['field', 'operator', 'value'], what);
    const field = parseField(raw.field, at(where, 'field'));
    const op = raw.operator;
    if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
      throw invalid(
        at(where, 'operator'),
        `${op === undefined ? 'is required' : `${describeValue(op)} is not an operator`}; operators are ${OPERATORS.join(', ')}`,
      );
    }
    const valueAt = at(where, 'value');
    const value = raw.value;
    if (value === undefined) {
      throw invalid(
        valueAt,
        `is required for ${op}${op === 'eq' ? '; to match a missing field use { operator: "exists", value: false }' : ''}`,
      );
    }
    const ts = isTimestampColumn(field);
    const tsWhat = 'a timestamp (an ISO 8601 string with Z or an offset, or epoch milliseconds)';
    switch (op) {
      case 'eq':
      case 'neq':
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        let v: JsonScalar;
        if (ts) v = timestampValue(value, valueAt, tsWhat);
        else if (ORDERING_OPS.has(op)) v = ordered(value, valueAt, `${ORDERED} for ${op}`);
        else v = scalar(value, valueAt, `${SCALAR} for ${op}`);
        return { kind: 'compare', op, field, value: v };
      }
      case 'contains':
        return { kind: 'contains', field, value: scalar(value, valueAt, `${SCALAR} for contains`) };
      case 'startsWith': {
        if (typeof value !== 'string' || value === '') {
          throw invalid(
            valueAt,
            `expected a non-empty string (the prefix) for startsWith, got ${describeValue(value)}`,
          );
        }
        return { kind: 'startsWith', field, prefix: scalar(value, valueAt, 'a non-empty string') as string };
      }
      case 'in': {
        if (!Array.isArray(value) || value.length === 0) {
          throw invalid(valueAt, `expected a non-empty array of values for in, got ${describeValue(value)}`);
        }
        if (value.length > this.limits.maxInValues) {
          throw limitExceeded(
            `${valueAt}: in lists ${value.length} values; the maximum is ${this.limits.maxInValues} (limits.maxInValues). Split the query or filter differently.`,
            { limit: 'maxInValues', max: this.limits.maxInValues, actual: value.length, path: valueAt },
          );
        }
        const values: JsonScalar[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          values[i] = ts
            ? timestampValue(value[i], at(valueAt, i), tsWhat)
            : scalar(value[i], at(valueAt, i), `${SCALAR} in the in list`);
        }
        return { kind: 'in', field, values };
      }
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2) {
          throw invalid(
            valueAt,
            `expected [low, high] (two bounds) for between, got ${describeValue(value)}`,
          );
        }
        if (ts) {
          return {
            kind: 'between',
            field,
            low: timestampValue(value[0], at(valueAt, 0), tsWhat),
            high: timestampValue(value[1], at(valueAt, 1), tsWhat),
          };
        }
        const low = ordered(value[0], at(valueAt, 0), `${ORDERED} as the low bound`);
        const high = ordered(value[1], at(valueAt, 1), `${ORDERED} as the high bound`);
        if (typeof low !== typeof high) {
          throw invalid(valueAt, 'the bounds of between must both be numbers or both be strings');
        }
        return { kind: 'between', field, low, high };
      }
      default: {
        if (typeof value !== 'boolean') {
          throw invalid(
            valueAt,
            `expected true (the field is present) or false (missing) for exists, got ${describeValue(value)}`,
          );
        }
        return { kind: 'exists', field, exists: value };
      }
    }
  }
}

function timestampValue(raw: unknown, where: string, what: string): string {
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw invalid(where, `expected ${what} when comparing timestamp, got ${describeValue(raw)}`);
  }
  return normalizeTimestamp(raw, where);
}

function andOf(conditions: ConditionNode[]): AndNode | undefined {
  return conditions.length === 0 ? undefined : { kind: 'and', conditions };
}

/**
 * Parses the `where` of a live subscription (or a query) into one `and` node; `undefined` when
 * absent or empty.
 *
 * @param where the location in messages. Default `where`.
 * @throws EventLogError `VALIDATION_ERROR`, or `LIMIT_EXCEEDED` for an `in` list over `maxInValues`
 * @example parseWhere([{ field: 'eventType', operator: 'eq', value: 'login' }])
 */
export function parseWhere(
  raw: unknown,
  limits: Readonly<Limits> = DEFAULT_LIMITS,
  where = 'where',
): ConditionNode | undefined {
  if (raw === undefined) return undefined;
  const node = andOf(new ConditionParser(limits).list(raw, where, 1));
  return node === undefined ? undefined : freezeNode(node);
}

function integer(raw: unknown, where: string, what: string): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0) {
    throw invalid(where, `expected ${what}, got ${describeValue(raw)}`);
  }
  return raw === 0 ? 0 : raw;
}

function parseOrderBy(raw: unknown): OrderNode[] {
  if (raw === undefined) return [{ kind: 'order', field: fieldNode('global_position'), direction: 'asc' }];
  const what = 'an ordering { field, direction? } (direction "asc" or "desc")';
  const obj = objectWith(raw, 'orderBy', ['field', 'direction'], what);
  const field = parseField(obj.field, 'orderBy.field');
  const direction = obj.direction ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') {
    throw invalid('orderBy.direction', `expected "asc" or "desc", got ${describeValue(direction)}`);
  }
  return [{ kind: 'order', field, direction }];
}

function parseSelect(raw: unknown): FieldNode[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    throw invalid('select', `expected a non-empty array of field names, got ${describeValue(raw)}`);
  }
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i++) {
    const field = parseField(raw[i], `select[${i}]`);
    if (seen.has(field.name)) continue;
    seen.add(field.name);
    fields.push(field);
  }
  return fields;
}

function parseReduce(raw: unknown): ReduceNode | undefined {
  if (raw === undefined) return undefined;
  const obj = objectWith(raw, 'reduce', ['type', 'field', 'groupBy'], 'a reduce { type, field?, groupBy? }');
  const type = obj.type;
  if (typeof type !== 'string' || !(REDUCE_TYPES as readonly string[]).includes(type)) {
    throw invalid(
      'reduce.type',
      `${type === undefined ? 'is required' : `${describeValue(type)} is not an aggregation`}; types are ${REDUCE_TYPES.join(', ')}`,
    );
  }
  let field: FieldNode | undefined;
  if (obj.field !== undefined) field = parseField(obj.field, 'reduce.field');
  else if (type !== 'count') {
    throw invalid(
      'reduce.field',
      `is required for ${type}; give the field to aggregate, like "payload.amount"`,
    );
  }
  let groupBy: GroupNode[] | undefined;
  if (obj.groupBy !== undefined) {
    const list = obj.groupBy;
    if (!Array.isArray(list) || list.length === 0) {
      throw invalid(
        'reduce.groupBy',
        `expected a non-empty array of fields or time buckets, got ${describeValue(list)}`,
      );
    }
    if (list.length > QUERY_RULES.maxGroupBy) {
      throw invalid('reduce.groupBy', `has ${list.length} entries; the maximum is ${QUERY_RULES.maxGroupBy}`);
    }
    groupBy = [];
    const keys = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const where = `reduce.groupBy[${i}]`;
      const entry = list[i];
      let node: GroupNode;
      if (typeof entry === 'string') {
        const f = parseField(entry, where);
        node = { kind: 'groupField', field: f, key: f.name };
      } else if (isPlainObject(entry)) {
        objectWith(entry, where, ['field', 'interval'], "a time bucket { field: 'timestamp', interval }");
        const f = parseField(entry.field, `${where}.field`);
        if (f.name !== 'timestamp') {
          throw invalid(
            `${where}.field`,
            `time buckets are only allowed on timestamp, got ${JSON.stringify(f.name)}`,
          );
        }
        const interval = entry.interval;
        if (typeof interval !== 'string' || !(TIME_INTERVALS as readonly string[]).includes(interval)) {
          throw invalid(
            `${where}.interval`,
            `${interval === undefined ? 'is required' : `${describeValue(interval)} is not an interval`}; intervals are ${TIME_INTERVALS.join(', ')}`,
          );
        }
        node = { kind: 'timeBucket', field: f, interval: interval as TimeInterval, key: 'timestamp' };
      } else {
        throw invalid(
          where,
          `expected a field name or a time bucket { field: 'timestamp', interval }, got ${describeValue(entry)}`,
        );
      }
      if (keys.has(node.key)) {
        throw invalid(
          where,
          `groups by ${JSON.stringify(node.key)} a second time; each group key may appear once`,
        );
      }
      keys.add(node.key);
      groupBy.push(node);
    }
  }
  return { kind: 'reduce', type: type as ReduceType, field, groupBy };
}

/**
 * Validates a raw query of the JSON DSL and parses it into a frozen {@link QueryNode}.
 *
 * Defaults: `orderBy` is `global_position asc`, `limit` is `limits.defaultQueryLimit`, `offset` is
 * 0; `where` becomes one `and` node (`undefined` when absent or empty). Unknown keys anywhere are
 * rejected.
 *
 * @throws EventLogError `VALIDATION_ERROR` for anything malformed; `LIMIT_EXCEEDED` for a `limit`
 *   above `limits.maxQueryLimit` or an `in` list above `limits.maxInValues`
 * @example
 * parseQuery({ from: { instance: 'audit' }, where: [{ field: 'eventType', operator: 'eq', value: 'login' }] })
 */
export function parseQuery(raw: unknown, limits: Readonly<Limits> = DEFAULT_LIMITS): QueryNode {
  const queryWhat = 'a query { from, where?, select?, orderBy?, limit?, offset?, reduce? }';
  if (!isPlainObject(raw)) throw invalid('query', `expected ${queryWhat}, got ${describeValue(raw)}`);
  const query = objectWith(raw, '', QUERY_KEYS, queryWhat);
  const fromWhat = 'a source { instance, stream? }';
  if (query.from === undefined) {
    throw invalid('from', `is required; give ${fromWhat} naming the instance by id or name`);
  }
  const from = objectWith(query.from, 'from', ['instance', 'stream'], fromWhat);
  const instance = checkName(
    from.instance,
    'from.instance',
    'an instance id or name',
    'instance ids and names',
  );
  const stream =
    from.stream === undefined
      ? undefined
      : checkName(from.stream, 'from.stream', 'a stream id', 'stream ids');

  const where =
    query.where === undefined ? undefined : andOf(new ConditionParser(limits).list(query.where, 'where', 1));
  const select = parseSelect(query.select);
  const orderBy = parseOrderBy(query.orderBy);

  let limit = limits.defaultQueryLimit;
  if (query.limit !== undefined) {
    limit = integer(query.limit, 'limit', `an integer from 0 to ${limits.maxQueryLimit}`);
    if (limit > limits.maxQueryLimit) {
      throw limitExceeded(
        `limit: ${limit} is above the maximum of ${limits.maxQueryLimit} (limits.maxQueryLimit). Page with offset, or use reduce to aggregate.`,
        { limit: 'maxQueryLimit', max: limits.maxQueryLimit, actual: limit, path: 'limit' },
      );
    }
  }
  let offset = 0;
  if (query.offset !== undefined) {
    offset = integer(query.offset, 'offset', 'an integer ≥ 0');
    if (!Number.isSafeInteger(offset)) {
      throw invalid('offset', `${offset} is beyond the largest safe integer; use a smaller offset`);
    }
  }
  const reduce = parseReduce(query.reduce);

  return freezeNode<QueryNode>({
    kind: 'query',
    instance,
    stream,
    where,
    select,
    orderBy,
    limit,
    offset,
    reduce,
  });
}
