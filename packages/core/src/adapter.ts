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
import { storageError } from './errors.js';
import type { Limits } from './limits.js';
import type {
  EventRecord,
  ExpectedVersion,
  Instance,
  InstanceStats,
  JsonObject,
  JsonValue,
  QueryResult,
  Retention,
} from './model.js';
import type { RollupCell, RollupInfo, RollupSpec } from './rollup.js';

/** The contract version this package implements. */
export const STORAGE_ADAPTER_CONTRACT = 1 as const;

/**
 * What an adapter can do, as data. Missing flags take {@link DEFAULT_CAPABILITIES}. Flags added
 * after the first contract are optional here, so adapters that declare the full set of their time
 * keep compiling.
 */
export interface AdapterCapabilities {
  /** Data survives a restart of the process. */
  persistent: boolean;
  /** Several processes can share one store, and `watch` sees their commits. */
  crossProcess: boolean;
  /** `transaction` runs a caller's writes atomically with key-value writes (exactly-once read models). */
  transactions: boolean;
  /** Filtering, ordering, paging and aggregation run in the backend. */
  queryPushdown: boolean;
  /**
   * Events carry `tags` (SPEC §8): the adapter stores {@link NewEvent.tags} and returns them, in
   * the order given (sorted by code point), as `tags` on every record that has some — from
   * `append` (also duplicates: the stored tags), `query` (whole records and `select: ['tags']`),
   * `readAfter` and `CommitSignal.committed` — and no `tags` key on records without. It answers the
   * DSL field `tags` in `where`, `select`, `orderBy`, `groupBy` and `reduce` exactly as the core
   * evaluator does (an array column; see `ArrayColumn` in dsl/ast.ts), serving `tags contains` from
   * an index (no scan of the instance). Without it, the facade refuses appends with tags
   * (`STORAGE_ERROR`) rather than letting them be dropped.
   */
  tags?: boolean;
  /**
   * The adapter checks {@link AppendRequest.condition} and every entry of
   * {@link AppendRequest.versionChecks} (several streams per batch) atomically with the write.
   * Without it, the facade refuses such appends (`STORAGE_ERROR`) rather than letting a check be
   * skipped; single-stream `expectedVersion` works either way.
   */
  conditionalAppends?: boolean;
  /**
   * The adapter commits {@link AppendRequest.kvWrites} in the append's transaction (snapshots).
   * Without it, helpers write those values with separate `kv.put`s after the append commits.
   */
  appendKvWrites?: boolean;
  /**
   * Stream lifecycle and retention (SPEC §9): {@link StorageAdapter.deleteStream},
   * {@link StorageAdapter.truncateStream} and {@link StorageAdapter.pruneExpired}, retention
   * rules stored with the instance ({@link InstancePatch.retention}), and every read honouring
   * them at {@link ReadOptions.now}. Without it, the facade answers those methods with
   * `STORAGE_ERROR` (nothing changed).
   */
  lifecycle?: boolean;
  /**
   * Archiving (moving events out of the store and back): {@link StorageAdapter.importEvents}
   * puts events back with their original ids, timestamps, eventIds, tags, sequence numbers and
   * global positions, and {@link StorageAdapter.removeEvents} removes given events without a
   * `$system` record. Without it, `eventlog archive` / `restore` refuse (`STORAGE_ERROR`).
   */
  archive?: boolean;
  /**
   * After {@link StorageAdapter.scrub} resolves, no byte of a deleted key-value entry remains in
   * the backend's files (crypto-shredding destroys a subject's key with `kv.delete` and then
   * scrubs). Without it, a destroyed key may linger in free space until the backend reuses it.
   */
  secureDelete?: boolean;
  /**
   * Rollups (issue 10): {@link StorageAdapter.defineRollup}, `listRollups`, `dropRollup` and
   * `readRollup`. A rollup's cells are kept in the transaction of every write that adds or removes
   * events of the instance (appends, stream deletion and truncation, pruning, imports, removals),
   * so they always equal {@link rollupContribution} folded over the instance's stored events.
   */
  rollups?: boolean;
  /**
   * `query` and `stats` honor {@link ReadOptions.ref}: given a reference, they answer `NOT_FOUND`
   * (and read nothing) unless, in the read's own snapshot, the reference names the instance
   * `instanceId`. The facade then reads by a name it resolved before in one round trip, and
   * resolves again when the name has moved (renamed, deleted, or now another instance's id).
   */
  readRefs?: boolean;
}

/**
 * What a read needs to know besides its input: the moment it reads at, for retention (events
 * expired at `now` are invisible). The facade passes its clock's time; an adapter without
 * `lifecycle` ignores it.
 */
export interface ReadOptions {
  /** Canonical `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  now?: string;
  /**
   * The reference (a name) the caller gave for `instanceId`, which the facade resolved earlier.
   * Only with `capabilities.readRefs`: the read answers `NOT_FOUND` unless the reference names
   * `instanceId` in the read's snapshot (ids are tried before names, SPEC §3).
   */
  ref?: string;
  /**
   * `false`: the caller needs the page, not `total` (the stream helpers read pages of a stream
   * newest first). The adapter may then skip counting the matches, which costs a scan of all of
   * them on a long stream; `total` is then at least `offset` plus the events returned, not their
   * count. Only for queries without `reduce`.
   */
  total?: false;
}

/**
 * A stream deletion or truncation (SPEC §9), by instance id, already validated. In one
 * transaction, serialized with the instance's appends, the adapter:
 * 1. checks `expectedVersion` against the stream's version (its last sequence number, which a
 *    deletion never lowers) and throws a version `CONFLICT` on mismatch (nothing changed);
 * 2. removes the stream's events — all of them, or those with `sequence_number < before` — with
 *    their tags and eventIds (an eventId of a removed event may be appended again); the stream
 *    keeps its version, so its next event is `version + 1`;
 * 3. appends `record` (stream `$system`, type `$stream.deleted` / `$stream.truncated`, its payload
 *    `{ streamId, before? }` completed with `deletedEvents`), numbered and positioned like any
 *    append, and signals it to watchers as an append.
 * An instance that does not exist is `NOT_FOUND`.
 */
export interface StreamRemoval {
  instanceId: string;
  streamId: string;
  /** Only for truncation: events with `sequence_number < before` go. */
  before?: number;
  expectedVersion?: { check: VersionCheck; raw: number | string };
  /** The `$system` event recording the removal (payload without `deletedEvents`). */
  record: NewEvent;
}

/**
 * Events put back into an instance with their original identity (restoring an archive), by
 * instance id, in `global_position` order. See {@link StorageAdapter.importEvents}.
 */
export interface ImportRequest {
  instanceId: string;
  /**
   * Records as the store returned them (from `readAfter` or `query` without `select`). Their
   * `instanceId` is ignored: they are stored under {@link ImportRequest.instanceId}.
   */
  events: EventRecord[];
}

/** The outcome of an {@link ImportRequest}. */
export interface ImportOutcome {
  /** Events inserted. */
  imported: number;
  /** Events already stored (same position, same record id): left as they are. */
  skipped: number;
}

/** Events removed by position, without a record (archiving). See {@link StorageAdapter.removeEvents}. */
export interface RemoveEventsRequest {
  instanceId: string;
  /** Global positions of the instance's events to remove; positions not held by it are ignored. */
  positions: number[];
}

/** The outcome of a {@link StreamRemoval}. */
export interface StreamRemovalOutcome {
  deletedEvents: number;
  /** The stream's version (last sequence number), unchanged by the removal. */
  version: number;
  /** The stored `$system` event. */
  event: EventRecord;
}

/** Capabilities an adapter has unless it says otherwise. */
export const DEFAULT_CAPABILITIES: Readonly<Required<AdapterCapabilities>> = Object.freeze({
  persistent: false,
  crossProcess: false,
  transactions: false,
  queryPushdown: false,
  tags: false,
  conditionalAppends: false,
  appendKvWrites: false,
  lifecycle: false,
  archive: false,
  secureDelete: false,
  rollups: false,
  readRefs: false,
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
  /** The instance's new retention rules, whole (`null`: none). Only with `capabilities.lifecycle`. */
  retention?: Retention | null;
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
  /**
   * Tags, when the event has some: 1–32 distinct names, sorted by code point (so an adapter that
   * stores them in a table can rebuild the array by `ORDER BY tag` under a code point collation).
   * Absent when the caller gave none or `[]`; stored records then have no `tags` key either.
   */
  tags?: string[];
}

/** A normalized expected version. `exact: 0` means the stream has no events. */
export type VersionCheck = { kind: 'any' } | { kind: 'exists' } | { kind: 'exact'; version: number };

/** The expected version of one stream of an append, normalized, with the caller's spelling. */
export interface StreamVersionCheck {
  streamId: string;
  check: VersionCheck;
  /** As given by the caller (`0`, `'no_stream'`, …), for the conflict's details. */
  raw: ExpectedVersion;
}

/**
 * One item of a normalized append condition: a stored event matches when its type is one of
 * `types` (when present) and it holds every tag of `tags` (when present). At least one of the two
 * is present; present arrays are non-empty and hold distinct values.
 */
export interface ConditionItemSpec {
  types?: readonly string[];
  tags?: readonly string[];
}

/**
 * A normalized append condition: the append fails when any event of the instance with
 * `global_position > after` matches any item. `after` is 0 when the caller gave none (positions
 * start at 1, so every event counts).
 */
export interface ConditionSpec {
  items: readonly ConditionItemSpec[];
  after: number;
}

/** A key-value write committed in the same transaction as an append (see {@link AppendRequest.kvWrites}). */
export interface KvWrite {
  namespace: string;
  key: string;
  value: JsonValue;
}

/**
 * One atomic append. All events are stored or none; they keep array order.
 *
 * The adapter, in one transaction (serialized with every other append of the instance):
 * 1. resolves `instance` (id first, then name); when missing, creates it with id = name =
 *    `instance` if `autoCreate` (safely when two callers race), else throws `NOT_FOUND`;
 * 2. gathers three facts:
 *    - the stored events of the instance whose `eventId` is one of the request's;
 *    - the current version (last sequence number, 0 when none) of every stream the request writes;
 *    - when `condition` is given: the smallest `global_position` of an event of the instance with
 *      `global_position > condition.after` that matches any item (`null` when none; see
 *      {@link conditionMatchesEvent} for the exact rule), read under the same lock as the write;
 * 3. calls {@link planAppend} with them, which decides in this order:
 *    a. eventId replay — every event has an eventId already held: `{ duplicate: true, events }`
 *       with the stored events in request order, nothing written (whatever the versions and the
 *       condition say); some held: `CONFLICT` (`details.reason: 'partial_duplicate'`);
 *    b. `versionChecks`, in order — the first mismatch throws a version `CONFLICT`
 *       `{ streamId, expectedVersion, actualVersion }`;
 *    c. `condition` — a matching position throws `CONFLICT`
 *       `{ condition: true, after, position }`;
 *    d. otherwise the rows to insert, with per-stream sequence numbers (last + 1, …);
 * 4. inserts the rows with increasing global positions, writes `kvWrites` (when
 *    `capabilities.appendKvWrites`), commits, then signals watchers. A failed or duplicate append
 *    writes neither events nor `kvWrites`.
 *
 * {@link isUnconditionalAppend} tells requests that need no facts at all (no eventIds, no version
 * check other than `'any'`, no condition), for a faster path.
 *
 * An adapter that decides several requests in one transaction (group commit) must count the rows
 * planned for earlier requests of the group as stored when it decides a later one: their streams'
 * versions (as today) and, for a later request's condition, whether one of those rows matches
 * ({@link conditionMatchesEvent} works on {@link NewEvent}s too; such a match is a conflict whose
 * `position` is the first matching row's, known once inserted). The simplest correct choice is to
 * give a request with a condition a group of its own.
 */
export interface AppendRequest {
  /** The instance reference as given (id or name). */
  instance: string;
  autoCreate: boolean;
  /** Timestamp for an auto-created instance. */
  now: string;
  events: NewEvent[];
  /**
   * The expected versions to check, one entry per stream (a stream at most once; every stream
   * named is one the request writes). `appendEvent`'s and `appendEvents`' `expectedVersion` is
   * one entry; `appendEvents`' `expectedVersions` one entry per key. Absent or empty: no check.
   * Entries of several streams need `capabilities.conditionalAppends`.
   */
  versionChecks?: StreamVersionCheck[];
  /**
   * @deprecated Contract 1's single-stream check, kept for adapters written against it: the
   * facade sets it exactly when `versionChecks` has one entry and every event is on its stream.
   * Read `versionChecks` (or let {@link planAppend} read it) instead.
   */
  expectedVersion?: { check: VersionCheck; raw: number | string };
  /** The append's condition; given only to adapters with `capabilities.conditionalAppends`. */
  condition?: ConditionSpec;
  /**
   * Key-value writes (`put`s without a version check) to commit in the append's transaction,
   * only when the append inserts events. Given only to adapters with
   * `capabilities.appendKvWrites`; used by snapshots.
   */
  kvWrites?: KvWrite[];
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
  /** The moment of the read, for retention (see {@link ReadOptions}). */
  now?: string;
}

/**
 * The start of a stream's fold (see {@link StorageAdapter.loadStream}): the instance a reference
 * names, a key-value entry (a snapshot) and the stream's first page from the sequence number the
 * entry names, read together.
 */
export interface LoadStreamRequest {
  /** The instance's id or name (ids first, as {@link StorageAdapter.resolveInstance}). */
  ref: string;
  stream: string;
  /**
   * The entry whose value's `version` is where the page starts (a snapshot's anchor), when it is
   * an integer from 1 to 2^53 − 1; without the entry, or with anything else there, at `from`.
   */
  anchor?: { namespace: string; key: string };
  /** Where the page starts without a usable anchor: a sequence number ≥ 1. Default 1. */
  from?: number;
  /** At most this many events. */
  limit: number;
  /** The moment of the read, for retention (see {@link ReadOptions}). */
  now?: string;
}

/** What {@link StorageAdapter.loadStream} read, all in one snapshot. */
export interface LoadedStream {
  /** The instance; undefined when the reference names none (then nothing else is read). */
  instance: Instance | undefined;
  /** The anchor entry, when stored. */
  anchor: StoredValue | undefined;
  /** The sequence number the page starts at (its events have this one or higher). */
  from: number;
  /**
   * The stream's events from `from` on, in sequence order, at most `limit`; with
   * `capabilities.lifecycle`, those expired at `now` are left out.
   */
  events: EventRecord[];
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
 *
 * With `capabilities.lifecycle`: an adapter does not attach `committed` to commits of an instance
 * that has retention rules (an event may be expired the moment it commits — an old timestamp, or
 * a batch longer than `maxEventsPerStream` — and readers would deliver it without the rule being
 * applied); readers then read, and reads apply the rules.
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
   * With `capabilities.lifecycle`, events expired at `options.now` under the instance's retention
   * (see `isExpired`) are left out before anything else (filters, totals, aggregations).
   */
  query(instanceId: string, query: QueryNode, limits: Limits, options?: ReadOptions): Promise<QueryResult>;
  /**
   * Statistics of one instance (by id). With `capabilities.lifecycle`: over the events that
   * remain and are visible at `options.now` (counts, types, streams, first/last timestamps).
   */
  stats(instanceId: string, options?: ReadOptions): Promise<InstanceStats>;

  /**
   * A page of events after a global position, in position order. With `capabilities.lifecycle`,
   * events expired at `request.now` are skipped (not counted in `limit`).
   */
  readAfter(request: ReadAfterRequest): Promise<EventRecord[]>;
  /**
   * Optional: `resolveInstance`, a key-value `get` and a first stream page from where that entry
   * points, in one snapshot and, on a remote database, one round trip (the start of
   * `handleCommand` and `aggregateStream` with a snapshot; without it they take two). Must answer
   * exactly as those calls would: see {@link LoadStreamRequest}.
   */
  loadStream?(request: LoadStreamRequest): Promise<LoadedStream>;
  /**
   * The highest global position among the instance's stored events (0 when empty); expired events
   * not yet pruned count.
   */
  headPosition(instanceId: string): Promise<number>;
  /** Calls `listener` after commits (this process's, and other processes' when `crossProcess`). */
  watch(listener: (signal: CommitSignal) => void): Unsubscribe;

  /** Removes a stream's events (see {@link StreamRemoval}); with `capabilities.lifecycle`. */
  deleteStream?(removal: StreamRemoval): Promise<StreamRemovalOutcome>;
  /** Removes a stream's events before a sequence number (see {@link StreamRemoval}). */
  truncateStream?(removal: StreamRemoval & { before: number }): Promise<StreamRemovalOutcome>;
  /**
   * Physically removes the events expired at `now` (of one instance, by id, or of all), in
   * batches of at most `batchSize` events, each its own short transaction (so appends are never
   * held back long); returns how many it removed.
   */
  pruneExpired?(request: {
    instanceId?: string;
    now: string;
    batchSize: number;
  }): Promise<{ deletedEvents: number }>;

  /**
   * Restores events with their original identity (with `capabilities.archive`). In one
   * transaction, serialized with the instance's appends and removals:
   * 1. `NOT_FOUND` when the instance does not exist;
   * 2. an event whose `global_position` is already held by a stored event with the same record
   *    `id` is skipped (so a restore can be run again after a failure); one whose position is held
   *    by another event (of any instance), whose `(stream_id, sequence_number)` is held in the
   *    instance, or whose `eventId` the instance already holds is a `CONFLICT` (nothing written);
   * 3. every other event is inserted exactly as given — `id`, `stream_id`, `event_type`,
   *    `payload`, `metadata`, `timestamp`, `sequence_number`, `global_position`, `eventId`,
   *    `tags` — under `instanceId`;
   * 4. the store's position counter moves to at least the highest imported position (new appends
   *    get higher positions: positions are never reused), and each stream's version to at least
   *    its highest imported sequence number;
   * 5. watchers get a signal (`kind: 'unknown'` or `'append'` without `committed`).
   * Restored events may lie below positions readers have already passed: live subscribers do not
   * see them (a projection must be reset to include them).
   */
  importEvents?(request: ImportRequest): Promise<ImportOutcome>;
  /**
   * Removes the instance's events at the given positions (with `capabilities.archive`), with
   * their tags and eventIds, in one transaction; writes no `$system` record and keeps each
   * stream's version. Positions not held by the instance are ignored. `NOT_FOUND` when the
   * instance does not exist.
   */
  removeEvents?(request: RemoveEventsRequest): Promise<{ deletedEvents: number }>;
  /**
   * Makes deleted key-value entries unrecoverable from the backend's files (with
   * `capabilities.secureDelete`). Called after a subject's key is destroyed. SQLite:
   * `secure_delete` on (freed cells are zeroed) and `wal_checkpoint(TRUNCATE)`, so neither the
   * database file nor the WAL keeps the old row.
   */
  scrub?(): Promise<void>;

  /**
   * Defines a rollup of an instance (by id) and fills it from the events it holds, in one
   * transaction serialized with the instance's appends (with `capabilities.rollups`).
   * `ALREADY_EXISTS` when the instance has a rollup of that name; `NOT_FOUND` without the instance.
   */
  defineRollup?(instanceId: string, spec: RollupSpec, createdAt: string): Promise<RollupInfo>;
  /** The instance's rollups, oldest first. */
  listRollups?(instanceId: string): Promise<RollupInfo[]>;
  /** Drops a rollup; false when the instance has none of that name. */
  dropRollup?(instanceId: string, name: string): Promise<boolean>;
  /**
   * A rollup's definition and its cells with a count above 0, read in one snapshot; undefined when
   * the instance has no rollup of that name (any more).
   */
  readRollup?(
    instanceId: string,
    name: string,
  ): Promise<{ rollup: RollupSpec; cells: RollupCell[] } | undefined>;

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

/**
 * Refuses an append that needs a capability the adapter does not declare, instead of letting the
 * adapter silently drop tags or skip a check: tags need `tags`; a condition, or version checks
 * the deprecated single-stream `expectedVersion` cannot carry, need `conditionalAppends`.
 *
 * @throws EventLogError `STORAGE_ERROR` naming the missing capability; nothing is written
 */
export function assertAppendSupported(adapter: StorageAdapter, request: AppendRequest): void {
  let need: keyof AdapterCapabilities | undefined;
  let what = '';
  if (request.events.some((e) => e.tags !== undefined) && !hasCapability(adapter, 'tags')) {
    need = 'tags';
    what = 'events with tags';
  } else if (
    (request.condition !== undefined ||
      (request.versionChecks !== undefined &&
        request.versionChecks.length > 0 &&
        request.expectedVersion === undefined)) &&
    !hasCapability(adapter, 'conditionalAppends')
  ) {
    need = 'conditionalAppends';
    what = 'appends with a condition or with expected versions of several streams';
  }
  if (need !== undefined) {
    throw storageError(
      `The ${adapter.name} adapter cannot store ${what} yet (it does not declare capabilities.${need}); nothing was written. Use an adapter that supports it, or leave it out.`,
    );
  }
}

/**
 * Appends a validated request: checks the capabilities it needs ({@link assertAppendSupported})
 * and commits `kvWrites` with it — in the append's transaction when the adapter has
 * `appendKvWrites`, else with separate `kv.put`s after the commit (best effort: they are caches
 * such as snapshots, so a failed put does not turn a committed append into a failure).
 */
export async function appendToAdapter(
  adapter: StorageAdapter,
  request: AppendRequest,
  kvWrites?: readonly KvWrite[],
): Promise<AppendOutcome> {
  assertAppendSupported(adapter, request);
  if (kvWrites === undefined || kvWrites.length === 0) return adapter.append(request);
  if (hasCapability(adapter, 'appendKvWrites'))
    return adapter.append({ ...request, kvWrites: [...kvWrites] });
  const outcome = await adapter.append(request);
  if (!outcome.duplicate) {
    for (const write of kvWrites) {
      try {
        await adapter.kv.put(write.namespace, write.key, write.value);
      } catch {
        // A cache entry that could not be written is only a cache miss later.
      }
    }
  }
  return outcome;
}
