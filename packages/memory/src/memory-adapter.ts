/**
 * The in-memory StorageAdapter: instances, streams and events in arrays and maps, queries answered
 * by the core evaluator (the reference oracle every other adapter is compared with).
 *
 * Every mutating method does all its work synchronously after its checks, so interleaved async
 * callers can never observe or produce a half-applied append.
 */

import {
  type AdapterCapabilities,
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  CommitListeners,
  type CommitSignal,
  type ConditionItemSpec,
  type ConditionSpec,
  compileCondition,
  copyEvent,
  copyJson,
  type EventRecord,
  evaluateQuery,
  type Instance,
  type InstanceIdentity,
  type InstancePatch,
  type InstanceStats,
  instanceClash,
  instanceNotFound,
  itemMatchesEvent,
  type KeyValueStore,
  type Limits,
  type NewInstance,
  newEventRecord,
  planAppend,
  type QueryNode,
  type QueryResult,
  type ReadAfterRequest,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  storageError,
  type Unsubscribe,
} from '@eventlog/core';
import { MemoryKv } from './memory-kv.js';

/** Options of {@link memoryAdapter}. */
export interface MemoryAdapterOptions {
  /**
   * Called when a `watch` listener throws. The commit that triggered it has already succeeded and
   * the other listeners still run. Default: the error is ignored.
   */
  onListenerError?: (error: unknown, signal: CommitSignal) => void;
}

/** Everything stored for one instance. */
interface InstanceState {
  instance: Instance;
  /** Creation order, to list instances created at the same instant in a stable order. */
  readonly order: number;
  /** All events in `global_position` order. */
  readonly events: EventRecord[];
  /** Each stream's events in order; a stream's version is its length (sequences have no gaps). */
  readonly streams: Map<string, EventRecord[]>;
  readonly eventIds: Map<string, EventRecord>;
  /** Each event type's events in position order (its count is the length). */
  readonly byType: Map<string, EventRecord[]>;
  /** Each tag's events in position order: the index that answers `condition`s. */
  readonly byTag: Map<string, EventRecord[]>;
  firstEventAt: string | null;
  lastEventAt: string | null;
}

const CAPABILITIES: Readonly<AdapterCapabilities> = Object.freeze({
  persistent: false,
  crossProcess: false,
  transactions: true,
  queryPushdown: false,
  tags: true,
  conditionalAppends: true,
  appendKvWrites: true,
});

const EMPTY: readonly EventRecord[] = Object.freeze([]);

function copyInstance(instance: Instance): Instance {
  const out: Instance = {
    id: instance.id,
    name: instance.name,
    createdAt: instance.createdAt,
    updatedAt: instance.updatedAt,
  };
  if (instance.description !== undefined) out.description = instance.description;
  return out;
}

/** Index of the first event with `global_position > after` (events are in position order). */
function firstAfter(events: readonly EventRecord[], after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events[mid] as EventRecord).global_position > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Appends `record` to the list of `key` in `index`. */
function addTo(index: Map<string, EventRecord[]>, key: string, record: EventRecord): void {
  const list = index.get(key);
  if (list === undefined) index.set(key, [record]);
  else list.push(record);
}

/**
 * The first position after `after` (and before `bound`, when given) of an event matching `item`,
 * from the indexes: the events of the item's rarest tag, else the first of each type's events.
 */
function firstItemMatch(
  state: InstanceState,
  item: ConditionItemSpec,
  after: number,
  bound: number | null,
): number | null {
  if (item.tags !== undefined) {
    let rarest: EventRecord[] | undefined;
    for (const tag of item.tags) {
      const list = state.byTag.get(tag);
      if (list === undefined) return null;
      if (rarest === undefined || list.length < rarest.length) rarest = list;
    }
    const list = rarest as EventRecord[];
    for (let i = firstAfter(list, after); i < list.length; i++) {
      const record = list[i] as EventRecord;
      if (bound !== null && record.global_position >= bound) return null;
      if (itemMatchesEvent(item, record)) return record.global_position;
    }
    return null;
  }
  let first: number | null = null;
  for (const type of item.types ?? []) {
    const list = state.byType.get(type);
    if (list === undefined) continue;
    const record = list[firstAfter(list, after)];
    if (record !== undefined && (first === null || record.global_position < first))
      first = record.global_position;
  }
  return first;
}

/** The first position after `condition.after` of an event matching any item, or null. */
function firstConditionMatchIn(state: InstanceState, condition: ConditionSpec): number | null {
  let first: number | null = null;
  for (const item of condition.items) {
    const position = firstItemMatch(state, item, condition.after, first);
    if (position !== null && (first === null || position < first)) first = position;
  }
  return first;
}

class MemoryAdapter implements StorageAdapter {
  readonly contract = STORAGE_ADAPTER_CONTRACT;
  readonly name = 'memory';
  readonly capabilities: Readonly<AdapterCapabilities> = CAPABILITIES;
  readonly kv: KeyValueStore;

  private readonly byId = new Map<string, InstanceState>();
  private readonly byName = new Map<string, InstanceState>();
  private readonly listeners: CommitListeners;
  private readonly kvStore: MemoryKv;
  /** The last global position handed out, for the whole adapter; never reused. */
  private position = 0;
  private created = 0;
  private closed = false;

  constructor(options: MemoryAdapterOptions) {
    this.listeners = new CommitListeners({ onListenerError: options.onListenerError });
    this.kvStore = new MemoryKv(() => this.assertOpen());
    this.kv = this.kvStore.store;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw storageError('The memory adapter is closed: create a new memoryAdapter() to store events again.');
    }
  }

  private resolve(ref: string): InstanceState | undefined {
    return this.byId.get(ref) ?? this.byName.get(ref);
  }

  /** The instances whose id or name is one of `refs`. */
  private identities(refs: readonly string[]): InstanceIdentity[] {
    const found: InstanceIdentity[] = [];
    for (const ref of refs) {
      for (const state of [this.byId.get(ref), this.byName.get(ref)]) {
        if (state !== undefined) found.push(state.instance);
      }
    }
    return found;
  }

  private stateOf(id: string): InstanceState {
    const state = this.byId.get(id);
    if (state === undefined) throw instanceNotFound(id);
    return state;
  }

  private newState(instance: Instance): InstanceState {
    return {
      instance,
      order: this.created++,
      events: [],
      streams: new Map(),
      eventIds: new Map(),
      byType: new Map(),
      byTag: new Map(),
      firstEventAt: null,
      lastEventAt: null,
    };
  }

  private register(state: InstanceState): void {
    this.byId.set(state.instance.id, state);
    this.byName.set(state.instance.name, state);
  }

  private notify(signal: CommitSignal): void {
    this.listeners.emit(signal);
  }

  /** Readiness: the memory store is usable at once, until closed. */
  async ready(): Promise<void> {
    this.assertOpen();
  }

  async createInstance(input: NewInstance): Promise<Instance> {
    this.assertOpen();
    const { id, name } = input;
    const clash = instanceClash(this.identities([name, id]), { name, id }, true);
    if (clash !== undefined) throw clash;
    const instance: Instance = { id, name, createdAt: input.createdAt, updatedAt: input.createdAt };
    if (input.description !== undefined) instance.description = input.description;
    this.register(this.newState(instance));
    return copyInstance(instance);
  }

  async resolveInstance(ref: string): Promise<Instance | undefined> {
    this.assertOpen();
    const state = this.resolve(ref);
    return state === undefined ? undefined : copyInstance(state.instance);
  }

  async listInstances(): Promise<Instance[]> {
    this.assertOpen();
    const states = [...this.byId.values()];
    states.sort((a, b) =>
      a.instance.createdAt === b.instance.createdAt
        ? a.order - b.order
        : a.instance.createdAt < b.instance.createdAt
          ? -1
          : 1,
    );
    return states.map((s) => copyInstance(s.instance));
  }

  async updateInstance(id: string, patch: InstancePatch): Promise<Instance> {
    this.assertOpen();
    const state = this.stateOf(id);
    const current = state.instance;
    const name = patch.name;
    if (name !== undefined && name !== current.name) {
      const others = this.identities([name]).filter((other) => other.id !== current.id);
      const clash = instanceClash(others, { name }, false);
      if (clash !== undefined) throw clash;
    }
    // Build the new record first and swap it in, so a failure leaves the old one intact.
    const next: Instance = { ...current, updatedAt: patch.updatedAt };
    if (name !== undefined) next.name = name;
    if (patch.description === null) delete next.description;
    else if (patch.description !== undefined) next.description = patch.description;
    if (next.name !== current.name) {
      this.byName.delete(current.name);
      this.byName.set(next.name, state);
    }
    state.instance = next;
    return copyInstance(next);
  }

  async deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    this.assertOpen();
    const state = this.stateOf(id);
    this.byId.delete(id);
    this.byName.delete(state.instance.name);
    this.notify({ kind: 'delete', instanceId: id });
    return { instance: copyInstance(state.instance), deletedEvents: state.events.length };
  }

  async append(request: AppendRequest): Promise<AppendOutcome> {
    this.assertOpen();
    let state = this.resolve(request.instance);
    let create = false;
    if (state === undefined) {
      if (!request.autoCreate) throw instanceNotFound(request.instance);
      // Registered only once the plan succeeds: the creation belongs to the append's transaction.
      state = this.newState({
        id: request.instance,
        name: request.instance,
        createdAt: request.now,
        updatedAt: request.now,
      });
      create = true;
    }

    const existing = new Map<string, EventRecord>();
    for (const e of request.events) {
      if (e.eventId === undefined) continue;
      const stored = state.eventIds.get(e.eventId);
      if (stored !== undefined) existing.set(e.eventId, stored);
    }
    const versions = new Map<string, number>();
    for (const e of request.events) {
      if (!versions.has(e.streamId)) versions.set(e.streamId, state.streams.get(e.streamId)?.length ?? 0);
    }
    const conditionMatch =
      request.condition === undefined ? undefined : firstConditionMatchIn(state, request.condition);
    const plan = planAppend(request, existing, versions, conditionMatch);
    if (plan.kind === 'duplicate') return { events: plan.events.map(copyEvent), duplicate: true };

    // Build every record before touching the store, so nothing is half-applied if a copy fails.
    const instanceId = state.instance.id;
    const stored: EventRecord[] = new Array(plan.rows.length);
    const returned: EventRecord[] = new Array(plan.rows.length);
    let position = this.position;
    for (let i = 0; i < plan.rows.length; i++) {
      const { event, sequence } = plan.rows[i] as (typeof plan.rows)[number];
      position++;
      // The caller's own (validated) objects go back; the store keeps its private copies.
      const own = newEventRecord(event, instanceId, sequence, position);
      const record: EventRecord = {
        ...own,
        payload: copyJson(event.payload),
        metadata: copyJson(event.metadata),
      };
      if (event.tags !== undefined) record.tags = event.tags.slice();
      stored[i] = record;
      returned[i] = own;
    }
    const kvWrites = request.kvWrites?.map((w) => ({ ...w, value: copyJson(w.value) }));

    // Commit: from here on nothing can fail.
    const previous = state.events[state.events.length - 1]?.global_position ?? 0;
    if (create) this.register(state);
    this.position = position;
    for (const record of stored) {
      state.events.push(record);
      let stream = state.streams.get(record.stream_id);
      if (stream === undefined) {
        stream = [];
        state.streams.set(record.stream_id, stream);
      }
      stream.push(record);
      if (record.eventId !== undefined) state.eventIds.set(record.eventId, record);
      addTo(state.byType, record.event_type, record);
      if (record.tags !== undefined) for (const tag of record.tags) addTo(state.byTag, tag, record);
      const ts = record.timestamp;
      if (state.firstEventAt === null || ts < state.firstEventAt) state.firstEventAt = ts;
      if (state.lastEventAt === null || ts > state.lastEventAt) state.lastEventAt = ts;
    }
    if (kvWrites !== undefined) this.kvStore.applyWrites(kvWrites);
    // `returned` are the caller's objects, never the store's copies: a listener cannot corrupt it.
    this.notify({ kind: 'append', instanceId, position, committed: { previous, events: returned } });
    return { events: returned, duplicate: false };
  }

  async query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
    this.assertOpen();
    const state = this.stateOf(instanceId);
    if (query.stream === undefined) return evaluateQuery(state.events, query, limits);
    // The stream's own array: the evaluator never scans the instance's other streams.
    return evaluateQuery(state.streams.get(query.stream) ?? EMPTY, { ...query, stream: undefined }, limits);
  }

  async stats(instanceId: string): Promise<InstanceStats> {
    this.assertOpen();
    const state = this.stateOf(instanceId);
    const eventTypes: Record<string, number> = {};
    for (const [type, { length: count }] of state.byType) {
      // defineProperty keeps an event type named "__proto__" as an ordinary key.
      Object.defineProperty(eventTypes, type, {
        value: count,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    const { instance } = state;
    return {
      instanceId: instance.id,
      name: instance.name,
      eventCount: state.events.length,
      streamCount: state.streams.size,
      eventTypes,
      firstEventAt: state.firstEventAt,
      lastEventAt: state.lastEventAt,
      createdAt: instance.createdAt,
      updatedAt: instance.updatedAt,
    };
  }

  async readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    this.assertOpen();
    const state = this.stateOf(request.instanceId);
    const source = request.stream === undefined ? state.events : (state.streams.get(request.stream) ?? EMPTY);
    const predicate = request.where === undefined ? undefined : compileCondition(request.where);
    const out: EventRecord[] = [];
    for (let i = firstAfter(source, request.after); i < source.length && out.length < request.limit; i++) {
      const record = source[i] as EventRecord;
      if (predicate === undefined || predicate(record)) out.push(copyEvent(record));
    }
    return out;
  }

  async headPosition(instanceId: string): Promise<number> {
    this.assertOpen();
    const events = this.stateOf(instanceId).events;
    return events.length === 0 ? 0 : (events[events.length - 1] as EventRecord).global_position;
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    this.assertOpen();
    return this.listeners.add(listener);
  }

  transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    return this.kvStore.transaction(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.byId.clear();
    this.byName.clear();
    this.kvStore.clear();
  }
}

/**
 * Creates an in-memory storage adapter: fast, dependency-free, and gone when the process exits.
 * It answers queries with the core evaluator, so it is the reference every other adapter is
 * compared with. Use it for tests, prototypes and short-lived tools; use `@eventlog/sqlite` or
 * `@eventlog/postgres` when data must survive a restart or be shared between processes.
 *
 * Capabilities: `persistent: false`, `crossProcess: false`, `transactions: true` (key-value writes
 * in {@link StorageAdapter.transaction} commit together; `driver` is `undefined`),
 * `queryPushdown: false`, `tags`, `conditionalAppends` (conditions answered from per-tag and
 * per-type indexes, under the same synchronous step as the write) and `appendKvWrites`.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { memoryAdapter } from '@eventlog/memory';
 *
 * const log = createEventLog({ adapter: memoryAdapter() });
 */
export function memoryAdapter(options: MemoryAdapterOptions = {}): StorageAdapter {
  return new MemoryAdapter(options);
}
