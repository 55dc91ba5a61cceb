/**
 * The typed, throwing layer: {@link createEventStore} builds an {@link EventStore}, which validates
 * input, resolves instance references, calls the adapter, returns data and throws
 * {@link EventLogError}. The envelopes of `createEventLog` are built over it (envelope-log.ts).
 */

import type {
  AppendOutcome,
  CommitSignal,
  NewEvent,
  ReadOptions,
  StorageAdapter,
  Unsubscribe,
} from './adapter.js';
import { appendToAdapter, hasCapability, STORAGE_ADAPTER_CONTRACT } from './adapter.js';
import type { QueryNode } from './dsl/ast.js';
import { parseQuery } from './dsl/parse.js';
import { toEnvelopeError } from './envelope.js';
import { EventLogError, instanceNotFound, storageError, validationError } from './errors.js';
import type {
  EventLogOptions,
  EventStore,
  LoadStreamParams,
  ReadAfterParams,
  StoreAppendOptions,
  StreamStart,
} from './event-log.js';
import { InstanceCache } from './instance-cache.js';
import { STREAM_DELETED, STREAM_TRUNCATED, SUBJECT_FORGOTTEN, SYSTEM_STREAM } from './lifecycle.js';
import { type Limits, resolveLimits } from './limits.js';
import type {
  AppendEventData,
  AppendEventsData,
  DeleteInstanceData,
  DeleteStreamData,
  EventMap,
  EventRecord,
  ForgetSubjectData,
  Instance,
  InstanceStats,
  JsonObject,
  PruneExpiredData,
  Query,
  QueryEventOf,
  QueryResult,
  QueryResultOf,
  TruncateStreamData,
} from './model.js';
import { observeStoreOperations } from './observability.js';
import {
  assertNoPersonalFields,
  comparesPayload,
  decryptRecords,
  decryptResult,
  destroySubjectKey,
  encryptPersonal,
  personalEventsOf,
  personalPathsOf,
  recordPersonalPaths,
} from './personal-data.js';
import {
  answerFromRollup,
  pickRollup,
  type QueryPlan,
  type RollupInfo,
  type RollupSpec,
  rollupCovers,
  rollupsUsable,
  validateRollupSpec,
} from './rollup.js';
import { SNAPSHOT_NAMESPACE } from './snapshot.js';
import { streamPage } from './stream-page.js';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, nowIso } from './timestamp.js';
import { compileUpcasters, type Upcaster } from './upcast.js';
import { validateAppendEvent, validateAppendEvents } from './validation/append.js';
import {
  validateCreateInstance,
  validateInstanceRef,
  validateInstanceUpdate,
} from './validation/instance.js';
import { describeValue, invalid } from './validation/issues.js';
import {
  applyRetentionChange,
  validateDeleteStream,
  validateForgetSubject,
  validatePruneExpired,
  validateSetRetention,
  validateTruncateStream,
} from './validation/lifecycle.js';
import { validateReadAfter } from './validation/read-after.js';

const randomId = () => globalThis.crypto.randomUUID();

/** The params object of a rollup method: only `keys`, else `VALIDATION_ERROR`. */
function rollupParams(params: unknown, keys: readonly string[], method: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw validationError(`${method}: expected an object { ${keys.join(', ')} }.`);
  }
  for (const key of Object.keys(params)) {
    if (!keys.includes(key)) {
      throw validationError(`${method}: unknown key ${JSON.stringify(key)}; allowed: ${keys.join(', ')}.`);
    }
  }
  return params as Record<string, unknown>;
}

function closedError(): EventLogError {
  return storageError('The event log is closed; create a new one with createEventLog to continue.');
}

/** Reads a clock defensively: a broken or out-of-range clock falls back to `Date.now()`. */
function safeNow(clock: () => number): number {
  try {
    const ms = clock();
    if (Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS) return Math.trunc(ms);
  } catch {
    // fall through to the system clock
  }
  return Date.now();
}

/**
 * Where a fold starts for a snapshot entry's value: its `version` when that is an integer from 1
 * to 2^53 − 1, else undefined (what `StorageAdapter.loadStream` computes in the database).
 */
function snapshotAnchor(value: unknown): number | undefined {
  const version = (value as { version?: unknown } | null | undefined)?.version;
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}

/** How many known instance ids a store remembers before it starts over (see `knownIds`). */
const MAX_KNOWN_IDS = 10_000;

/** Events removed per transaction by `pruneExpired` unless `pruneBatchSize` says otherwise. */
export const DEFAULT_PRUNE_BATCH_SIZE = 1000;

/**
 * How long the personal paths and the rollups of an instance are trusted before they are read
 * again, in ms (see {@link InstanceCache}).
 */
const INSTANCE_FACTS_TTL_MS = 5000;

class DefaultEventStore implements EventStore<EventMap> {
  readonly adapter: StorageAdapter;
  readonly limits: Readonly<Limits>;
  readonly upcasters: readonly Upcaster[];
  private readonly clock: () => number;
  private closing: Promise<void> | undefined;
  private readying: Promise<void> | undefined;
  private isReady = false;
  private lastMs = Number.NaN;
  private lastIso = '';
  /**
   * Strings that were instance ids when this store last resolved them: a hint that a reference is
   * an id, so `readAfter` and `headPosition` ask the adapter by id first and resolve the reference
   * only when that finds nothing (live readers then read in one round trip).
   *
   * The hint may be stale: the instance may have been deleted since, and with `autoCreateInstance`
   * an id equals a name, so an instance with the same id can be created again. The shortcut stays
   * correct anyway, because it answers only when the adapter finds events stored under this id:
   * then an instance with this id exists now (a delete removes an instance's events in the same
   * transaction, and a read sees one snapshot), and since references try ids before names (SPEC
   * §3), resolving the reference would name that same instance. An empty answer cannot tell
   * "empty" from "gone" or "now a name", so it falls back to resolving. The hint only saves a round
   * trip; it never decides which instance is read.
   */
  private readonly knownIds = new Set<string>();
  /**
   * The id each name resolved to when this store last resolved it: with an adapter that declares
   * `capabilities.readRefs`, `queryEvents` and `getInstanceStats` by a name read by this id at once,
   * the read's guard checking (by the name, in the read's own snapshot) that the name still means
   * it; `NOT_FOUND` from that check resolves the name again. Never decides which instance is read.
   */
  private readonly nameHints = new Map<string, string>();
  private readonly pruneBatchSize: number;
  private readonly useRollups: boolean;
  /** Personal paths per instance id, as last read or written by this store (see personal-data.ts). */
  private readonly personalPaths = new InstanceCache<string[]>(INSTANCE_FACTS_TTL_MS, MAX_KNOWN_IDS);
  /** The rollups of each instance, as last listed, defined or dropped by this store. */
  private readonly rollupLists = new InstanceCache<RollupInfo[]>(INSTANCE_FACTS_TTL_MS, MAX_KNOWN_IDS);

  constructor(options: EventLogOptions) {
    this.adapter = options.adapter;
    this.limits = Object.freeze(resolveLimits(options.limits));
    compileUpcasters([options.upcasters]); // throws TypeError for malformed upcasters, at creation
    this.upcasters = Object.freeze([...(options.upcasters ?? [])]);
    this.clock = options.now ?? Date.now;
    const batch = options.pruneBatchSize ?? DEFAULT_PRUNE_BATCH_SIZE;
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new TypeError(`createEventLog: pruneBatchSize must be a positive integer, got ${String(batch)}.`);
    }
    this.pruneBatchSize = batch;
    this.useRollups = options.useRollups ?? true;
  }

  /**
   * The current time as a canonical ISO string, from the configured clock. Formatting a date costs
   * more than an append's other bookkeeping, so the string of the last millisecond is reused.
   */
  now(): string {
    const ms = safeNow(this.clock);
    if (ms !== this.lastMs) {
      this.lastIso = nowIso(ms);
      this.lastMs = ms;
    }
    return this.lastIso;
  }

  /** Waits once for the adapter's optional `ready()`; a failure is retried by the next call. */
  private whenReady(): Promise<void> {
    if (this.readying === undefined) {
      const ready = this.adapter.ready?.() ?? Promise.resolve();
      this.readying = ready.then(
        () => {
          this.isReady = true;
        },
        (error: unknown) => {
          this.readying = undefined;
          throw error;
        },
      );
    }
    return this.readying;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw closedError();
    try {
      if (!this.isReady) await this.whenReady();
      return await fn();
    } catch (error) {
      throw toEnvelopeError(error);
    }
  }

  private async resolve(ref: string): Promise<Instance> {
    const instance = await this.adapter.resolveInstance(ref);
    if (instance === undefined || instance === null) throw instanceNotFound(ref);
    // Any resolution teaches an id (by name too): later reads by that id skip resolving.
    this.rememberId(instance.id);
    if (instance.id !== ref) {
      if (this.nameHints.size >= MAX_KNOWN_IDS) this.nameHints.clear();
      this.nameHints.set(ref, instance.id);
    }
    return instance;
  }

  private rememberId(id: string): void {
    if (this.knownIds.size >= MAX_KNOWN_IDS) this.knownIds.clear();
    this.knownIds.add(id);
  }

  createInstance(name: string, description?: string): Promise<Instance> {
    return this.guard(() => {
      const params = validateCreateInstance(name, description);
      return this.adapter.createInstance({ id: randomId(), ...params, createdAt: this.now() });
    });
  }

  getInstance(instanceId: string): Promise<Instance> {
    return this.guard(() => this.resolve(validateInstanceRef(instanceId)));
  }

  listInstances(): Promise<Instance[]> {
    return this.guard(() => this.adapter.listInstances());
  }

  updateInstance(instanceId: string, updates: unknown): Promise<Instance> {
    return this.guard(async () => {
      const ref = validateInstanceRef(instanceId);
      const patch = validateInstanceUpdate(updates);
      const instance = await this.resolve(ref);
      return this.adapter.updateInstance(instance.id, { ...patch, updatedAt: this.now() });
    });
  }

  deleteInstance(instanceId: string): Promise<DeleteInstanceData> {
    return this.guard(async () => {
      const instance = await this.resolve(validateInstanceRef(instanceId));
      try {
        return await this.adapter.deleteInstance(instance.id);
      } finally {
        this.personalPaths.delete(instance.id);
        this.rollupLists.delete(instance.id);
      }
    });
  }

  appendEvent(params: unknown): Promise<AppendEventData<EventRecord>> {
    return this.guard(async () => {
      // The adapter resolves the instance inside its transaction, because of autoCreateInstance.
      const request = validateAppendEvent(params, { limits: this.limits, now: this.now() });
      const outcome = await this.appendWithPersonal(request, undefined, false);
      const event = outcome.events[0];
      if (event === undefined) throw storageError('The storage adapter returned no event for an append.');
      return outcome.duplicate ? { event, duplicate: true } : { event };
    });
  }

  appendEvents(params: unknown, options?: StoreAppendOptions): Promise<AppendEventsData<EventRecord>> {
    return this.guard(async () => {
      const request = validateAppendEvents(params, { limits: this.limits, now: this.now() });
      const { events, duplicate } = await this.appendWithPersonal(request, options?.kvWrites, true);
      return duplicate ? { events, count: events.length, duplicate: true } : { events, count: events.length };
    });
  }

  /**
   * Appends, encrypting the values marked as personal data first (see personal-data.ts): the
   * caller gets its clear values back; a replayed duplicate is read back decrypted.
   */
  private async appendWithPersonal(
    request: Parameters<typeof appendToAdapter>[1],
    kvWrites: Parameters<typeof appendToAdapter>[2],
    batch: boolean,
  ): Promise<AppendOutcome> {
    const marked = personalEventsOf(request.events, batch);
    if (marked.length === 0) return appendToAdapter(this.adapter, request, kvWrites);
    const kv = this.adapter.kv;
    const instanceId = (await this.adapter.resolveInstance(request.instance))?.id ?? request.instance;
    await this.rememberPersonalPaths(
      instanceId,
      marked.flatMap((m) => m.mark.paths.map((p) => p.name)),
    );
    const clear = new Map<number, JsonObject>();
    for (const { index, mark } of marked) {
      const event = request.events[index] as NewEvent;
      clear.set(index, event.payload);
      event.payload = structuredClone(event.payload);
      await encryptPersonal(kv, event, mark);
    }
    const outcome = await appendToAdapter(this.adapter, request, kvWrites);
    if (outcome.duplicate) return { ...outcome, events: await decryptRecords(kv, outcome.events) };
    const events = outcome.events.map((record, i) => {
      const payload = clear.get(i);
      return payload === undefined ? record : { ...record, payload };
    });
    return { ...outcome, events };
  }

  /** Records personal paths of an instance, unless this store knows them already. */
  private async rememberPersonalPaths(instanceId: string, paths: string[]): Promise<void> {
    const known = this.personalPaths.known(instanceId);
    if (known !== undefined && paths.every((p) => known.includes(p))) return;
    this.personalPaths.set(instanceId, await recordPersonalPaths(this.adapter.kv, instanceId, paths));
  }

  /** The personal paths of an instance, read again after {@link INSTANCE_FACTS_TTL_MS}. */
  private personalPathsOf(instanceId: string): Promise<string[]> {
    return this.personalPaths.get(instanceId, () => personalPathsOf(this.adapter.kv, instanceId));
  }

  queryEvents<Q extends Query>(query: Q): Promise<QueryResultOf<EventMap, Q>> {
    return this.guard(async () => {
      const ast = parseQuery(query, this.limits);
      // A query no rollup could answer (deciding that needs the instance's row), by a reference
      // resolved before: one round trip, its read's guard checking the reference (see byKnownId).
      const scan = (id: string, ref?: string) =>
        this.scan(id, ast, ref) as Promise<QueryResultOf<EventMap, Q>>;
      if (!this.mayUseRollup(ast, ast.instance)) return this.byKnownId(ast.instance, scan);
      const instance = await this.resolve(ast.instance);
      const rollup = await this.rollupFor(instance, ast);
      if (rollup !== undefined) {
        const read = this.adapter.readRollup as NonNullable<StorageAdapter['readRollup']>;
        const found = await read.call(this.adapter, instance.id, rollup.name);
        // Dropped (or redefined) since it was listed: the definition read with the cells decides.
        if (found !== undefined && rollupCovers(found.rollup, ast)) {
          const answer = answerFromRollup(found.rollup, found.cells, ast, this.limits);
          return answer as QueryResultOf<EventMap, Q>;
        }
      }
      return scan(instance.id);
    });
  }

  pageEvents<Q extends Query>(query: Q): Promise<QueryEventOf<EventMap, Q>[]> {
    return this.guard(async () => {
      const ast = parseQuery(query, this.limits);
      if (ast.reduce !== undefined) {
        throw invalid('reduce', 'pageEvents reads a page of events; run an aggregation with queryEvents');
      }
      // No rollup answers a page: by a reference resolved before, one round trip (see byKnownId).
      const { events = [] } = await this.byKnownId(ast.instance, (id, ref) => this.scan(id, ast, ref, false));
      return events as QueryEventOf<EventMap, Q>[];
    });
  }

  /**
   * A query run by the adapter on the instance with this id (checked to be what `ref` names, when
   * given), its records decrypted. `total: false`: the caller does not need the total.
   */
  private async scan(instanceId: string, ast: QueryNode, ref?: string, total?: false): Promise<QueryResult> {
    if (comparesPayload(ast)) assertNoPersonalFields(ast, await this.personalPathsOf(instanceId));
    const options: ReadOptions = { now: this.now() };
    if (ref !== undefined) options.ref = ref;
    if (total === false) options.total = false;
    const result = await this.adapter.query(instanceId, ast, this.limits, options);
    return decryptResult(this.adapter.kv, result);
  }

  /**
   * Runs `read` on the instance `ref` names, in one round trip when this store resolved `ref`
   * before. A known id (see `knownIds`) is read at once: a read whose guard finds an instance with
   * this id answers for that instance, which is the one `ref` names now (ids are tried before
   * names, SPEC §3). A name resolved before (see `nameHints`) is read by its id with `ref`, which
   * the adapter checks. `NOT_FOUND` from either (gone, moved) falls back to resolving `ref`; any
   * other reference is resolved first. `read` must answer `NOT_FOUND` for a missing instance and
   * write nothing.
   */
  private async byKnownId<T>(
    ref: string,
    read: (instanceId: string, ref?: string) => Promise<T>,
  ): Promise<T> {
    const hinted = this.knownIds.has(ref)
      ? ref
      : hasCapability(this.adapter, 'readRefs')
        ? this.nameHints.get(ref)
        : undefined;
    if (hinted !== undefined) {
      try {
        return await (hinted === ref ? read(ref) : read(hinted, ref));
      } catch (error) {
        if (!(EventLogError.isInstance(error) && error.code === 'NOT_FOUND')) throw error;
        if (hinted === ref) this.knownIds.delete(ref);
        else this.nameHints.delete(ref);
      }
    }
    return read((await this.resolve(ref)).id);
  }

  /**
   * Whether a rollup might answer `ast` (then the instance's row is needed to decide). With `ref`:
   * not when the rollups of the instance `ref` was last resolved to, listed less than
   * INSTANCE_FACTS_TTL_MS ago, cover none of it (a rollup defined since in another process is
   * used after that time, as in `rollupFor`; the scan answers the same meanwhile).
   */
  private mayUseRollup(ast: QueryNode, ref?: string): boolean {
    if (!this.useRollups || ast.reduce === undefined || !hasCapability(this.adapter, 'rollups')) return false;
    const id = ref === undefined ? undefined : this.knownIds.has(ref) ? ref : this.nameHints.get(ref);
    const rollups = id === undefined ? undefined : this.rollupLists.fresh(id);
    return rollups === undefined || pickRollup(rollups, ast) !== undefined;
  }

  /** The rollup that answers `ast` for `instance`, when rollups are on and one covers it. */
  private async rollupFor(instance: Instance, ast: QueryNode): Promise<RollupSpec | undefined> {
    if (!this.mayUseRollup(ast)) return undefined;
    // Retention hides expired events the rollup still counts (until pruned): scan instead.
    if (!rollupsUsable(instance)) return undefined;
    const list = this.adapter.listRollups as NonNullable<StorageAdapter['listRollups']>;
    // Cached: a rollup another process dropped meanwhile is caught by the read of its cells
    // (queryEvents re-checks the definition read with them); one it defined is used within
    // INSTANCE_FACTS_TTL_MS.
    const rollups = await this.rollupLists.get(instance.id, () => list.call(this.adapter, instance.id));
    return pickRollup(rollups, ast);
  }

  explainQuery(query: unknown): Promise<QueryPlan> {
    return this.guard(async () => {
      const ast = parseQuery(query, this.limits);
      const instance = await this.resolve(ast.instance);
      const rollup = await this.rollupFor(instance, ast);
      return { rollup: rollup?.name ?? null };
    });
  }

  /** Refuses a rollup method on an adapter without `capabilities.rollups`. */
  private requireRollups(method: string): void {
    if (!hasCapability(this.adapter, 'rollups')) {
      throw storageError(
        `The ${this.adapter.name} adapter does not support ${method} (it does not declare capabilities.rollups); nothing was changed. Use the memory, SQLite or PostgreSQL adapter for rollups.`,
      );
    }
  }

  defineRollup(params: unknown): Promise<RollupInfo> {
    return this.guard(async () => {
      const spec = validateRollupSpec(params);
      const ref = validateInstanceRef((params as { instanceId?: unknown }).instanceId);
      this.requireRollups('defineRollup');
      const instance = await this.resolve(ref);
      const define = this.adapter.defineRollup as NonNullable<StorageAdapter['defineRollup']>;
      try {
        return await define.call(this.adapter, instance.id, spec, this.now());
      } finally {
        this.rollupLists.delete(instance.id);
      }
    });
  }

  listRollups(params: unknown): Promise<RollupInfo[]> {
    return this.guard(async () => {
      const ref = validateInstanceRef(rollupParams(params, ['instanceId'], 'listRollups').instanceId);
      this.requireRollups('listRollups');
      const instance = await this.resolve(ref);
      const list = this.adapter.listRollups as NonNullable<StorageAdapter['listRollups']>;
      const rollups = await list.call(this.adapter, instance.id);
      this.rollupLists.set(instance.id, rollups);
      return rollups;
    });
  }

  dropRollup(params: unknown): Promise<{ dropped: boolean }> {
    return this.guard(async () => {
      const p = rollupParams(params, ['instanceId', 'name'], 'dropRollup');
      const ref = validateInstanceRef(p.instanceId);
      if (typeof p.name !== 'string' || p.name.length === 0 || p.name.length > 100) {
        throw validationError(`dropRollup.name: expected the rollup's name, got ${JSON.stringify(p.name)}.`);
      }
      this.requireRollups('dropRollup');
      const instance = await this.resolve(ref);
      const drop = this.adapter.dropRollup as NonNullable<StorageAdapter['dropRollup']>;
      try {
        return { dropped: await drop.call(this.adapter, instance.id, p.name) };
      } finally {
        this.rollupLists.delete(instance.id);
      }
    });
  }

  getInstanceStats(instanceId: string): Promise<InstanceStats> {
    return this.guard(() =>
      this.byKnownId(validateInstanceRef(instanceId), (id, ref) =>
        this.adapter.stats(id, ref === undefined ? { now: this.now() } : { now: this.now(), ref }),
      ),
    );
  }

  /** Refuses a lifecycle method on an adapter without `capabilities.lifecycle`. */
  private requireLifecycle(method: string): void {
    if (!hasCapability(this.adapter, 'lifecycle')) {
      throw storageError(
        `The ${this.adapter.name} adapter does not support ${method} (it does not declare capabilities.lifecycle); nothing was changed. Use an adapter with stream lifecycle and retention.`,
      );
    }
  }

  /** A record of the log about itself, on the `$system` stream. */
  private systemRecord(eventType: string, payload: JsonObject): NewEvent {
    return {
      id: randomId(),
      streamId: SYSTEM_STREAM,
      eventType,
      payload,
      metadata: {},
      timestamp: this.now(),
    };
  }

  deleteStream(params: unknown): Promise<DeleteStreamData> {
    return this.guard(async () => {
      const removal = validateDeleteStream(params);
      this.requireLifecycle('deleteStream');
      const instance = await this.resolve(removal.instance);
      const { streamId } = removal;
      const outcome = await (this.adapter.deleteStream as NonNullable<StorageAdapter['deleteStream']>)({
        instanceId: instance.id,
        streamId,
        ...(removal.expectedVersion === undefined ? {} : { expectedVersion: removal.expectedVersion }),
        record: this.systemRecord(STREAM_DELETED, { streamId }),
      });
      return { streamId, deletedEvents: outcome.deletedEvents, version: outcome.version };
    });
  }

  truncateStream(params: unknown): Promise<TruncateStreamData> {
    return this.guard(async () => {
      const removal = validateTruncateStream(params);
      this.requireLifecycle('truncateStream');
      const instance = await this.resolve(removal.instance);
      const { streamId, before } = removal;
      const outcome = await (this.adapter.truncateStream as NonNullable<StorageAdapter['truncateStream']>)({
        instanceId: instance.id,
        streamId,
        before,
        record: this.systemRecord(STREAM_TRUNCATED, { streamId, before }),
      });
      return { streamId, deletedEvents: outcome.deletedEvents };
    });
  }

  setRetention(params: unknown): Promise<Instance> {
    return this.guard(async () => {
      const { instance: ref, ...change } = validateSetRetention(params);
      this.requireLifecycle('setRetention');
      const instance = await this.resolve(ref);
      const retention = applyRetentionChange(instance.retention, change);
      return this.adapter.updateInstance(instance.id, {
        retention: retention ?? null,
        updatedAt: this.now(),
      });
    });
  }

  pruneExpired(params?: unknown): Promise<PruneExpiredData> {
    return this.guard(async () => {
      const { instance: ref } = validatePruneExpired(params);
      this.requireLifecycle('pruneExpired');
      const instanceId = ref === undefined ? undefined : (await this.resolve(ref)).id;
      const prune = this.adapter.pruneExpired as NonNullable<StorageAdapter['pruneExpired']>;
      return prune.call(this.adapter, {
        ...(instanceId === undefined ? {} : { instanceId }),
        now: this.now(),
        batchSize: this.pruneBatchSize,
      });
    });
  }

  forgetSubject(subject: unknown): Promise<ForgetSubjectData> {
    return this.guard(async () => {
      const subjectId = validateForgetSubject(subject);
      const forgotten = await destroySubjectKey(this.adapter.kv, subjectId);
      if (forgotten) await this.adapter.scrub?.();
      const recordedIn: string[] = [];
      for (const instance of await this.adapter.listInstances()) {
        // Snapshots hold folded state, which may hold the subject's clear values.
        await this.dropSnapshotsOf(instance, subjectId);
        if (await this.needsForgottenRecord(instance.id, subjectId)) {
          await this.adapter.append({
            instance: instance.id,
            autoCreate: false,
            now: this.now(),
            events: [this.systemRecord(SUBJECT_FORGOTTEN, { subjectId })],
          });
          recordedIn.push(instance.id);
        }
      }
      return { subjectId, forgotten, recordedIn };
    });
  }

  /**
   * Deletes the snapshots of the streams holding events of the subject in an instance (all of the
   * instance's snapshots when there are too many such streams to list).
   */
  private async dropSnapshotsOf(instance: Instance, subjectId: string): Promise<void> {
    let streams: Set<string> | undefined;
    try {
      const grouped = await this.adapter.query(
        instance.id,
        parseQuery(
          {
            from: { instance: instance.id },
            where: [{ field: 'metadata.subject', operator: 'eq', value: subjectId }],
            reduce: { type: 'count', groupBy: ['stream_id'] },
          },
          this.limits,
        ),
        this.limits,
      );
      const groups = grouped.aggregation?.groups ?? [];
      if (groups.length === 0) return;
      streams = new Set(groups.map((g) => String(g.key.stream_id)));
    } catch (error) {
      if (!(EventLogError.isInstance(error) && error.code === 'LIMIT_EXCEEDED')) throw error;
    }
    const kv = this.adapter.kv;
    for (const { key } of await kv.list(SNAPSHOT_NAMESPACE)) {
      let parts: unknown;
      try {
        parts = JSON.parse(key);
      } catch {
        continue;
      }
      if (!Array.isArray(parts) || (parts[0] !== instance.id && parts[0] !== instance.name)) continue;
      if (streams === undefined || streams.has(String(parts[1]))) await kv.delete(SNAPSHOT_NAMESPACE, key);
    }
  }

  /**
   * True when an instance holds events of the subject after its last `$subject.forgotten` record
   * (so calling forgetSubject again records nothing new).
   */
  private async needsForgottenRecord(instanceId: string, subjectId: string): Promise<boolean> {
    const now = this.now();
    const last = await this.adapter.query(
      instanceId,
      parseQuery(
        {
          from: { instance: instanceId, stream: SYSTEM_STREAM },
          where: [
            { field: 'event_type', operator: 'eq', value: SUBJECT_FORGOTTEN },
            { field: 'payload.subjectId', operator: 'eq', value: subjectId },
          ],
          orderBy: { field: 'global_position', direction: 'desc' },
          select: ['global_position'],
          limit: 1,
        },
        this.limits,
      ),
      this.limits,
      { now },
    );
    const after = (last.events?.[0]?.global_position as number | undefined) ?? 0;
    const held = await this.adapter.query(
      instanceId,
      parseQuery(
        {
          from: { instance: instanceId },
          where: [
            { field: 'metadata.subject', operator: 'eq', value: subjectId },
            { field: 'global_position', operator: 'gt', value: after },
          ],
          limit: 0,
        },
        this.limits,
      ),
      this.limits,
      { now },
    );
    return held.total > 0;
  }

  parseQuery(query: unknown): QueryNode {
    return parseQuery(query, this.limits);
  }

  readAfter(params: ReadAfterParams): Promise<EventRecord[]> {
    return this.guard(async () => {
      const { instance: ref, ...checked } = validateReadAfter(params, this.limits);
      const rest = { ...checked, now: this.now() };
      const kv = this.adapter.kv;
      // A known id with events after `after`: an instance with this id exists and the reference
      // means it (see `knownIds`).
      if (this.knownIds.has(ref)) {
        const page = await this.adapter.readAfter({ instanceId: ref, ...rest });
        if (page.length > 0) return decryptRecords(kv, page);
        // Nothing: the instance may be gone (NOT_FOUND) or empty; the reference decides.
        const instance = await this.resolve(ref);
        if (instance.id === ref) return page;
        return decryptRecords(kv, await this.adapter.readAfter({ instanceId: instance.id, ...rest }));
      }
      const instance = await this.resolve(ref);
      return decryptRecords(kv, await this.adapter.readAfter({ instanceId: instance.id, ...rest }));
    });
  }

  loadStream(params: LoadStreamParams): Promise<StreamStart> {
    return this.guard(async () => {
      const start = params.fromVersion ?? 1;
      if (!Number.isSafeInteger(start) || start < 1) {
        throw invalid(
          'fromVersion',
          `expected a sequence number (an integer of 1 or more), got ${describeValue(start)}`,
        );
      }
      const {
        instance: ref,
        stream,
        limit,
      } = validateReadAfter(streamPage(params.instance, params.streamId, 1, params.limit), this.limits);
      const now = this.now();
      const noStream = (): StreamStart => ({
        instanceId: undefined,
        snapshot: undefined,
        from: start,
        events: [],
      });
      const kv = this.adapter.kv;
      const key = params.snapshotKey;
      const load = this.adapter.loadStream;
      if (load !== undefined) {
        const loaded = await load.call(this.adapter, {
          ref,
          stream: stream as string,
          limit,
          now,
          from: start,
          ...(key === undefined ? {} : { anchor: { namespace: SNAPSHOT_NAMESPACE, key } }),
        });
        if (loaded.instance === undefined) return noStream();
        this.rememberId(loaded.instance.id);
        const { from, events } = loaded;
        return {
          instanceId: loaded.instance.id,
          snapshot: loaded.anchor?.value,
          from,
          events: await decryptRecords(kv, events),
        };
      }
      // Two round trips: the snapshot and the instance together, then the page from the snapshot.
      const [stored, instance] = await Promise.all([
        key === undefined ? undefined : kv.get(SNAPSHOT_NAMESPACE, key).catch(() => undefined),
        this.adapter.resolveInstance(ref),
      ]);
      if (instance === undefined || instance === null) return noStream();
      this.rememberId(instance.id);
      const from = snapshotAnchor(stored?.value) ?? start;
      const { instance: id, ...page } = validateReadAfter(
        streamPage(instance.id, stream as string, from, limit),
        this.limits,
      );
      try {
        const events = await this.adapter.readAfter({ instanceId: id, ...page, now });
        return { instanceId: id, snapshot: stored?.value, from, events: await decryptRecords(kv, events) };
      } catch (error) {
        // Deleted since it was resolved: its streams are empty.
        if (EventLogError.isInstance(error) && error.code === 'NOT_FOUND') return noStream();
        throw error;
      }
    });
  }

  headPosition(instanceId: string): Promise<number> {
    return this.guard(async () => {
      const ref = validateInstanceRef(instanceId);
      // As in readAfter: a known id with events exists.
      if (this.knownIds.has(ref)) {
        const head = await this.adapter.headPosition(ref);
        if (head > 0) return head;
        const instance = await this.resolve(ref);
        if (instance.id === ref) return head;
        return this.adapter.headPosition(instance.id);
      }
      const instance = await this.resolve(ref);
      return this.adapter.headPosition(instance.id);
    });
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    if (this.closing !== undefined) throw closedError();
    try {
      // Events that carry personal data come back encrypted from the adapter: readers must read
      // them through readAfter (which decrypts) instead of taking the commit's records.
      return this.adapter.watch((signal) => {
        const committed = signal.committed;
        if (committed?.events.some((e) => e.metadata.personal !== undefined)) {
          const { committed: _dropped, ...rest } = signal;
          listener(rest);
        } else {
          listener(signal);
        }
      });
    } catch (error) {
      throw toEnvelopeError(error);
    }
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = (async () => {
        try {
          await this.adapter.close();
        } catch (error) {
          throw toEnvelopeError(error);
        }
      })();
    }
    return this.closing;
  }
}

// OpenTelemetry spans and metrics around appends and queries (no-op without an SDK).
observeStoreOperations(DefaultEventStore.prototype);

function checkOptions(options: EventLogOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createEventLog needs options: { adapter, limits?, now?, requestId? }.');
  }
  const adapter = options.adapter as Partial<StorageAdapter> | undefined;
  if (typeof adapter !== 'object' || adapter === null || typeof adapter.append !== 'function') {
    throw new TypeError(
      'createEventLog needs a storage adapter, like createEventLog({ adapter: memoryAdapter() }).',
    );
  }
  if (adapter.contract !== STORAGE_ADAPTER_CONTRACT) {
    throw new TypeError(
      `The storage adapter "${String(adapter.name)}" implements contract ${String(adapter.contract)}, but @eventlog/core needs contract ${STORAGE_ADAPTER_CONTRACT}; update the adapter package.`,
    );
  }
}

/**
 * Creates the typed, throwing layer: every method validates its input, resolves instance
 * references (id first, then name; `NOT_FOUND` otherwise), calls the adapter and returns data, or
 * throws an {@link EventLogError} (anything else the adapter throws becomes `STORAGE_ERROR`).
 *
 * @throws TypeError when the options are unusable (no adapter, a wrong contract, bad limits)
 * @example
 * const store = createEventStore({ adapter: memoryAdapter() });
 * const instance = await store.createInstance('orders');
 */
export function createEventStore<E extends EventMap = EventMap>(options: EventLogOptions<E>): EventStore<E> {
  checkOptions(options as EventLogOptions);
  return new DefaultEventStore(options as EventLogOptions) as unknown as EventStore<E>;
}
