/**
 * Rollups (issue 10): pre-aggregated counts and sums an instance maintains in each append's
 * transaction, so a dashboard's `reduce` (count per day over a month) is answered from a few
 * hundred rows instead of a scan of millions of events.
 *
 * A rollup groups an instance's events by some of `event_type`, `stream_id` and a time bucket of
 * `timestamp` (minute, hour or day), and keeps per group the number of events and, per summed
 * field, the sum and the number of its numeric values. Both are exactly maintainable under
 * deletion (min and max are not, so they are not offered).
 *
 * This module holds what every adapter shares: the validation of definitions, the contribution of
 * one event to a rollup (the reference the SQL maintenance must equal), and the routing — whether
 * a parsed query is covered by a rollup, and its answer from the rollup's cells, equal to the scan.
 */

import type { ConditionNode, FieldNode, QueryNode } from './dsl/ast.js';
import { compileCondition } from './dsl/evaluate.js';
import { NumericSum } from './dsl/numeric-sum.js';
import { parseField } from './dsl/parse.js';
import { timeBucketStart } from './dsl/time-bucket.js';
import { compareGroupKeys, lookupField } from './dsl/values.js';
import { EventLogError, limitExceeded, validationError } from './errors.js';
import type { Limits } from './limits.js';
import type {
  Aggregation,
  AggregationGroup,
  EventRecord,
  GroupBy,
  Instance,
  JsonValue,
  QueryResult,
  TimeInterval,
} from './model.js';

/** Bucket sizes a rollup may keep; coarser query buckets (day, week, month) are derived from them. */
export type RollupInterval = 'minute' | 'hour' | 'day';

/** A group of a rollup: a column, or a time bucket of `timestamp`. */
export type RollupGroup = 'event_type' | 'stream_id' | { field: 'timestamp'; interval: RollupInterval };

/** What a rollup keeps per group: the event count (always), and sums of numeric fields. */
export type RollupMeasure = { type: 'count' } | { type: 'sum'; field: string };

/** A rollup's definition, normalized (canonical field names, `count` first). */
export interface RollupSpec {
  name: string;
  groupBy: RollupGroup[];
  measures: RollupMeasure[];
}

/** Parameters of `defineRollup`. */
export interface DefineRollupParams {
  instanceId: string;
  name: string;
  groupBy: RollupGroup[];
  measures?: RollupMeasure[];
}

/** A rollup as stored and listed. */
export interface RollupInfo extends RollupSpec {
  instanceId: string;
  createdAt: string;
}

/**
 * One group of a rollup: its key (one value per `groupBy` entry, in order), how many events it
 * holds, and per `sum` measure (in order) the sum of the field's numeric values and their number.
 */
export interface RollupCell {
  key: string[];
  count: number;
  sums: Array<{ sum: number; count: number }>;
}

/** Parameters of `listRollups`. */
export interface ListRollupsParams {
  instanceId: string;
}

/** Parameters of `dropRollup`. */
export interface DropRollupParams {
  instanceId: string;
  name: string;
}

/** How a query is answered: from which rollup, or by a scan (`rollup: null`). */
export interface QueryPlan {
  rollup: string | null;
}

/** Most group entries and sum measures a rollup may have. */
export const MAX_ROLLUP_GROUPS = 3;
export const MAX_ROLLUP_SUMS = 4;

const ROLLUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const ROLLUP_INTERVALS: readonly RollupInterval[] = ['minute', 'hour', 'day'];
const INTERVAL_MS: Record<RollupInterval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw validationError(`${where}: unknown key ${JSON.stringify(key)}; allowed: ${allowed.join(', ')}.`);
    }
  }
}

/** The `ALREADY_EXISTS` error of a rollup name taken in its instance (every adapter's wording). */
export function rollupNameTaken(name: string): EventLogError {
  return new EventLogError(
    'ALREADY_EXISTS',
    `The instance already has a rollup named ${JSON.stringify(name)}; drop it first or choose another name.`,
  );
}

/** The key of a group entry (`event_type`, `stream_id`, `timestamp`). */
export function rollupGroupField(group: RollupGroup): 'event_type' | 'stream_id' | 'timestamp' {
  return typeof group === 'string' ? group : 'timestamp';
}

/** The time bucket of a rollup, when it has one. */
export function rollupInterval(spec: RollupSpec): RollupInterval | undefined {
  for (const g of spec.groupBy) if (typeof g !== 'string') return g.interval;
  return undefined;
}

/** The summed fields of a rollup, in measure order. */
export function rollupSumFields(spec: RollupSpec): string[] {
  return spec.measures.flatMap((m) => (m.type === 'sum' ? [m.field] : []));
}

/**
 * Validates and normalizes `defineRollup`'s parameters (everything but the instance).
 *
 * @throws EventLogError `VALIDATION_ERROR` naming what is wrong
 */
export function validateRollupSpec(raw: unknown): RollupSpec {
  const where = 'defineRollup';
  if (!isPlainObject(raw))
    throw validationError(`${where}: expected an object { instanceId, name, groupBy, measures? }.`);
  onlyKeys(raw, ['instanceId', 'name', 'groupBy', 'measures'], where);
  const { name, groupBy, measures } = raw;
  if (typeof name !== 'string' || !ROLLUP_NAME.test(name)) {
    throw validationError(
      `${where}.name: expected 1–100 characters of letters, digits, '_', '-' or '.', starting with a letter, digit or '_', got ${JSON.stringify(name)}.`,
    );
  }
  if (!Array.isArray(groupBy) || groupBy.length > MAX_ROLLUP_GROUPS) {
    throw validationError(
      `${where}.groupBy: expected an array of at most ${MAX_ROLLUP_GROUPS} entries ('event_type', 'stream_id', { field: 'timestamp', interval: 'minute' | 'hour' | 'day' }).`,
    );
  }
  const groups: RollupGroup[] = [];
  const seen = new Set<string>();
  groupBy.forEach((entry: unknown, i) => {
    const at = `${where}.groupBy[${i}]`;
    let group: RollupGroup;
    if (entry === 'event_type' || entry === 'eventType') group = 'event_type';
    else if (entry === 'stream_id' || entry === 'streamId') group = 'stream_id';
    else if (isPlainObject(entry)) {
      onlyKeys(entry, ['field', 'interval'], at);
      if (entry.field !== 'timestamp' || !ROLLUP_INTERVALS.includes(entry.interval as RollupInterval)) {
        throw validationError(
          `${at}: a time bucket is { field: 'timestamp', interval: 'minute' | 'hour' | 'day' } (coarser buckets are derived at query time), got ${JSON.stringify(entry)}.`,
        );
      }
      group = { field: 'timestamp', interval: entry.interval as RollupInterval };
    } else {
      throw validationError(
        `${at}: expected 'event_type', 'stream_id' or { field: 'timestamp', interval }, got ${JSON.stringify(entry)}.`,
      );
    }
    const field = rollupGroupField(group);
    if (seen.has(field)) throw validationError(`${at}: ${field} appears twice in groupBy.`);
    seen.add(field);
    groups.push(group);
  });
  const out: RollupMeasure[] = [{ type: 'count' }];
  const sums = new Set<string>();
  if (measures !== undefined) {
    if (!Array.isArray(measures)) throw validationError(`${where}.measures: expected an array.`);
    measures.forEach((m: unknown, i) => {
      const at = `${where}.measures[${i}]`;
      if (!isPlainObject(m))
        throw validationError(`${at}: expected { type: 'count' } or { type: 'sum', field }.`);
      if (m.type === 'count') {
        onlyKeys(m, ['type'], at);
        return;
      }
      if (m.type !== 'sum') {
        throw validationError(
          `${at}: type must be 'count' or 'sum' (avg is derived from sum; min and max cannot be kept under deletion), got ${JSON.stringify(m.type)}.`,
        );
      }
      onlyKeys(m, ['type', 'field'], at);
      const field = parseField(m.field, `${at}.field`);
      if (field.path.length === 0 || (field.column !== 'payload' && field.column !== 'metadata')) {
        throw validationError(
          `${at}.field: a sum needs a payload or metadata path, got ${JSON.stringify(m.field)}.`,
        );
      }
      if (sums.has(field.name)) return;
      if (sums.size >= MAX_ROLLUP_SUMS)
        throw validationError(`${at}: at most ${MAX_ROLLUP_SUMS} sums per rollup.`);
      sums.add(field.name);
      out.push({ type: 'sum', field: field.name });
    });
  }
  return { name, groupBy: groups, measures: out };
}

/** The parsed field of a sum measure (cached). */
const fieldCache = new Map<string, FieldNode>();
export function rollupFieldNode(name: string): FieldNode {
  let node = fieldCache.get(name);
  if (node === undefined) {
    node = parseField(name, 'rollup');
    fieldCache.set(name, node);
  }
  return node;
}

/**
 * What one event adds to a rollup: its group key and, per sum measure, its numeric value (or
 * undefined when the field is missing or not a number). The reference for SQL maintenance.
 */
export function rollupContribution(
  spec: RollupSpec,
  record: EventRecord,
): { key: string[]; values: Array<number | undefined> } {
  const key = spec.groupBy.map((g) =>
    typeof g === 'string' ? record[g] : timeBucketStart(record.timestamp, g.interval),
  );
  const values = rollupSumFields(spec).map((name) => {
    const v = lookupField(record as unknown as Record<string, unknown>, rollupFieldNode(name));
    return typeof v === 'number' ? v : undefined;
  });
  return { key, values };
}

/** A map key for a rollup cell key (length-prefixed parts cannot run into each other). */
export function rollupKeyString(key: readonly string[]): string {
  return key.map((k) => `${k.length}:${k}`).join('');
}

/** Why a query cannot be answered from a rollup, or how it can. */
interface Coverage {
  /** Index in the rollup's groupBy of each query group entry. */
  groupIndex: number[];
  /** Index of the summed field in the rollup's sums, for sum/avg. */
  sumIndex?: number;
}

const TIME_RANK: Record<TimeInterval, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4 };

function timestampMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function aligned(ms: number | undefined, size: number): boolean {
  return ms !== undefined && ((ms % size) + size) % size === 0;
}

/**
 * True when `condition` has the same value for every event of any one rollup cell: it reads only
 * grouped columns, and timestamps only through range bounds on bucket boundaries.
 */
function uniformPerCell(condition: ConditionNode, spec: RollupSpec): boolean {
  switch (condition.kind) {
    case 'and':
    case 'or':
      return condition.conditions.every((c) => uniformPerCell(c, spec));
    case 'not':
      return uniformPerCell(condition.condition, spec);
    default: {
      const field = condition.field;
      if (field.path.length !== 0) return false;
      const column = field.column;
      if (column === 'event_type' || column === 'stream_id') return spec.groupBy.includes(column);
      if (column !== 'timestamp') return false;
      const interval = rollupInterval(spec);
      if (interval === undefined) return false;
      if (condition.kind === 'exists') return true;
      const size = INTERVAL_MS[interval];
      const start = (v: unknown) => aligned(timestampMs(v), size);
      const end = (v: unknown) => {
        const ms = timestampMs(v);
        return ms !== undefined && aligned(ms + 1, size);
      };
      if (condition.kind === 'between') return start(condition.low) && end(condition.high);
      if (condition.kind !== 'compare') return false;
      switch (condition.op) {
        case 'gte':
        case 'lt':
          return start(condition.value);
        case 'gt':
        case 'lte':
          return end(condition.value);
        default:
          return false;
      }
    }
  }
}

/** How `spec` covers `query` (a parsed query with `reduce`), or undefined when it does not. */
function coverage(spec: RollupSpec, query: QueryNode): Coverage | undefined {
  const reduce = query.reduce;
  if (reduce === undefined) return undefined;
  const out: Coverage = { groupIndex: [] };
  if (reduce.type === 'count') {
    if (reduce.field !== undefined) return undefined;
  } else if (reduce.type === 'sum' || reduce.type === 'avg') {
    const index = rollupSumFields(spec).indexOf(reduce.field?.name ?? '');
    if (index < 0) return undefined;
    out.sumIndex = index;
  } else return undefined;
  for (const g of reduce.groupBy ?? []) {
    const column = g.field.column;
    if (g.field.path.length !== 0) return undefined;
    let index: number;
    if (g.kind === 'timeBucket') {
      index = spec.groupBy.findIndex(
        (r) => typeof r !== 'string' && TIME_RANK[r.interval] <= TIME_RANK[g.interval],
      );
    } else if (column === 'event_type' || column === 'stream_id') {
      index = spec.groupBy.indexOf(column);
    } else return undefined;
    if (index < 0) return undefined;
    out.groupIndex.push(index);
  }
  if (query.stream !== undefined && !spec.groupBy.includes('stream_id')) return undefined;
  if (query.where !== undefined && !uniformPerCell(query.where, spec)) return undefined;
  return out;
}

/** True when `spec` can answer `query` (see {@link answerFromRollup}). */
export function rollupCovers(spec: RollupSpec, query: QueryNode): boolean {
  return coverage(spec, query) !== undefined;
}

/** How many cells a rollup may hold, relatively: finer buckets and more group fields hold more. */
function granularity(spec: RollupSpec): number {
  const interval = rollupInterval(spec);
  const perBucket = interval === undefined ? 0 : 3 - TIME_RANK[interval];
  return perBucket * 10 + spec.groupBy.length + rollupSumFields(spec).length / 10;
}

/**
 * The rollup that answers `query`: of those that cover it, the one with the coarsest time bucket,
 * then the fewest group fields (the fewest cells to read); the oldest among equals.
 */
export function pickRollup(rollups: readonly RollupSpec[], query: QueryNode): RollupSpec | undefined {
  let best: RollupSpec | undefined;
  for (const r of rollups) {
    if (coverage(r, query) === undefined) continue;
    if (best === undefined || granularity(r) < granularity(best)) best = r;
  }
  return best;
}

/**
 * True when queries of the instance may be answered from rollups at all: not while it has
 * retention rules (events expired but not yet pruned are invisible to the scan, yet counted).
 */
export function rollupsUsable(instance: Instance): boolean {
  const r = instance.retention;
  return r === undefined || r === null || (r.maxAgeMs === undefined && r.maxEventsPerStream === undefined);
}

/**
 * Answers a covered query from the rollup's cells, exactly as the scan would (same groups in the
 * same order, same totals; sums within the DSL's tolerance, exact for integers).
 *
 * @throws EventLogError `LIMIT_EXCEEDED` past `maxGroups`, as the scan
 */
export function answerFromRollup(
  spec: RollupSpec,
  cells: readonly RollupCell[],
  query: QueryNode,
  limits: Pick<Limits, 'maxGroups'>,
): QueryResult {
  const cover = coverage(spec, query);
  const reduce = query.reduce;
  if (cover === undefined || reduce === undefined)
    throw new TypeError('The rollup does not cover the query.');
  const predicate = query.where === undefined ? undefined : compileCondition(query.where);
  const stream = query.stream;
  const streamAt = spec.groupBy.indexOf('stream_id');
  const groupBy = reduce.groupBy ?? [];
  const groups = new Map<string, { key: string[]; count: number; sum: NumericSum; numeric: number }>();
  let total = 0;
  for (const cell of cells) {
    if (cell.count <= 0) continue;
    if (stream !== undefined && cell.key[streamAt] !== stream) continue;
    if (predicate !== undefined) {
      // A stand-in event holding the cell's group values (the condition reads nothing else).
      const probe: Record<string, string> = {};
      spec.groupBy.forEach((g, i) => {
        probe[rollupGroupField(g)] = cell.key[i] as string;
      });
      if (!predicate(probe as unknown as EventRecord)) continue;
    }
    total += cell.count;
    const key = groupBy.map((g, i) => {
      const value = cell.key[cover.groupIndex[i] as number] as string;
      return g.kind === 'timeBucket' ? timeBucketStart(value, g.interval) : value;
    });
    const mapKey = rollupKeyString(key);
    let group = groups.get(mapKey);
    if (group === undefined) {
      if (groupBy.length > 0 && groups.size >= limits.maxGroups) {
        throw limitExceeded(
          `The aggregation has more than ${limits.maxGroups} groups (limit maxGroups). Narrow the query with where conditions, group by fewer or coarser fields, or raise limits.maxGroups.`,
          { limit: 'maxGroups', max: limits.maxGroups },
        );
      }
      group = { key, count: 0, sum: new NumericSum(), numeric: 0 };
      groups.set(mapKey, group);
    }
    group.count += cell.count;
    if (cover.sumIndex !== undefined) {
      const s = cell.sums[cover.sumIndex];
      if (s !== undefined && s.count > 0) {
        group.sum.add(s.sum);
        group.numeric += s.count;
      }
    }
  }
  const resultOf = (g: { count: number; sum: NumericSum; numeric: number } | undefined): JsonValue => {
    if (reduce.type === 'count') return g?.count ?? 0;
    if (reduce.type === 'sum') return g === undefined ? 0 : g.sum.value();
    return g === undefined || g.numeric === 0 ? null : g.sum.value() / g.numeric;
  };
  const head: Aggregation = { type: reduce.type };
  if (reduce.field !== undefined) head.field = reduce.field.name;
  if (groupBy.length === 0) {
    head.value = resultOf(groups.values().next().value);
  } else {
    const sorted = [...groups.values()].sort((a, b) => compareGroupKeys(a.key, b.key));
    const out: AggregationGroup[] = sorted.map((g) => {
      const key: Record<string, JsonValue> = {};
      groupBy.forEach((node, i) => {
        key[node.key] = g.key[i] as string;
      });
      return { key, value: resultOf(g) };
    });
    head.groupBy = groupBy.map(
      (g): GroupBy =>
        g.kind === 'timeBucket' ? { field: g.field.name, interval: g.interval } : g.field.name,
    );
    head.groups = out;
  }
  return { aggregation: head, total, limit: query.limit, offset: query.offset };
}

/** Folds events into cells (the memory adapter's store, and tests' reference). */
export function addToCells(
  cells: Map<string, RollupCell>,
  spec: RollupSpec,
  record: EventRecord,
  sign: 1 | -1,
): void {
  const { key, values } = rollupContribution(spec, record);
  const mapKey = rollupKeyString(key);
  let cell = cells.get(mapKey);
  if (cell === undefined) {
    cell = { key, count: 0, sums: values.map(() => ({ sum: 0, count: 0 })) };
    cells.set(mapKey, cell);
  }
  cell.count += sign;
  values.forEach((v, i) => {
    if (v === undefined) return;
    const s = cell.sums[i] as { sum: number; count: number };
    s.sum += sign * v;
    s.count += sign;
    if (s.count === 0) s.sum = 0;
  });
  if (cell.count === 0) cells.delete(mapKey);
}
