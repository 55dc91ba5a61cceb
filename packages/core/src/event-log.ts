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
  Envelope,
  EventMap,
  EventRecord,
  EventRecordOf,
  Instance,
  InstanceStats,
  InstanceUpdate,
  NewEventInputOf,
  Query,
  QueryResultOf,
} from './model.js';
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
  /** The clock (default: `Date.now`); tests may freeze it. */
  now?: () => number;
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
  getInstanceStats(instanceId: string): Promise<InstanceStats>;

  /** Validates and parses a query into its AST (throws `VALIDATION_ERROR` / `LIMIT_EXCEEDED`). */
  parseQuery(query: unknown): QueryNode;
  /** A page of an instance's events after a position, in position order (for live reads). */
  readAfter(params: ReadAfterParams): Promise<EventRecordOf<E>[]>;
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
 * An event log: the nine methods of the API document plus `close()`. Every method resolves to an
 * {@link Envelope} and never rejects, whatever happens.
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
  getInstanceStats(instanceId: string): Promise<Envelope<'getInstanceStats', InstanceStats>>;
  /** Resolves when connections and watchers are released. */
  close(): Promise<void>;

  /** The typed, throwing layer under the envelopes. */
  readonly store: EventStore<E>;
}

/** An event record of any event map. */
export type AnyEventRecord = EventRecord;
