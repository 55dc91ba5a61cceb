/**
 * The data model of Event Log: JSON values, instances, events, queries, results and envelopes.
 *
 * Everything here is plain data that survives a JSON round trip, so the same types describe the
 * in-process API, the wire protocol and what adapters store.
 */

/** A JSON scalar. */
export type JsonScalar = string | number | boolean | null;

/** Any JSON value. */
export type JsonValue = JsonScalar | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object, the shape of every payload and metadata. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * A map from event type to payload type, used to type an event log's events.
 *
 * @example
 * type ShopEvents = {
 *   OrderCreated: { orderId: string; total: number };
 *   OrderShipped: { orderId: string };
 * };
 * const log = createEventLog<ShopEvents>({ adapter: memoryAdapter() });
 */
// biome-ignore lint/suspicious/noExplicitAny: payload types are user-defined object types
export type EventMap = Record<string, any>;

/** An event log instance: a container of streams. Timestamps are ISO 8601 strings in UTC. */
export interface Instance {
  id: string;
  name: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  /** The instance's retention rules (SPEC §9), present when it has any. */
  retention?: Retention;
}

/**
 * Retention rules of an instance (SPEC §9). An event is expired — invisible to queries, reads,
 * statistics and subscriptions from that moment, and removed by pruning — when its `timestamp` is
 * more than `maxAgeMs` before now (`timestamp < now - maxAgeMs`), or when its `sequence_number`
 * is at most its stream's version minus `maxEventsPerStream` (each stream keeps its last
 * `maxEventsPerStream` sequence numbers; the version is the last sequence number ever written,
 * which deletions never lower). Both are integers from 1 to `Number.MAX_SAFE_INTEGER`; see
 * {@link isExpired} for the one reference rule.
 */
export interface Retention {
  maxAgeMs?: number;
  maxEventsPerStream?: number;
}

/**
 * A stored event, as every method returns it.
 *
 * - `sequence_number` counts per stream from 1 without gaps.
 * - `global_position` is unique and increasing across the whole store and never reused; within an
 *   instance, events become visible in position order.
 * - `timestamp` is always `YYYY-MM-DDTHH:mm:ss.sssZ`.
 * - `eventId` is present when the caller gave one (it makes the append idempotent).
 */
export interface EventRecord<
  TType extends string = string,
  TPayload = JsonObject,
  TTag extends string = string,
> {
  id: string;
  instanceId: string;
  stream_id: string;
  event_type: TType;
  payload: TPayload;
  metadata: JsonObject;
  timestamp: string;
  sequence_number: number;
  global_position: number;
  eventId?: string;
  /**
   * The event's tags (SPEC §8), present only when it has some: distinct strings, sorted by code
   * point. The DSL field `tags` reads them (`{ field: 'tags', operator: 'contains', value: 'course:c1' }`).
   */
  tags?: TTag[];
}

/** The event records of an {@link EventMap}: a union discriminated by `event_type`. */
export type EventRecordOf<E extends EventMap> = {
  [K in keyof E & string]: EventRecord<K, E[K]>;
}[keyof E & string];

/**
 * `expectedVersion` of an append: the stream's last sequence number (`0` or `'no_stream'`: the
 * stream has no events), `'any'` (no check) or `'stream_exists'` (at least one event).
 */
export type ExpectedVersion = number | 'no_stream' | 'any' | 'stream_exists';

/** Fields of one event given to `appendEvent` / `appendEvents`. Both spellings are accepted. */
export interface NewEventInput<
  TType extends string = string,
  TPayload = JsonObject,
  TTag extends string = string,
> {
  streamId?: string;
  stream_id?: string;
  eventType?: TType;
  event_type?: TType;
  payload?: TPayload;
  metadata?: JsonObject;
  /** ISO 8601 with `Z` or an offset, or epoch milliseconds. Defaults to the time of the append. */
  timestamp?: string | number;
  /** Makes the append idempotent: appending an eventId the instance holds returns the stored event. */
  eventId?: string;
  /**
   * Tags for consistency boundaries across streams (SPEC §8): 1–32 distinct strings of 1–200
   * characters (`[]`: none). Stored sorted by code point.
   */
  tags?: readonly TTag[];
}

/** Typed event inputs for an {@link EventMap}. */
export type NewEventInputOf<E extends EventMap, TTag extends string = string> = {
  [K in keyof E & string]: NewEventInput<K, E[K], TTag>;
}[keyof E & string];

/**
 * One item of an append condition: an event matches it when its type is one of `types` (if
 * given) and it holds every tag of `tags` (if given). At least one of the two, non-empty.
 *
 * @example { types: ['StudentSubscribed'], tags: ['course:c1'] }
 */
export interface ConditionItem<TType extends string = string, TTag extends string = string> {
  types?: readonly TType[];
  tags?: readonly TTag[];
}

/**
 * The condition of a conditional append (SPEC §8, the Dynamic Consistency Boundary): the append
 * writes nothing and fails with `CONFLICT` (`details: { condition: true, after, position }`) when
 * any event of the instance with `global_position > after` matches any item. `after` defaults to
 * 0: any event counts.
 *
 * @example
 * // "nobody subscribed to course c1 since I read up to position 1207"
 * { failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:c1'] }], after: 1207 }
 */
export interface AppendCondition<TType extends string = string, TTag extends string = string> {
  failIfEventsMatch: readonly ConditionItem<TType, TTag>[];
  after?: number;
}

/** Parameters of `appendEvent`. */
export type AppendEventParams<TEvent extends NewEventInput = NewEventInput> = TEvent & {
  /** The instance's id or name. */
  instanceId: string;
  expectedVersion?: ExpectedVersion;
  /** Fail with `CONFLICT` when matching events arrived after `after` (checked after `expectedVersion`). */
  condition?: AppendCondition<NonNullable<TEvent['eventType']>, NonNullable<TEvent['tags']>[number]>;
  /** Create the instance (id and name both `instanceId`) if it does not exist. */
  autoCreateInstance?: boolean;
};

/** Parameters of `appendEvents`. */
export interface AppendEventsParams<TEvent extends NewEventInput = NewEventInput> {
  /** The instance's id or name. */
  instanceId: string;
  events: TEvent[];
  /** The stream of events that name none. Defaults to `"default"`. */
  streamId?: string;
  stream_id?: string;
  /** Only when every event goes to one stream. */
  expectedVersion?: ExpectedVersion;
  /**
   * Expected versions of several streams of the batch, each checked as `expectedVersion` is, in
   * the same transaction. Every key must be a stream the batch writes; not with `expectedVersion`.
   */
  expectedVersions?: Record<string, ExpectedVersion>;
  /** Fail with `CONFLICT` when matching events arrived after `after` (checked after the versions). */
  condition?: AppendCondition<NonNullable<TEvent['eventType']>, NonNullable<TEvent['tags']>[number]>;
  autoCreateInstance?: boolean;
}

/** Parameters of `deleteStream` (SPEC §9). */
export interface DeleteStreamParams {
  /** The instance's id or name. */
  instanceId: string;
  streamId: string;
  /** The stream's version the caller expects (as on appends); `CONFLICT` when it differs. */
  expectedVersion?: ExpectedVersion;
}

/** Data of `deleteStream`. */
export interface DeleteStreamData {
  streamId: string;
  /** How many events were removed. */
  deletedEvents: number;
  /** The stream's version (its last sequence number); its next event is `version + 1`. */
  version: number;
}

/** Parameters of `truncateStream` (SPEC §9). */
export interface TruncateStreamParams {
  /** The instance's id or name. */
  instanceId: string;
  streamId: string;
  /** Events with `sequence_number < before` are removed (an integer ≥ 1). */
  before: number;
}

/** Data of `truncateStream`. */
export interface TruncateStreamData {
  streamId: string;
  deletedEvents: number;
}

/**
 * Parameters of `setRetention` (SPEC §9): a field left out keeps its rule, `null` removes it.
 *
 * @example { instanceId: 'metrics', maxAgeMs: 30 * 24 * 3600 * 1000, maxEventsPerStream: null }
 */
export interface SetRetentionParams {
  /** The instance's id or name. */
  instanceId: string;
  maxAgeMs?: number | null;
  maxEventsPerStream?: number | null;
}

/** Parameters of `pruneExpired`: one instance (id or name), or every instance when left out. */
export interface PruneExpiredParams {
  instanceId?: string;
}

/** Data of `pruneExpired`. */
export interface PruneExpiredData {
  /** How many expired events were physically removed. */
  deletedEvents: number;
}

/** Parameters of `forgetSubject` (crypto-shredding of a data subject's personal fields). */
export interface ForgetSubjectParams {
  subjectId: string;
}

/** Data of `forgetSubject`. */
export interface ForgetSubjectData {
  subjectId: string;
  /** True when the subject had a key, which is now destroyed; false when there was none. */
  forgotten: boolean;
  /** The ids of the instances where a `$subject.forgotten` event was recorded. */
  recordedIn: string[];
}

/** Fields that can be updated on an instance. `description: null` removes it. */
export interface InstanceUpdate {
  name?: string;
  description?: string | null;
}

/** The DSL's comparison operators (`exists` and `startsWith` are extensions of the API document). */
export type Operator =
  | 'eq'
  | 'neq'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'contains'
  | 'startsWith'
  | 'in'
  | 'between'
  | 'exists';

/** One `where` condition: a field comparison, or (extensions) `or` / `not`. */
export type Condition =
  | { field: string; operator: Operator; value: unknown }
  | { or: Condition[] }
  | { not: Condition };

/** Aggregation types of `reduce`. */
export type ReduceType = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'collect';

/** Time bucket sizes for `groupBy: [{ field: 'timestamp', interval }]`. */
export type TimeInterval = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** One `groupBy` entry: a field, or a time bucket of `timestamp`. */
export type GroupBy = string | { field: string; interval: TimeInterval };

/** A query in the JSON DSL. */
export interface Query {
  from: { instance: string; stream?: string };
  where?: Condition[];
  select?: string[];
  orderBy?: { field: string; direction?: 'asc' | 'desc' };
  limit?: number;
  offset?: number;
  reduce?: { type: ReduceType; field?: string; groupBy?: GroupBy[] };
}

/** `T` with every property optional, all the way down (arrays and scalars as they are). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * An event of a query with `select`: only the selected fields, nested as stored, so every field
 * (and every key of the payload) may be absent. Still discriminated by `event_type` when selected.
 */
export type SelectedEventOf<E extends EventMap> = string extends keyof E
  ? Partial<EventRecord>
  : { [K in keyof E & string]: Partial<EventRecord<K, DeepPartial<E[K]>>> }[keyof E & string];

/**
 * The events a query returns, typed by the log's event map: whole records discriminated by
 * `event_type` (after `e.event_type === 'OrderCreated'`, `e.payload` is that event's payload) —
 * or, when the query has (or may have) `select`, {@link SelectedEventOf}. An untyped log
 * (`EventMap`) gets {@link EventRecord}s with `JsonObject` payloads.
 *
 * Queries read events as stored: with upcasters, an old event's payload has its old shape (see
 * `upcast.ts`); read through `readStream`, `aggregateStream` or projections to get today's shape.
 */
export type QueryEventOf<E extends EventMap, Q = Query> = 'select' extends keyof Q
  ? Q extends { select?: undefined }
    ? WholeEventOf<E>
    : SelectedEventOf<E>
  : WholeEventOf<E>;

/** Whole records of an event map; {@link EventRecord} for an untyped map. */
type WholeEventOf<E extends EventMap> = string extends keyof E ? EventRecord : EventRecordOf<E>;

/** The result of query `Q` on a log typed by `E`: see {@link QueryEventOf}. */
export type QueryResultOf<E extends EventMap, Q = Query> = QueryResult<QueryEventOf<E, Q>>;

/** A group of a grouped aggregation. `key` maps each canonical group field to its value. */
export interface AggregationGroup {
  key: Record<string, JsonValue>;
  value: JsonValue;
}

/** The result of `reduce`. */
export interface Aggregation {
  type: ReduceType;
  field?: string;
  value?: JsonValue;
  groupBy?: GroupBy[];
  groups?: AggregationGroup[];
}

/** The result of a query. `total` counts all matches, ignoring limit and offset. */
export interface QueryResult<TEvent = Partial<EventRecord>> {
  events?: TEvent[];
  aggregation?: Aggregation;
  total: number;
  limit: number;
  offset: number;
}

/** Statistics of an instance. */
export interface InstanceStats {
  instanceId: string;
  name: string;
  eventCount: number;
  streamCount: number;
  eventTypes: Record<string, number>;
  firstEventAt: string | null;
  lastEventAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The error codes of failed envelopes. */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'LIMIT_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'CONFLICT',
  'STORAGE_ERROR',
  /** A server request without the right token (`eventlog serve --token`). */
  'UNAUTHORIZED',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The nine methods of the API document. */
export const METHODS = [
  'createInstance',
  'getInstance',
  'listInstances',
  'updateInstance',
  'deleteInstance',
  'appendEvent',
  'appendEvents',
  'queryEvents',
  'getInstanceStats',
] as const;

/**
 * The lifecycle methods (SPEC §9, and erasure of personal data), beside the nine: enveloped as
 * `eventLog.<method>` and served on the wire with the params object as given.
 */
export const LIFECYCLE_METHODS = [
  'deleteStream',
  'truncateStream',
  'setRetention',
  'pruneExpired',
  'forgetSubject',
] as const;

/** One of {@link LIFECYCLE_METHODS}. */
export type LifecycleMethodName = (typeof LIFECYCLE_METHODS)[number];

/** The rollup methods (issue 10), enveloped and served on the wire like the lifecycle methods. */
export const ROLLUP_METHODS = ['defineRollup', 'listRollups', 'dropRollup'] as const;

/** One of {@link ROLLUP_METHODS}. */
export type RollupMethodName = (typeof ROLLUP_METHODS)[number];

/**
 * Reads beside the nine, enveloped and served on the wire like them: `pageEvents`, a query's page
 * of events without its total (what readers that page through a log want: `queryEvents` counts
 * every match for its `total`).
 */
export const READ_METHODS = ['pageEvents'] as const;

/** One of {@link READ_METHODS}. */
export type ReadMethodName = (typeof READ_METHODS)[number];

/**
 * Every method served on the wire: the nine, then the lifecycle methods, then the rollup methods,
 * then the other reads.
 */
export const WIRE_METHODS = [...METHODS, ...LIFECYCLE_METHODS, ...ROLLUP_METHODS, ...READ_METHODS] as const;

/** One of {@link METHODS}, {@link LIFECYCLE_METHODS}, {@link ROLLUP_METHODS} or {@link READ_METHODS}. */
export type MethodName = (typeof METHODS)[number] | LifecycleMethodName | RollupMethodName | ReadMethodName;

interface EnvelopeBase<M extends string> {
  type: `eventLog.${M}`;
  timestamp: string;
  requestId: string;
  message?: string;
}

/** A successful envelope. */
export interface SuccessEnvelope<M extends string, D> extends EnvelopeBase<M> {
  success: true;
  data: D;
}

/** A failed envelope: `error` is a sentence a person can act on. */
export interface FailureEnvelope<M extends string> extends EnvelopeBase<M> {
  success: false;
  error: string;
  code: ErrorCode;
  details?: Record<string, unknown>;
}

/** What every EventLog method resolves to: it never rejects. */
export type Envelope<M extends string, D> = SuccessEnvelope<M, D> | FailureEnvelope<M>;

/** Data of `appendEvent`. `duplicate` is true when the eventId was already stored. */
export interface AppendEventData<TEvent = EventRecord> {
  event: TEvent;
  duplicate?: true;
}

/** Data of `appendEvents`. */
export interface AppendEventsData<TEvent = EventRecord> {
  events: TEvent[];
  count: number;
  duplicate?: true;
}

/** Data of `deleteInstance`. */
export interface DeleteInstanceData {
  instance: Instance;
  deletedEvents: number;
}
