/**
 * The query AST: small, frozen, discriminated nodes (`kind`). The parser builds it once from a
 * validated query; the evaluator and every SQL compiler are visitors over the same nodes.
 *
 * Invariants the parser guarantees (so visitors need not re-check):
 * - every field is valid: a top-level column, or a path below `payload`/`metadata` whose segments
 *   match the grammar and whose depth is at most 16;
 * - condition values have the right shapes (scalars, non-empty `in` lists within the cap, two
 *   bounds of one type for `between`); values compared with `timestamp` are already normalized to
 *   canonical ISO strings (`YYYY-MM-DDTHH:mm:ss.sssZ`), so comparing them as strings compares
 *   instants;
 * - `limit`/`offset` are integers within range.
 */

import type { JsonScalar, ReduceType, TimeInterval } from '../model.js';

/** The top-level fields of an event. */
export const COLUMNS = [
  'id',
  'instanceId',
  'stream_id',
  'event_type',
  'timestamp',
  'sequence_number',
  'global_position',
  'payload',
  'metadata',
  'tags',
] as const;

/** One of {@link COLUMNS}. */
export type Column = (typeof COLUMNS)[number];

/** Columns whose values are JSON documents with addressable paths. */
export type JsonColumn = 'payload' | 'metadata';

/**
 * Columns whose value is an array of strings, or missing: `tags` (SPEC §8). Missing when the event
 * has no tags; never empty; sorted by code point. Array semantics as for any array value:
 * `contains` matches an event holding the tag; `eq`/`in`/ordering operators never match (their
 * values are scalars); `neq` always matches; `exists` tells events with tags from events without;
 * ordering, grouping and `collect` treat the array as any JSON array. No paths below it.
 */
export type ArrayColumn = 'tags';

/** The JSON type each scalar column always holds. */
export const COLUMN_TYPES = {
  id: 'string',
  instanceId: 'string',
  stream_id: 'string',
  event_type: 'string',
  timestamp: 'string',
  sequence_number: 'number',
  global_position: 'number',
} as const satisfies Record<Exclude<Column, JsonColumn | ArrayColumn>, 'string' | 'number'>;

/** camelCase aliases accepted in queries; results use the canonical names. */
export const COLUMN_ALIASES: Readonly<Record<string, Column>> = Object.freeze({
  streamId: 'stream_id',
  eventType: 'event_type',
  sequenceNumber: 'sequence_number',
  globalPosition: 'global_position',
});

/**
 * A path segment below `payload`/`metadata`: a string is an object key
 * (`[A-Za-z_][A-Za-z0-9_-]*`), a number is an array index (it addresses array elements only).
 */
export type PathSegment = string | number;

/**
 * A field reference. `path` is empty for a top-level column; it is non-empty only when `column`
 * is `payload` or `metadata`. `name` is the canonical dotted spelling (`payload.items.0.sku`).
 */
export interface FieldNode {
  readonly kind: 'field';
  readonly column: Column;
  readonly path: readonly PathSegment[];
  readonly name: string;
}

/** A value compared with `gt`, `gte`, `lt`, `lte` or `between`. */
export type OrderedScalar = number | string;

/** `eq`, `neq`, `gt`, `gte`, `lt`, `lte`. */
export interface CompareNode {
  readonly kind: 'compare';
  readonly op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte';
  readonly field: FieldNode;
  /** A scalar for `eq`/`neq`; a number or string for the ordering operators. */
  readonly value: JsonScalar;
}

/** `in`: the field equals one of the values (a non-empty list of scalars). */
export interface InNode {
  readonly kind: 'in';
  readonly field: FieldNode;
  readonly values: readonly JsonScalar[];
}

/** `between`: `low <= field <= high`; both bounds have the same type. */
export interface BetweenNode {
  readonly kind: 'between';
  readonly field: FieldNode;
  readonly low: OrderedScalar;
  readonly high: OrderedScalar;
}

/** `contains`: literal substring of a string field, or an element of an array field. */
export interface ContainsNode {
  readonly kind: 'contains';
  readonly field: FieldNode;
  readonly value: JsonScalar;
}

/**
 * `startsWith`: a string field whose value begins with `prefix` (a non-empty string), compared
 * literally and case-sensitively, code point by code point; any other value never matches.
 */
export interface StartsWithNode {
  readonly kind: 'startsWith';
  readonly field: FieldNode;
  readonly prefix: string;
}

/** `exists`: the field is present (`true`; null counts as present) or missing (`false`). */
export interface ExistsNode {
  readonly kind: 'exists';
  readonly field: FieldNode;
  readonly exists: boolean;
}

/** All conditions hold. An empty `and` matches everything. */
export interface AndNode {
  readonly kind: 'and';
  readonly conditions: readonly ConditionNode[];
}

/** At least one condition holds. */
export interface OrNode {
  readonly kind: 'or';
  readonly conditions: readonly ConditionNode[];
}

/** The condition does not hold. */
export interface NotNode {
  readonly kind: 'not';
  readonly condition: ConditionNode;
}

/** Any condition node. */
export type ConditionNode =
  | CompareNode
  | InNode
  | BetweenNode
  | ContainsNode
  | StartsWithNode
  | ExistsNode
  | AndNode
  | OrNode
  | NotNode;

/** One ordering key. Ties always break by `global_position` ascending. */
export interface OrderNode {
  readonly kind: 'order';
  readonly field: FieldNode;
  readonly direction: 'asc' | 'desc';
}

/** A `groupBy` entry on a field; the group key holds the field's value (missing → null). */
export interface GroupFieldNode {
  readonly kind: 'groupField';
  readonly field: FieldNode;
  /** The key in `group.key`: the field's canonical name. */
  readonly key: string;
}

/** A `groupBy` time bucket of `timestamp`, keyed by the bucket's UTC start as an ISO string. */
export interface TimeBucketNode {
  readonly kind: 'timeBucket';
  readonly field: FieldNode;
  readonly interval: TimeInterval;
  /** The key in `group.key`: `timestamp`. */
  readonly key: string;
}

/** One `groupBy` entry. */
export type GroupNode = GroupFieldNode | TimeBucketNode;

/** `reduce`. `field` is required for every type but `count`. */
export interface ReduceNode {
  readonly kind: 'reduce';
  readonly type: ReduceType;
  readonly field: FieldNode | undefined;
  readonly groupBy: readonly GroupNode[] | undefined;
}

/**
 * A whole query. `instance` is the reference as the caller gave it (id or name); the facade
 * resolves it before calling the adapter, which receives the instance id separately.
 */
export interface QueryNode {
  readonly kind: 'query';
  readonly instance: string;
  readonly stream: string | undefined;
  /** An `and` of the where conditions; `undefined` when there are none. */
  readonly where: ConditionNode | undefined;
  readonly select: readonly FieldNode[] | undefined;
  /** Never empty: defaults to `global_position asc`. */
  readonly orderBy: readonly OrderNode[];
  readonly limit: number;
  readonly offset: number;
  readonly reduce: ReduceNode | undefined;
}

/** Any AST node. */
export type Node = QueryNode | ConditionNode | OrderNode | GroupNode | ReduceNode | FieldNode;

/** Builds a field node. The caller guarantees the path is valid for the column. */
export function fieldNode(column: Column, path: readonly PathSegment[] = []): FieldNode {
  const name = [column, ...path.map(String)].join('.');
  return Object.freeze({ kind: 'field', column, path: Object.freeze([...path]), name });
}

/** True when the field addresses a whole column with no path. */
export function isColumnField(field: FieldNode): boolean {
  return field.path.length === 0;
}

/** Deeply freezes an AST built by the parser. */
export function freezeNode<T extends object>(node: T): T {
  for (const value of Object.values(node)) {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) freezeNode(value);
  }
  return Object.freeze(node);
}
