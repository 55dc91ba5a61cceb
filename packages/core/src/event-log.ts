/**
 * The public shapes of an event log: {@link EventLog}, the nine enveloped methods of the API
 * document, and {@link EventStore}, the typed layer under it that returns data and throws
 * {@link EventLogError}.
 */

import type { CommitSignal, KvWrite, StorageAdapter, Unsubscribe } from './adapter.js';
import type { QueryNode } from './dsl/ast.js';
import type { Limits } from './limits.js';
import type {
  AppendEventData,
  AppendEventParams,
  AppendEventsData,
  AppendEventsParams,
  Condition,
  DeleteInstanceData,
  DeleteStreamData,
  DeleteStreamParams,
  Envelope,
  EventMap,
  EventRecord,
  EventRecordOf,
  ForgetSubjectData,
  ForgetSubjectParams,
  Instance,
  InstanceStats,
  InstanceUpdate,
  JsonValue,
  NewEventInputOf,
  PruneExpiredData,
  PruneExpiredParams,
  Query,
  QueryEventOf,
  QueryResultOf,
  SetRetentionParams,
  TruncateStreamData,
  TruncateStreamParams,
} from './model.js';
import type {
  DefineRollupParams,
  DropRollupParams,
  ListRollupsParams,
  QueryPlan,
  RollupInfo,
} from './rollup.js';
import type { Upcaster } from './upcast.js';

/** Options of `createEventLog`. */
export interface EventLogOptions<E extends EventMap = EventMap> {
  adapter: StorageAdapter;
  /**
   * Upcasters applied on read by `aggregateStream`, `handleCommand`, `decide`, projections and
   * `liveEvents` (not by queries, which see the stored form). Default none.
   */
  upcasters?: readonly Upcaster<E>[];
  /** Overrides of the default caps. */
  limits?: Partial<Limits>;
  /** Makes request ids (default: random UUIDs). */
  requestId?: () => string;
  /**
   * The clock (default: `Date.now`); tests may freeze it. Retention reads at this clock's time:
   * an event is invisible from the moment this clock says it expired.
   */
  now?: () => number;
  /** Events removed per transaction by `pruneExpired` (each batch a short transaction). Default 1000. */
  pruneBatchSize?: number;
  /**
   * Answer `reduce` queries from a covering rollup (see `defineRollup`). Default true; false makes
   * every query scan (differential tests compare both).
   */
  useRollups?: boolean;
}

/** Parameters of {@link EventStore.readAfter}. */
export interface ReadAfterParams {
  /** The instance's id or name. */
  instance: string;
  /** Only events with `global_position > after`. Default 0. */
  after?: number;
  stream?: string;
  where?: Condition[];
  /** Page size, 1..maxQueryLimit. Default 500. */
  limit?: number;
}

/** What {@link EventStore.loadStream} reads. */
export interface LoadStreamParams {
  /** The instance's id or name. */
  instance: string;
  streamId: string;
  /** The key of the stream's snapshot in the `eventlog.snapshots` namespace, if one may be used. */
  snapshotKey?: string;
  /** Where the page starts without a usable snapshot: a sequence number ≥ 1. Default 1. */
  fromVersion?: number;
  /** Page size, 1..maxQueryLimit. */
  limit: number;
}

/** The start of a stream's fold, read by {@link EventStore.loadStream}. */
export interface StreamStart<E extends EventMap = EventMap> {
  /** The instance's id; undefined when it does not exist (its streams are empty). */
  instanceId: string | undefined;
  /** The snapshot entry's value, when stored (not yet checked: it is only a cache). */
  snapshot: JsonValue | undefined;
  /**
   * Where `events` starts: the snapshot's `version` when it is an integer from 1 to 2^53 − 1 (the
   * snapshot's own event, so it can be checked to still be there), else `fromVersion` (default 1).
   */
  from: number;
  /** The stream's events from `from` on, at most `limit`, as stored (not upcast). */
  events: EventRecordOf<E>[];
}

/** Options of {@link EventStore.appendEvents} for helpers built on the store (not on the wire). */
export interface StoreAppendOptions {
  /**
   * Key-value writes committed with the append (in its transaction when the adapter has
   * `appendKvWrites`, else right after it; see `appendToAdapter`). Snapshots use it.
   */
  kvWrites?: readonly KvWrite[];
}

/**
 * The typed layer: the same operations as {@link EventLog}, returning data and throwing
 * {@link EventLogError} with a `code`. Aggregates and live subscriptions build on it.
 */
export interface EventStore<E extends EventMap = EventMap> {
  readonly adapter: StorageAdapter;
  readonly limits: Readonly<Limits>;
  /** The upcasters registered with `createEventLog` (applied by the read helpers, not here). */
  readonly upcasters: readonly Upcaster<E>[];

  createInstance(name: string, description?: string): Promise<Instance>;
  getInstance(instanceId: string): Promise<Instance>;
  listInstances(): Promise<Instance[]>;
  updateInstance(instanceId: string, updates: InstanceUpdate): Promise<Instance>;
  deleteInstance(instanceId: string): Promise<DeleteInstanceData>;
  appendEvent(params: AppendEventParams<NewEventInputOf<E>>): Promise<AppendEventData<EventRecordOf<E>>>;
  appendEvents(
    params: AppendEventsParams<NewEventInputOf<E>>,
    options?: StoreAppendOptions,
  ): Promise<AppendEventsData<EventRecordOf<E>>>;
  /** Runs a query; events are typed by the event map (see {@link QueryEventOf}). */
  queryEvents<Q extends Query>(query: Q): Promise<QueryResultOf<E, Q>>;
  /**
   * The page of events a query (without `reduce`) selects, without counting all its matches: what
   * `queryEvents` returns as `events`, at the cost of the page alone (a query's `total` counts
   * every match, a scan of all of them on a long stream). The stream helpers read with it.
   */
  pageEvents<Q extends Query>(query: Q): Promise<QueryEventOf<E, Q>[]>;
  getInstanceStats(instanceId: string): Promise<InstanceStats>;

  /** Removes a stream's events, recording `$stream.deleted` (SPEC §9); see {@link EventLog.deleteStream}. */
  deleteStream(params: DeleteStreamParams): Promise<DeleteStreamData>;
  /** Removes a stream's events before a sequence number, recording `$stream.truncated`. */
  truncateStream(params: TruncateStreamParams): Promise<TruncateStreamData>;
  /** Sets or removes the instance's retention rules; returns the instance. */
  setRetention(params: SetRetentionParams): Promise<Instance>;
  /** Physically removes expired events (of one instance, or all). */
  pruneExpired(params?: PruneExpiredParams): Promise<PruneExpiredData>;
  /** Destroys a subject's key (their personal fields read as `"[erased]"`) and records it. */
  forgetSubject(subject: string | ForgetSubjectParams): Promise<ForgetSubjectData>;

  /** Defines a rollup of an instance and fills it from its events (see {@link EventLog.defineRollup}). */
  defineRollup(params: DefineRollupParams): Promise<RollupInfo>;
  /** The instance's rollups, oldest first. */
  listRollups(params: ListRollupsParams): Promise<RollupInfo[]>;
  /** Drops a rollup; `dropped: false` when there was none of that name. */
  dropRollup(params: DropRollupParams): Promise<{ dropped: boolean }>;
  /** How `queryEvents` would answer `query`: from which rollup, or by a scan. */
  explainQuery(query: Query): Promise<QueryPlan>;

  /** Validates and parses a query into its AST (throws `VALIDATION_ERROR` / `LIMIT_EXCEEDED`). */
  parseQuery(query: unknown): QueryNode;
  /** A page of an instance's events after a position, in position order (for live reads). */
  readAfter(params: ReadAfterParams): Promise<EventRecordOf<E>[]>;
  /**
   * The start of a stream's read (`aggregateStream`, `handleCommand`, `readStream`): the instance,
   * the snapshot entry `snapshotKey` and the stream's first page from where that snapshot points
   * (else from `fromVersion`), in one round trip when the adapter has `loadStream` (two
   * otherwise). See {@link StreamStart}.
   */
  loadStream(params: LoadStreamParams): Promise<StreamStart<E>>;
  /** The instance's highest global position (0 when empty). */
  headPosition(instanceId: string): Promise<number>;
  /** Wake-ups after commits; see {@link CommitSignal}. */
  watch(listener: (signal: CommitSignal) => void): Unsubscribe;
  /**
   * The current time as a canonical ISO string, from the configured clock (`now` option, default
   * `Date.now`; a broken clock falls back to the system's). Envelopes are stamped with it.
   */
  now(): string;
  close(): Promise<void>;
}

/**
 * An event log: the nine methods of the API document, the lifecycle methods (SPEC §9: stream
 * deletion, truncation, retention, pruning; erasure of personal data) and `close()`. Every method
 * resolves to an {@link Envelope} and never rejects, whatever happens.
 *
 * @example
 * const log = createEventLog({ adapter: memoryAdapter() });
 * const res = await log.createInstance('user-activity');
 * if (res.success) console.log(res.data.instance.id);
 */
export interface EventLog<E extends EventMap = EventMap> {
  createInstance(
    name: string,
    description?: string,
  ): Promise<Envelope<'createInstance', { instance: Instance }>>;
  getInstance(instanceId: string): Promise<Envelope<'getInstance', { instance: Instance }>>;
  listInstances(): Promise<Envelope<'listInstances', { instances: Instance[] }>>;
  updateInstance(
    instanceId: string,
    updates: InstanceUpdate,
  ): Promise<Envelope<'updateInstance', { instance: Instance }>>;
  deleteInstance(instanceId: string): Promise<Envelope<'deleteInstance', DeleteInstanceData>>;
  appendEvent(
    params: AppendEventParams<NewEventInputOf<E>>,
  ): Promise<Envelope<'appendEvent', AppendEventData<EventRecordOf<E>>>>;
  appendEvents(
    params: AppendEventsParams<NewEventInputOf<E>>,
  ): Promise<Envelope<'appendEvents', AppendEventsData<EventRecordOf<E>>>>;
  /**
   * Runs a query. Its events are typed by the event map: whole records discriminated by
   * `event_type`, or partial ones with `select` (see {@link QueryEventOf}).
   */
  queryEvents<Q extends Query>(query: Q): Promise<Envelope<'queryEvents', { result: QueryResultOf<E, Q> }>>;
  /**
   * A query's page of events without its `total`: the `events` `queryEvents` returns, at the cost
   * of the page alone (`total` counts every match, a scan of all of them). For readers that page
   * through a log by position (`eventlog export` through a server). A query with `reduce` is a
   * `VALIDATION_ERROR`: aggregations go through `queryEvents`.
   *
   * @example
   * const page = await log.pageEvents({ from: { instance: 'orders' }, where: [{ field: 'global_position', operator: 'gt', value: 5000 }], limit: 1000 });
   * // { success: true, data: { events: [...] }, … }
   */
  pageEvents<Q extends Query>(query: Q): Promise<Envelope<'pageEvents', { events: QueryEventOf<E, Q>[] }>>;
  getInstanceStats(instanceId: string): Promise<Envelope<'getInstanceStats', InstanceStats>>;

  /**
   * Removes a stream's events (SPEC §9). The stream keeps its version: its next event is
   * `version + 1`; positions are never reused. Recorded in the same transaction as a
   * `$stream.deleted` event (payload `{ streamId, deletedEvents }`) on the `$system` stream.
   * `expectedVersion` is checked as on appends (`CONFLICT` on mismatch, nothing removed).
   *
   * @example await log.deleteStream({ instanceId: 'orders', streamId: 'order-7', expectedVersion: 3 })
   */
  deleteStream(params: DeleteStreamParams): Promise<Envelope<'deleteStream', DeleteStreamData>>;
  /**
   * Removes a stream's events with `sequence_number < before`, recorded as `$stream.truncated`
   * (payload `{ streamId, before, deletedEvents }`).
   */
  truncateStream(params: TruncateStreamParams): Promise<Envelope<'truncateStream', TruncateStreamData>>;
  /**
   * Sets the instance's retention rules (a field left out keeps its rule, `null` removes it);
   * the instance then shows `retention`. Expired events are invisible from the moment they expire
   * and are removed by {@link EventLog.pruneExpired}.
   *
   * @example await log.setRetention({ instanceId: 'metrics', maxAgeMs: 7 * 86_400_000 })
   */
  setRetention(params: SetRetentionParams): Promise<Envelope<'setRetention', { instance: Instance }>>;
  /** Physically removes expired events, in short batches; of one instance, or of all. */
  pruneExpired(params?: PruneExpiredParams): Promise<Envelope<'pruneExpired', PruneExpiredData>>;
  /**
   * Crypto-shredding: destroys the subject's key, so every personal field of theirs (marked with
   * `metadata.subject` + `metadata.personal` on append) reads as `"[erased]"` from now on, and
   * records a `$subject.forgotten` event (payload `{ subjectId }`) in each instance holding their
   * events.
   *
   * @example await log.forgetSubject('customer-42')
   */
  forgetSubject(subject: string | ForgetSubjectParams): Promise<Envelope<'forgetSubject', ForgetSubjectData>>;
  /**
   * Defines a rollup (issue 10): counts and sums of an instance's events grouped by some of
   * `event_type`, `stream_id` and a time bucket (minute, hour, day), filled from the events held
   * now and kept in the transaction of every append and removal. `queryEvents` answers a `reduce`
   * (count, sum, avg) that a rollup covers from it, with the scan's result.
   *
   * @example
   * await log.defineRollup({ instanceId: 'shop', name: 'hourly', groupBy: ['event_type',
   *   { field: 'timestamp', interval: 'hour' }], measures: [{ type: 'sum', field: 'payload.amount' }] })
   */
  defineRollup(params: DefineRollupParams): Promise<Envelope<'defineRollup', { rollup: RollupInfo }>>;
  /** The instance's rollups. */
  listRollups(params: ListRollupsParams): Promise<Envelope<'listRollups', { rollups: RollupInfo[] }>>;
  /** Drops a rollup. */
  dropRollup(params: DropRollupParams): Promise<Envelope<'dropRollup', { dropped: boolean }>>;
  /** Resolves when connections and watchers are released. */
  close(): Promise<void>;

  /** The typed, throwing layer under the envelopes. */
  readonly store: EventStore<E>;
}

/** An event record of any event map. */
export type AnyEventRecord = EventRecord;
