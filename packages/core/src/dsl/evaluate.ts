/**
 * The reference semantics of the query DSL (SPEC §4): the evaluator every adapter is compared with,
 * and the memory adapter's query engine. It is a visitor over the AST of `ast.ts`, trusting the
 * parser's invariants (valid fields, value shapes, canonical timestamps).
 */

import { limitExceeded } from '../errors.js';
import type { Limits } from '../limits.js';
import type {
  Aggregation,
  AggregationGroup,
  EventRecord,
  GroupBy,
  JsonValue,
  QueryResult,
} from '../model.js';
import type {
  ConditionNode,
  FieldNode,
  GroupNode,
  OrderedScalar,
  OrderNode,
  QueryNode,
  ReduceNode,
} from './ast.js';
import { NumericSum } from './numeric-sum.js';
import { copyEvent, copyJson, projectEvent } from './select.js';
import { timeBucketStart } from './time-bucket.js';
import {
  canonicalJson,
  compareCodePoints,
  compareGroupKeys,
  compareValues,
  type FieldValue,
  lookupField,
  MISSING,
} from './values.js';

/** A compiled `where` condition. */
export type EventPredicate = (record: EventRecord) => boolean;

type Getter = (record: EventRecord) => FieldValue;

/** `in` lists longer than this are matched through a Set. */
const IN_SET_THRESHOLD = 8;

const compiledConditions = new WeakMap<ConditionNode, EventPredicate>();

/** Reads a field; top-level columns skip the generic path walk. */
function getterOf(field: FieldNode): Getter {
  if (field.path.length === 0) {
    const column = field.column;
    return (record) => {
      const value = (record as unknown as Record<string, JsonValue | undefined>)[column];
      return value === undefined ? MISSING : value;
    };
  }
  return (record) => lookupField(record as unknown as Readonly<Record<string, unknown>>, field);
}

/**
 * The predicate of `op` against a number or string bound: only a field value of the bound's type
 * can match (numbers numerically, strings by code point).
 */
function orderedPredicate(
  get: Getter,
  op: 'gt' | 'gte' | 'lt' | 'lte',
  bound: OrderedScalar,
): EventPredicate {
  if (typeof bound === 'number') {
    switch (op) {
      case 'gt':
        return (r) => {
          const v = get(r);
          return typeof v === 'number' && v > bound;
        };
      case 'gte':
        return (r) => {
          const v = get(r);
          return typeof v === 'number' && v >= bound;
        };
      case 'lt':
        return (r) => {
          const v = get(r);
          return typeof v === 'number' && v < bound;
        };
      case 'lte':
        return (r) => {
          const v = get(r);
          return typeof v === 'number' && v <= bound;
        };
    }
  }
  if (typeof bound === 'string') {
    switch (op) {
      case 'gt':
        return (r) => {
          const v = get(r);
          return typeof v === 'string' && compareCodePoints(v, bound) > 0;
        };
      case 'gte':
        return (r) => {
          const v = get(r);
          return typeof v === 'string' && compareCodePoints(v, bound) >= 0;
        };
      case 'lt':
        return (r) => {
          const v = get(r);
          return typeof v === 'string' && compareCodePoints(v, bound) < 0;
        };
      case 'lte':
        return (r) => {
          const v = get(r);
          return typeof v === 'string' && compareCodePoints(v, bound) <= 0;
        };
    }
  }
  // The parser never builds this; an ordering against null or a boolean matches nothing.
  return () => false;
}

function compile(condition: ConditionNode): EventPredicate {
  switch (condition.kind) {
    case 'compare': {
      const get = getterOf(condition.field);
      const value = condition.value;
      switch (condition.op) {
        // Values are scalars, so strict equality is JSON equality of the same type; a missing
        // field (the MISSING symbol) equals nothing, hence `neq` matches it.
        case 'eq':
          return (r) => get(r) === value;
        case 'neq':
          return (r) => get(r) !== value;
        default:
          return typeof value === 'number' || typeof value === 'string'
            ? orderedPredicate(get, condition.op, value)
            : () => false;
      }
    }
    case 'in': {
      const get = getterOf(condition.field);
      const values = condition.values;
      if (values.length > IN_SET_THRESHOLD) {
        // Set membership is SameValueZero: type-strict, like `===` for JSON scalars.
        const set = new Set<FieldValue>(values);
        return (r) => set.has(get(r));
      }
      return (r) => values.includes(get(r) as never);
    }
    case 'between': {
      const get = getterOf(condition.field);
      const low = orderedPredicate(get, 'gte', condition.low);
      const high = orderedPredicate(get, 'lte', condition.high);
      return (r) => low(r) && high(r);
    }
    case 'contains': {
      const get = getterOf(condition.field);
      const needle = condition.value;
      if (typeof needle === 'string') {
        return (r) => {
          const v = get(r);
          if (typeof v === 'string') return v.includes(needle);
          return Array.isArray(v) && v.includes(needle);
        };
      }
      // A non-string needle never matches a string field (no conversions); it may be an element.
      return (r) => {
        const v = get(r);
        return Array.isArray(v) && v.includes(needle);
      };
    }
    case 'startsWith': {
      const get = getterOf(condition.field);
      const prefix = condition.prefix;
      // Both strings are well-formed (no lone surrogates), so a prefix of UTF-16 code units is a
      // prefix of code points.
      return (r) => {
        const v = get(r);
        return typeof v === 'string' && v.startsWith(prefix);
      };
    }
    case 'exists': {
      const get = getterOf(condition.field);
      return condition.exists ? (r) => get(r) !== MISSING : (r) => get(r) === MISSING;
    }
    case 'and': {
      const parts = condition.conditions.map(compileCondition);
      if (parts.length === 1) return parts[0] as EventPredicate;
      return (r) => {
        for (const p of parts) if (!p(r)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = condition.conditions.map(compileCondition);
      if (parts.length === 1) return parts[0] as EventPredicate;
      return (r) => {
        for (const p of parts) if (p(r)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileCondition(condition.condition);
      return (r) => !inner(r);
    }
    default:
      throw new TypeError(
        `Unknown condition node ${JSON.stringify((condition as { kind?: unknown }).kind)}.`,
      );
  }
}

/**
 * Compiles a condition into a predicate, once per node (nodes are frozen, so the result is cached
 * by identity). Use it to test many records against one condition.
 *
 * @example
 * const isLogin = compileCondition(query.where);
 * const logins = events.filter(isLogin);
 */
export function compileCondition(condition: ConditionNode): EventPredicate {
  let predicate = compiledConditions.get(condition);
  if (predicate === undefined) {
    predicate = compile(condition);
    compiledConditions.set(condition, predicate);
  }
  return predicate;
}

/**
 * True when `record` satisfies `condition`, by SPEC §4:
 *
 * - `eq` / `neq`: equal as JSON and of the same type (`1` ≠ `true` ≠ `"1"`, `null` ≠ missing);
 *   `neq` also matches a missing field.
 * - `gt`, `gte`, `lt`, `lte`, `between` (inclusive): numbers numerically, strings by code point;
 *   a missing field or a value of another type never matches.
 * - `contains`: a literal, case-sensitive substring of a string field (for a string value); an
 *   element equal to the value in an array field; otherwise no match.
 * - `startsWith`: a string field that begins with the prefix, literally and case-sensitively;
 *   any other value (numbers, arrays, objects, missing) never matches.
 * - `in`: equals one of the values. `exists`: present (null counts) or missing.
 * - `and` / `or` / `not`: boolean logic over the record-level results, so `not(eq)` matches a
 *   record whose field is missing.
 *
 * @example
 * matchesCondition(
 *   { kind: 'compare', op: 'eq', field: fieldNode('payload', ['status']), value: 'paid' },
 *   event,
 * );
 */
export function matchesCondition(condition: ConditionNode, record: EventRecord): boolean {
  return compileCondition(condition)(record);
}

/** True when events come out in stored (`global_position`) order, ascending or descending. */
function positionOrder(orderBy: readonly OrderNode[]): 'asc' | 'desc' | undefined {
  const first = orderBy[0];
  if (first === undefined) return 'asc';
  // Positions are unique, so any later keys can never break a tie.
  if (first.field.column === 'global_position' && first.field.path.length === 0) return first.direction;
  return undefined;
}

/** Events of the stream that satisfy the predicate; `events` itself when nothing filters. */
function filterEvents(
  events: readonly EventRecord[],
  stream: string | undefined,
  predicate: EventPredicate | undefined,
): readonly EventRecord[] {
  if (stream === undefined && predicate === undefined) return events;
  const out: EventRecord[] = [];
  for (const e of events) {
    if ((stream === undefined || e.stream_id === stream) && (predicate === undefined || predicate(e)))
      out.push(e);
  }
  return out;
}

/**
 * Answers a parsed query over one instance's events, by SPEC §4.
 *
 * @param events the instance's events in `global_position` order (they are not modified)
 * @param query the parsed query; `query.instance` is ignored (the caller picked the events)
 * @param limits caps for grouped aggregations (`maxGroups`) and `collect` (`maxCollectValues`)
 * @returns `{ events, total, limit, offset }`, or with `reduce` `{ aggregation, total, limit, offset }`;
 *   returned events are deep copies the caller may mutate
 * @throws EventLogError `LIMIT_EXCEEDED` past `maxGroups` groups or `maxCollectValues` values
 *
 * @example
 * const result = evaluateQuery(events, parseQuery(raw, limits), limits);
 */
export function evaluateQuery(events: readonly EventRecord[], query: QueryNode, limits: Limits): QueryResult {
  const predicate = query.where === undefined ? undefined : compileCondition(query.where);
  const stream = query.stream;
  const { limit, offset } = query;

  if (query.reduce !== undefined) {
    const { aggregation, total } = reduceEvents(events, stream, predicate, query.reduce, limits);
    return { aggregation, total, limit, offset };
  }

  const select = query.select;
  const project: (r: EventRecord) => Partial<EventRecord> =
    select === undefined ? copyEvent : (r) => projectEvent(r, select);
  const end = offset + limit;
  const direction = positionOrder(query.orderBy);
  const page: Partial<EventRecord>[] = [];

  if (direction !== undefined) {
    // Stored order: one pass that counts every match and copies only the page.
    let total = 0;
    const n = events.length;
    for (let i = 0; i < n; i++) {
      const e = events[direction === 'asc' ? i : n - 1 - i] as EventRecord;
      if (stream !== undefined && e.stream_id !== stream) continue;
      if (predicate !== undefined && !predicate(e)) continue;
      if (total >= offset && total < end) page.push(project(e));
      total++;
    }
    return { events: page, total, limit, offset };
  }

  const matches = filterEvents(events, stream, predicate);
  const total = matches.length;
  if (offset < total && limit > 0) {
    for (const e of sortMatches(matches, query.orderBy).slice(offset, end)) page.push(project(e));
  }
  return { events: page, total, limit, offset };
}

/**
 * Sorts by the order keys in the total order of values; ties break by `global_position`
 * ascending, in both directions.
 */
function sortMatches(matches: readonly EventRecord[], orderBy: readonly OrderNode[]): EventRecord[] {
  const getters = orderBy.map((o) => getterOf(o.field));
  const signs = orderBy.map((o) => (o.direction === 'desc' ? -1 : 1));
  const decorated = matches.map((record) => ({ record, keys: getters.map((get) => get(record)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < signs.length; i++) {
      const c = compareValues(a.keys[i] as FieldValue, b.keys[i] as FieldValue);
      if (c !== 0) return c * (signs[i] as number);
    }
    return a.record.global_position - b.record.global_position;
  });
  return decorated.map((d) => d.record);
}

/** Folds the values of one aggregation (one group, or all matches). */
interface Accumulator {
  add(value: FieldValue): void;
  result(): JsonValue;
}

/** Counts collected values over all groups against `maxCollectValues`. */
interface CollectBudget {
  used: number;
  readonly max: number;
}

function accumulator(reduce: ReduceNode, budget: CollectBudget): Accumulator {
  switch (reduce.type) {
    case 'count': {
      let n = 0;
      if (reduce.field === undefined) {
        return {
          add: () => {
            n++;
          },
          result: () => n,
        };
      }
      return {
        add: (v) => {
          if (v !== MISSING && v !== null) n++;
        },
        result: () => n,
      };
    }
    case 'sum':
    case 'avg': {
      const sum = new NumericSum();
      const avg = reduce.type === 'avg';
      return {
        add: (v) => {
          if (typeof v === 'number') sum.add(v);
        },
        result: () => (avg ? (sum.count === 0 ? null : sum.value() / sum.count) : sum.value()),
      };
    }
    case 'min':
    case 'max': {
      const isMin = reduce.type === 'min';
      let num: number | undefined;
      let str: string | undefined;
      return {
        add: (v) => {
          if (typeof v === 'number') {
            if (num === undefined || (isMin ? v < num : v > num)) num = v;
          } else if (typeof v === 'string') {
            if (
              str === undefined ||
              (isMin ? compareCodePoints(v, str) < 0 : compareCodePoints(v, str) > 0)
            ) {
              str = v;
            }
          }
        },
        result: () => num ?? str ?? null,
      };
    }
    case 'collect': {
      const values: JsonValue[] = [];
      return {
        add: (v) => {
          if (v === MISSING) return;
          if (++budget.used > budget.max) {
            throw limitExceeded(
              `collect would return more than ${budget.max} values (limit maxCollectValues). Narrow the query with where conditions, or raise limits.maxCollectValues.`,
              { limit: 'maxCollectValues', max: budget.max },
            );
          }
          values.push(copyJson(v));
        },
        result: () => values,
      };
    }
    default:
      throw new TypeError(`Unknown reduce type ${JSON.stringify((reduce as { type?: unknown }).type)}.`);
  }
}

/** How a group key reads its value from an event: a field (missing → null) or a time bucket. */
function groupGetterOf(node: GroupNode): (record: EventRecord) => JsonValue {
  if (node.kind === 'timeBucket') {
    const get = getterOf(node.field);
    const interval = node.interval;
    return (r) => timeBucketStart(get(r) as string, interval);
  }
  const get = getterOf(node.field);
  return (r) => {
    const v = get(r);
    return v === MISSING ? null : v;
  };
}

/** A map key equal for JSON-equal values and distinct across types (`1`, `"1"`, `true`). */
function valueKey(v: JsonValue): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${v}`;
    case 'boolean':
      return v ? 't' : 'f';
    default:
      return v === null ? 'z' : `j${canonicalJson(v)}`;
  }
}

/** The `groupBy` echoed in results: canonical field names, time buckets as objects. */
function echoGroupBy(groupBy: readonly GroupNode[]): GroupBy[] {
  return groupBy.map((g) =>
    g.kind === 'timeBucket' ? { field: g.field.name, interval: g.interval } : g.field.name,
  );
}

/**
 * Runs `reduce` over the matching events (limit and offset do not apply), in one pass.
 *
 * @returns the aggregation and `total`, the number of matching events
 * @throws EventLogError `LIMIT_EXCEEDED` past `maxGroups` groups or `maxCollectValues` values
 */
export function reduceEvents(
  events: readonly EventRecord[],
  stream: string | undefined,
  predicate: EventPredicate | undefined,
  reduce: ReduceNode,
  limits: Pick<Limits, 'maxGroups' | 'maxCollectValues'>,
): { aggregation: Aggregation; total: number } {
  const budget: CollectBudget = { used: 0, max: limits.maxCollectValues };
  const getValue: Getter = reduce.field === undefined ? () => MISSING : getterOf(reduce.field);
  const head: Aggregation = { type: reduce.type };
  if (reduce.field !== undefined) head.field = reduce.field.name;
  let total = 0;

  const groupBy = reduce.groupBy;
  if (groupBy === undefined || groupBy.length === 0) {
    const acc = accumulator(reduce, budget);
    for (const e of events) {
      if (stream !== undefined && e.stream_id !== stream) continue;
      if (predicate !== undefined && !predicate(e)) continue;
      total++;
      acc.add(getValue(e));
    }
    head.value = acc.result();
    return { aggregation: head, total };
  }

  const keyGetters = groupBy.map(groupGetterOf);
  const single = keyGetters.length === 1 ? (keyGetters[0] as (r: EventRecord) => JsonValue) : undefined;
  const groups = new Map<string, { key: JsonValue[]; acc: Accumulator }>();
  for (const e of events) {
    if (stream !== undefined && e.stream_id !== stream) continue;
    if (predicate !== undefined && !predicate(e)) continue;
    total++;
    let values: JsonValue[];
    let mapKey: string;
    if (single !== undefined) {
      const v = single(e);
      values = [v];
      mapKey = valueKey(v);
    } else {
      values = keyGetters.map((get) => get(e));
      // Length-prefixed parts cannot run into each other, whatever the strings hold.
      mapKey = values
        .map((v) => {
          const k = valueKey(v);
          return `${k.length}:${k}`;
        })
        .join('');
    }
    let group = groups.get(mapKey);
    if (group === undefined) {
      if (groups.size >= limits.maxGroups) {
        throw limitExceeded(
          `The aggregation has more than ${limits.maxGroups} groups (limit maxGroups). Narrow the query with where conditions, group by fewer or coarser fields, or raise limits.maxGroups.`,
          { limit: 'maxGroups', max: limits.maxGroups },
        );
      }
      group = { key: values, acc: accumulator(reduce, budget) };
      groups.set(mapKey, group);
    }
    group.acc.add(getValue(e));
  }

  const sorted = [...groups.values()].sort((a, b) => compareGroupKeys(a.key, b.key));
  const names = groupBy.map((g) => g.key);
  const out: AggregationGroup[] = sorted.map(({ key, acc }) => {
    const keyObject: Record<string, JsonValue> = {};
    for (let i = 0; i < names.length; i++) keyObject[names[i] as string] = copyJson(key[i] as JsonValue);
    return { key: keyObject, value: acc.result() };
  });
  head.groupBy = echoGroupBy(groupBy);
  head.groups = out;
  return { aggregation: head, total };
}
