/**
 * The StorageAdapter contract: what a backend must do for Event Log. The facade validates input and
 * builds envelopes; the adapter stores and reads. Adapters receive validated, normalized input only,
 * and report failures by throwing {@link EventLogError} (`NOT_FOUND`, `ALREADY_EXISTS`, `CONFLICT`,
 * `LIMIT_EXCEEDED`, `STORAGE_ERROR` with the driver error as `cause`).
 *
 * Versioned by {@link STORAGE_ADAPTER_CONTRACT}; new abilities arrive as optional members and
 * {@link AdapterCapabilities} flags with defaults, so existing adapters keep working.
 */

import type { ConditionNode, QueryNode } from './dsl/ast.js';
import type { Limits } from './limits.js';
import type { EventRecord, Instance, InstanceStats, JsonObject, JsonValue, QueryResult } from './model.js';

/** The contract version this package implements. */
export const STORAGE_ADAPTER_CONTRACT = 1 as const;

/** What an adapter can do, as data. Missing flags take {@link DEFAULT_CAPABILITIES}. */
export interface AdapterCapabilities {
  /** Data survives a restart of the process. */
  persistent: boolean;
  /** Several processes can share one store, and `watch` sees their commits. */
  crossProcess: boolean;
  /** `transaction` runs a caller's writes atomically with key-value writes (exactly-once read models). */
  transactions: boolean;
  /** Filtering, ordering, paging and aggregation run in the backend. */
  queryPushdown: boolean;
}

/** Capabilities an adapter has unless it says otherwise. */
export const DEFAULT_CAPABILITIES: Readonly<AdapterCapabilities> = Object.freeze({
  persistent: false,
  crossProcess: false,
  transactions: false,
  queryPushdown: false,
});

/** A new instance, with its id and timestamps already chosen by the facade. */
export interface NewInstance {
  id: string;
  name: string;
  description?: string;
  createdAt: string;
}

/** A validated instance update. `description: null` removes the description. */
export interface InstancePatch {
  name?: string;
  description?: string | null;
  updatedAt: string;
}

/** A validated, normalized event to append. */
export interface NewEvent {
  /** The record id chosen by the facade (a UUID). */
  id: string;
  streamId: string;
  eventType: string;
  payload: JsonObject;
  metadata: JsonObject;
  /** Canonical `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  timestamp: string;
  eventId?: string;
}

/** A normalized expected version. `exact: 0` means the stream has no events. */
export type VersionCheck = { kind: 'any' } | { kind: 'exists' } | { kind: 'exact'; version: number };

/**
 * One atomic append. All events are stored or none; they keep array order.
 *
 * The adapter, in one transaction:
 * 1. resolves `instance` (id first, then name); when missing, creates it with id = name =
 *    `instance` if `autoCreate` (safely when two callers race), else throws `NOT_FOUND`;
 * 2. looks up the `eventId`s the instance already holds: if every event has one and all are held,
 *    returns `{ duplicate: true, events: <stored events, in request order> }` and writes nothing;
 *    if only some are held, throws `CONFLICT`;
 * 3. checks `expectedVersion` (only given when all events share one stream) and throws a version
 *    `CONFLICT` with `{ streamId, expectedVersion, actualVersion }` on mismatch;
 * 4. assigns per-stream sequence numbers (last + 1, …) and increasing global positions, inserts,
 *    commits, then signals watchers.
 *
 * {@link planAppend} implements steps 2 and 3 for adapters.
 */
export interface AppendRequest {
  /** The instance reference as given (id or name). */
  instance: string;
  autoCreate: boolean;
  /** Timestamp for an auto-created instance. */
  now: string;
  events: NewEvent[];
  /** As given by the caller, for conflict details. */
  expectedVersion?: { check: VersionCheck; raw: number | string };
}

/** The outcome of an append. */
export interface AppendOutcome {
  events: EventRecord[];
  /** True when every event's eventId was already stored; nothing was written. */
  duplicate: boolean;
}

/** A page read for live subscriptions: events with `global_position > after`, in position order. */
export interface ReadAfterRequest {
  instanceId: string;
  after: number;
  stream?: string;
  /** A validated condition (from the DSL parser); only matching events are returned. */
  where?: ConditionNode;
  /** At most this many events. */
  limit: number;
}

/**
 * A wake-up: something committed. `instanceId` is null when the adapter cannot tell which instance
 * changed (for example another process wrote); subscribers then re-read. `position` is the highest
 * global position committed, when known. Signals may be coalesced or spurious; readers read the
 * store by position, except as `committed` allows.
 */
export interface CommitSignal {
  kind: 'append' | 'delete' | 'unknown';
  instanceId: string | null;
  position?: number;
  /**
   * Optional, on `append` signals of this process's own commits: what the commit added, so a reader
   * that has read exactly up to `previous` can take `events` instead of reading them back.
   */
  committed?: CommittedEvents;
}

/**
 * The events one commit added to one instance. The adapter guarantees that every event of the
 * instance with a global position in `(previous, position]` is in `events` (in position order,
 * `position` being the last one's), because it read `previous` — the instance's highest position
 * before the commit — under the same lock that orders the instance's appends. The records are
 * shared with the appender's result: treat them as read-only.
 */
export interface CommittedEvents {
  previous: number;
  events: readonly EventRecord[];
}

/** Stops a watcher. */
export type Unsubscribe = () => void;

/** A versioned value in the key-value store. */
export interface StoredValue {
  value: JsonValue;
  /** Starts at 1 and increases by one on every write. */
  version: number;
}

/**
 * A small key-value store in the same backend, for projection checkpoints and leases.
 * `expectedVersion` makes `put`/`delete` a compare-and-set: `null` means "must not exist"; a
 * mismatch throws `CONFLICT`.
 */
export interface KeyValueStore {
  get(namespace: string, key: string): Promise<StoredValue | undefined>;
  put(
    namespace: string,
    key: string,
    value: JsonValue,
    options?: { expectedVersion?: number | null },
  ): Promise<StoredValue>;
  delete(namespace: string, key: string, options?: { expectedVersion?: number }): Promise<boolean>;
  list(namespace: string): Promise<Array<{ key: string } & StoredValue>>;
}

/**
 * A transaction handed to {@link StorageAdapter.transaction}'s callback. `kv` writes commit with
 * the callback's own writes; `driver` is the adapter's native handle inside the transaction (a
 * better-sqlite3 `Database`, a postgres.js `TransactionSql`, …) for the caller's read-model writes.
 */
export interface AdapterTransaction {
  kv: KeyValueStore;
  driver: unknown;
}

/** The contract every storage backend implements. */
export interface StorageAdapter {
  readonly contract: typeof STORAGE_ADAPTER_CONTRACT;
  /** A short name: `memory`, `sqlite`, `postgres`. */
  readonly name: string;
  readonly capabilities: Partial<AdapterCapabilities>;

  /** Creates an instance; `ALREADY_EXISTS` when its name (or id) is taken as an id or a name. */
  createInstance(instance: NewInstance): Promise<Instance>;
  /** Finds an instance by id, then by name. */
  resolveInstance(ref: string): Promise<Instance | undefined>;
  /** All instances, oldest first. */
  listInstances(): Promise<Instance[]>;
  /** Updates by id: `NOT_FOUND`, or `ALREADY_EXISTS` when the new name is taken. */
  updateInstance(id: string, patch: InstancePatch): Promise<Instance>;
  /** Deletes by id with all its events, streams and watchers' interest: `NOT_FOUND` when missing. */
  deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }>;

  /** Appends atomically: see {@link AppendRequest}. */
  append(request: AppendRequest): Promise<AppendOutcome>;
  /**
   * Answers a parsed query for one instance (by id). The result follows the DSL semantics exactly
   * (the core evaluator is the oracle); `LIMIT_EXCEEDED` past `maxGroups` / `maxCollectValues`.
   */
  query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult>;
  /** Statistics of one instance (by id). */
  stats(instanceId: string): Promise<InstanceStats>;

  /** A page of events after a global position, in position order. */
  readAfter(request: ReadAfterRequest): Promise<EventRecord[]>;
  /** The highest global position of the instance (0 when empty). */
  headPosition(instanceId: string): Promise<number>;
  /** Calls `listener` after commits (this process's, and other processes' when `crossProcess`). */
  watch(listener: (signal: CommitSignal) => void): Unsubscribe;

  /** The key-value store for checkpoints and leases. */
  readonly kv: KeyValueStore;
  /**
   * Runs `fn` in one backend transaction (when `capabilities.transactions`); its `kv` writes and
   * its driver writes commit together or not at all.
   */
  transaction?<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T>;

  /**
   * Resolves once the store is usable (connected, migrated); rejects with `STORAGE_ERROR` when it
   * cannot be. Optional: adapters that open synchronously may omit it.
   */
  ready?(): Promise<void>;

  /** Releases connections, timers and watchers. Idempotent. */
  close(): Promise<void>;
}

/** Reads a capability flag with its default. */
export function hasCapability(adapter: StorageAdapter, flag: keyof AdapterCapabilities): boolean {
  return adapter.capabilities[flag] ?? DEFAULT_CAPABILITIES[flag];
}
