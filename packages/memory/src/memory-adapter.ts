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
  addToCells,
  CommitListeners,
  type CommitSignal,
  type ConditionItemSpec,
  type ConditionSpec,
  checkVersion,
  compileCondition,
  copyEvent,
  copyJson,
  EventLogError,
  type EventRecord,
  type ExpectedVersion,
  evaluateQuery,
  hasRetention,
  type ImportOutcome,
  type ImportRequest,
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
  type ReadOptions,
  type RemoveEventsRequest,
  type RollupCell,
  type RollupInfo,
  type RollupSpec,
  rollupNameTaken,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  type StreamRemoval,
  type StreamRemovalOutcome,
  storageError,
  type Unsubscribe,
  visibilityAt,
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
  /** Each stream's remaining events in sequence order (a stream with none has no entry). */
  readonly streams: Map<string, EventRecord[]>;
  /** Each stream's version: its last sequence number ever written (removals never lower it). */
  readonly versions: Map<string, number>;
  readonly eventIds: Map<string, EventRecord>;
  /** Each event type's events in position order (its count is the length). */
  readonly byType: Map<string, EventRecord[]>;
  /** Each tag's events in position order: the index that answers `condition`s. */
  readonly byTag: Map<string, EventRecord[]>;
  firstEventAt: string | null;
  lastEventAt: string | null;
  /** True when events were removed since `firstEventAt`/`lastEventAt` were computed. */
  boundsStale: boolean;
  /** Rollups by name (oldest first), each with its cells kept by every add and removal. */
  readonly rollups: Map<string, { info: RollupInfo; cells: Map<string, RollupCell> }>;
}

const CAPABILITIES: Readonly<AdapterCapabilities> = Object.freeze({
  persistent: false,
  crossProcess: false,
  transactions: true,
  queryPushdown: false,
  tags: true,
  conditionalAppends: true,
  appendKvWrites: true,
  lifecycle: true,
  archive: true,
  secureDelete: true,
  rollups: true,
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
  if (instance.retention !== undefined) out.retention = { ...instance.retention };
  return out;
}

/** Index of the first event with `global_position >= position` (events are in position order). */
function firstAtOrAfter(events: readonly EventRecord[], position: number): number {
  return firstAfter(events, position - 1);
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
      versions: new Map(),
      eventIds: new Map(),
      byType: new Map(),
      byTag: new Map(),
      firstEventAt: null,
      lastEventAt: null,
      boundsStale: false,
      rollups: new Map(),
    };
  }

  /** The events of `source` visible at `now` under the instance's retention (all without rules). */
  private visible(
    state: InstanceState,
    source: readonly EventRecord[],
    now: string | undefined,
  ): readonly EventRecord[] {
    const retention = state.instance.retention;
    if (now === undefined || !hasRetention(retention)) return source;
    const keep = visibilityAt(retention, now, (stream) => state.versions.get(stream) ?? 0);
    return source.filter(keep);
  }

  /** Recomputes the first and last timestamps after removals. */
  private bounds(state: InstanceState): { first: string | null; last: string | null } {
    if (state.boundsStale) {
      let first: string | null = null;
      let last: string | null = null;
      for (const { timestamp: ts } of state.events) {
        if (first === null || ts < first) first = ts;
        if (last === null || ts > last) last = ts;
      }
      state.firstEventAt = first;
      state.lastEventAt = last;
      state.boundsStale = false;
    }
    return { first: state.firstEventAt, last: state.lastEventAt };
  }

  /**
   * Removes the instance's events that `remove` selects, from every index, in one synchronous
   * step; stream versions stay. Returns how many were removed.
   */
  private dropEvents(state: InstanceState, remove: (e: EventRecord) => boolean, limit = Infinity): number {
    const gone = new Set<EventRecord>();
    for (const e of state.events) {
      if (gone.size >= limit) break;
      if (remove(e)) gone.add(e);
    }
    if (gone.size === 0) return 0;
    const keep = (e: EventRecord) => !gone.has(e);
    const filterInPlace = (list: EventRecord[]) => {
      let j = 0;
      for (const e of list) if (keep(e)) list[j++] = e;
      list.length = j;
    };
    filterInPlace(state.events);
    const touchedStreams = new Set<string>();
    const touchedTypes = new Set<string>();
    const touchedTags = new Set<string>();
    for (const e of gone) {
      touchedStreams.add(e.stream_id);
      touchedTypes.add(e.event_type);
      for (const tag of e.tags ?? []) touchedTags.add(tag);
      if (e.eventId !== undefined && state.eventIds.get(e.eventId) === e) state.eventIds.delete(e.eventId);
    }
    const prune = (index: Map<string, EventRecord[]>, keys: Set<string>) => {
      for (const key of keys) {
        const list = index.get(key);
        if (list === undefined) continue;
        filterInPlace(list);
        if (list.length === 0) index.delete(key);
      }
    };
    prune(state.streams, touchedStreams);
    prune(state.byType, touchedTypes);
    prune(state.byTag, touchedTags);
    for (const { info, cells } of state.rollups.values()) {
      for (const e of gone) addToCells(cells, info, e, -1);
    }
    state.boundsStale = true;
    return gone.size;
  }

  /**
   * Adds a stored record at the end of every index (its position and sequence are free; importEvents
   * sorts the touched lists afterwards).
   */
  private index(state: InstanceState, record: EventRecord): void {
    const add = (index: Map<string, EventRecord[]>, key: string) => {
      const list = index.get(key);
      if (list === undefined) index.set(key, [record]);
      else list.push(record);
    };
    state.events.push(record);
    add(state.streams, record.stream_id);
    if (record.sequence_number > (state.versions.get(record.stream_id) ?? 0)) {
      state.versions.set(record.stream_id, record.sequence_number);
    }
    if (record.eventId !== undefined) state.eventIds.set(record.eventId, record);
    add(state.byType, record.event_type);
    if (record.tags !== undefined) for (const tag of record.tags) add(state.byTag, tag);
    for (const { info, cells } of state.rollups.values()) addToCells(cells, info, record, 1);
    if (!state.boundsStale) {
      const ts = record.timestamp;
      if (state.firstEventAt === null || ts < state.firstEventAt) state.firstEventAt = ts;
      if (state.lastEventAt === null || ts > state.lastEventAt) state.lastEventAt = ts;
    }
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
    if (patch.retention === null) delete next.retention;
    else if (patch.retention !== undefined) next.retention = { ...patch.retention };
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
      if (!versions.has(e.streamId)) versions.set(e.streamId, state.versions.get(e.streamId) ?? 0);
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
    for (const record of stored) this.index(state, record);
    if (kvWrites !== undefined) this.kvStore.applyWrites(kvWrites);
    // `returned` are the caller's objects, never the store's copies: a listener cannot corrupt it.
    // Under retention an event may be expired the moment it commits: readers then read (and the
    // read applies the rules) instead of taking the commit's records.
    this.notify(
      hasRetention(state.instance.retention)
        ? { kind: 'append', instanceId, position }
        : { kind: 'append', instanceId, position, committed: { previous, events: returned } },
    );
    return { events: returned, duplicate: false };
  }

  async query(
    instanceId: string,
    query: QueryNode,
    limits: Limits,
    options?: ReadOptions,
  ): Promise<QueryResult> {
    this.assertOpen();
    const state = this.stateOf(instanceId);
    if (query.stream === undefined)
      return evaluateQuery(this.visible(state, state.events, options?.now), query, limits);
    // The stream's own array: the evaluator never scans the instance's other streams.
    const stream = state.streams.get(query.stream) ?? EMPTY;
    return evaluateQuery(this.visible(state, stream, options?.now), { ...query, stream: undefined }, limits);
  }

  async stats(instanceId: string, options?: ReadOptions): Promise<InstanceStats> {
    this.assertOpen();
    const state = this.stateOf(instanceId);
    const { instance } = state;
    const counts = new Map<string, number>();
    let eventCount: number;
    let streamCount: number;
    let firstEventAt: string | null;
    let lastEventAt: string | null;
    if (options?.now !== undefined && hasRetention(instance.retention)) {
      const visible = this.visible(state, state.events, options.now);
      const streams = new Set<string>();
      firstEventAt = null;
      lastEventAt = null;
      for (const e of visible) {
        counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1);
        streams.add(e.stream_id);
        if (firstEventAt === null || e.timestamp < firstEventAt) firstEventAt = e.timestamp;
        if (lastEventAt === null || e.timestamp > lastEventAt) lastEventAt = e.timestamp;
      }
      eventCount = visible.length;
      streamCount = streams.size;
    } else {
      for (const [type, { length }] of state.byType) counts.set(type, length);
      eventCount = state.events.length;
      streamCount = state.streams.size;
      ({ first: firstEventAt, last: lastEventAt } = this.bounds(state));
    }
    const eventTypes: Record<string, number> = {};
    for (const [type, count] of counts) {
      // defineProperty keeps an event type named "__proto__" as an ordinary key.
      Object.defineProperty(eventTypes, type, {
        value: count,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
    return {
      instanceId: instance.id,
      name: instance.name,
      eventCount,
      streamCount,
      eventTypes,
      firstEventAt,
      lastEventAt,
      createdAt: instance.createdAt,
      updatedAt: instance.updatedAt,
    };
  }

  async readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    this.assertOpen();
    const state = this.stateOf(request.instanceId);
    const source = request.stream === undefined ? state.events : (state.streams.get(request.stream) ?? EMPTY);
    const predicate = request.where === undefined ? undefined : compileCondition(request.where);
    const retention = state.instance.retention;
    const alive =
      request.now === undefined || !hasRetention(retention)
        ? undefined
        : visibilityAt(retention, request.now, (stream) => state.versions.get(stream) ?? 0);
    const out: EventRecord[] = [];
    for (let i = firstAfter(source, request.after); i < source.length && out.length < request.limit; i++) {
      const record = source[i] as EventRecord;
      if (alive !== undefined && !alive(record)) continue;
      if (predicate === undefined || predicate(record)) out.push(copyEvent(record));
    }
    return out;
  }

  async deleteStream(removal: StreamRemoval): Promise<StreamRemovalOutcome> {
    return this.removeFromStream(removal, () => true);
  }

  async truncateStream(removal: StreamRemoval & { before: number }): Promise<StreamRemovalOutcome> {
    const { before } = removal;
    return this.removeFromStream(removal, (e) => e.sequence_number < before);
  }

  /** Removes a stream's events that `remove` selects and records it, in one synchronous step. */
  private removeFromStream(
    removal: StreamRemoval,
    remove: (e: EventRecord) => boolean,
  ): StreamRemovalOutcome {
    this.assertOpen();
    const state = this.stateOf(removal.instanceId);
    const { streamId } = removal;
    const version = state.versions.get(streamId) ?? 0;
    if (removal.expectedVersion !== undefined) {
      const { check, raw } = removal.expectedVersion;
      checkVersion({ streamId, check, raw: raw as ExpectedVersion }, version);
    }
    const stream = state.streams.get(streamId) ?? EMPTY;
    const doomed = new Set(stream.filter(remove));
    const deletedEvents = this.dropEvents(state, (e) => doomed.has(e), doomed.size);
    // The record: the next event of `$system`, at the next position.
    const { record } = removal;
    const previous = state.events[state.events.length - 1]?.global_position ?? 0;
    const sequence = (state.versions.get(record.streamId) ?? 0) + 1;
    const position = ++this.position;
    const payload = { ...copyJson(record.payload), deletedEvents };
    const stored = newEventRecord(
      { ...record, payload, metadata: copyJson(record.metadata) },
      state.instance.id,
      sequence,
      position,
    );
    this.index(state, stored);
    const event = copyEvent(stored);
    this.notify(
      hasRetention(state.instance.retention)
        ? { kind: 'append', instanceId: state.instance.id, position }
        : {
            kind: 'append',
            instanceId: state.instance.id,
            position,
            committed: { previous, events: [copyEvent(stored)] },
          },
    );
    return { deletedEvents, version, event };
  }

  async pruneExpired(request: {
    instanceId?: string;
    now: string;
    batchSize: number;
  }): Promise<{ deletedEvents: number }> {
    this.assertOpen();
    const states =
      request.instanceId === undefined ? [...this.byId.values()] : [this.stateOf(request.instanceId)];
    let deletedEvents = 0;
    for (const state of states) {
      for (;;) {
        // Each batch is one synchronous step; other callers run between batches.
        if (this.closed || this.byId.get(state.instance.id) !== state) break;
        const retention = state.instance.retention;
        if (!hasRetention(retention)) break;
        const alive = visibilityAt(retention, request.now, (stream) => state.versions.get(stream) ?? 0);
        const removed = this.dropEvents(state, (e) => !alive(e), request.batchSize);
        deletedEvents += removed;
        if (removed < request.batchSize) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { deletedEvents };
  }

  async importEvents(request: ImportRequest): Promise<ImportOutcome> {
    this.assertOpen();
    const state = this.stateOf(request.instanceId);
    const instanceId = state.instance.id;
    const fresh: EventRecord[] = [];
    let skipped = 0;
    const positions = new Set<number>();
    const sequences = new Set<string>();
    const eventIds = new Set<string>();
    const held = new Map<string, Set<number>>();
    const heldSequences = (stream: string) => {
      let set = held.get(stream);
      if (set === undefined) {
        set = new Set((state.streams.get(stream) ?? EMPTY).map((e) => e.sequence_number));
        held.set(stream, set);
      }
      return set;
    };
    const conflict = (message: string) =>
      new EventLogError('CONFLICT', `${message}; nothing was imported.`, {
        details: { reason: 'import_conflict' },
      });
    for (const e of request.events) {
      const holder = this.holderOf(e.global_position);
      if (holder !== undefined) {
        if (holder.id === e.id) {
          skipped++;
          continue;
        }
        throw conflict(`Position ${e.global_position} is already held by another event`);
      }
      if (positions.has(e.global_position))
        throw conflict(`Position ${e.global_position} appears twice in the import`);
      const seqKey = `${e.stream_id}\u0000${e.sequence_number}`;
      if (sequences.has(seqKey) || heldSequences(e.stream_id).has(e.sequence_number)) {
        throw conflict(
          `Stream ${JSON.stringify(e.stream_id)} already holds sequence number ${e.sequence_number}`,
        );
      }
      if (e.eventId !== undefined && (eventIds.has(e.eventId) || state.eventIds.has(e.eventId))) {
        throw conflict(`The instance already holds eventId ${JSON.stringify(e.eventId)}`);
      }
      positions.add(e.global_position);
      sequences.add(seqKey);
      if (e.eventId !== undefined) eventIds.add(e.eventId);
      fresh.push({ ...copyEvent(e), instanceId });
    }
    // Commit: nothing can fail from here. Append to every index, then sort what was touched once.
    let highest = 0;
    const streams = new Set<string>();
    const types = new Set<string>();
    const tags = new Set<string>();
    for (const record of fresh) {
      this.index(state, record);
      streams.add(record.stream_id);
      types.add(record.event_type);
      for (const tag of record.tags ?? []) tags.add(tag);
      if (record.global_position > highest) highest = record.global_position;
    }
    if (fresh.length > 0) {
      const byPos = (a: EventRecord, b: EventRecord) => a.global_position - b.global_position;
      state.events.sort(byPos);
      for (const stream of streams)
        state.streams.get(stream)?.sort((a, b) => a.sequence_number - b.sequence_number);
      for (const type of types) state.byType.get(type)?.sort(byPos);
      for (const tag of tags) state.byTag.get(tag)?.sort(byPos);
    }
    if (highest > this.position) this.position = highest;
    if (fresh.length > 0) this.notify({ kind: 'append', instanceId, position: highest });
    return { imported: fresh.length, skipped };
  }

  /** The stored event at a global position, in any instance. */
  private holderOf(position: number): EventRecord | undefined {
    for (const state of this.byId.values()) {
      const found = state.events[firstAtOrAfter(state.events, position)];
      if (found?.global_position === position) return found;
    }
    return undefined;
  }

  async removeEvents(request: RemoveEventsRequest): Promise<{ deletedEvents: number }> {
    this.assertOpen();
    const state = this.stateOf(request.instanceId);
    const positions = new Set(request.positions);
    return { deletedEvents: this.dropEvents(state, (e) => positions.has(e.global_position)) };
  }

  async defineRollup(instanceId: string, spec: RollupSpec, createdAt: string): Promise<RollupInfo> {
    this.assertOpen();
    const state = this.stateOf(instanceId);
    if (state.rollups.has(spec.name)) {
      throw rollupNameTaken(spec.name);
    }
    const info: RollupInfo = { instanceId, ...structuredClone(spec), createdAt };
    const cells = new Map<string, RollupCell>();
    for (const e of state.events) addToCells(cells, info, e, 1);
    state.rollups.set(spec.name, { info, cells });
    return structuredClone(info);
  }

  async listRollups(instanceId: string): Promise<RollupInfo[]> {
    this.assertOpen();
    return [...this.stateOf(instanceId).rollups.values()].map((r) => structuredClone(r.info));
  }

  async dropRollup(instanceId: string, name: string): Promise<boolean> {
    this.assertOpen();
    return this.stateOf(instanceId).rollups.delete(name);
  }

  async readRollup(
    instanceId: string,
    name: string,
  ): Promise<{ rollup: RollupSpec; cells: RollupCell[] } | undefined> {
    this.assertOpen();
    const rollup = this.stateOf(instanceId).rollups.get(name);
    if (rollup === undefined) return undefined;
    const cells = [...rollup.cells.values()].map((c) => ({
      key: [...c.key],
      count: c.count,
      sums: c.sums.map((s) => ({ ...s })),
    }));
    return { rollup: structuredClone(rollup.info), cells };
  }

  async scrub(): Promise<void> {
    // Deleted keys are gone from the maps at once; nothing is kept elsewhere.
    this.assertOpen();
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
