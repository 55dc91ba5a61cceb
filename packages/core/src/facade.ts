/**
 * The facade: {@link createEventLog} builds an {@link EventLog} (the nine enveloped methods of the
 * API document, which never reject) over an {@link EventStore} (the typed layer that validates,
 * resolves instance references, calls the adapter, returns data and throws {@link EventLogError}).
 * {@link dispatch} serves wire requests with the same envelopes.
 */

import type { CommitSignal, StorageAdapter, Unsubscribe } from './adapter.js';
import { appendToAdapter, STORAGE_ADAPTER_CONTRACT } from './adapter.js';
import type { QueryNode } from './dsl/ast.js';
import { parseQuery } from './dsl/parse.js';
import { type EventLogError, instanceNotFound, storageError, toEventLogError } from './errors.js';
import type {
  EventLog,
  EventLogOptions,
  EventStore,
  ReadAfterParams,
  StoreAppendOptions,
} from './event-log.js';
import { type Limits, resolveLimits } from './limits.js';
import {
  type AppendEventData,
  type AppendEventsData,
  type DeleteInstanceData,
  type Envelope,
  ERROR_CODES,
  type EventMap,
  type EventRecord,
  type FailureEnvelope,
  type Instance,
  type InstanceStats,
  METHODS,
  type MethodName,
  type QueryResult,
} from './model.js';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, nowIso } from './timestamp.js';
import { compileUpcasters, type Upcaster } from './upcast.js';
import { validateAppendEvent, validateAppendEvents } from './validation/append.js';
import {
  validateCreateInstance,
  validateInstanceRef,
  validateInstanceUpdate,
} from './validation/instance.js';
import { describeValue, invalid } from './validation/issues.js';
import { validateReadAfter } from './validation/read-after.js';

const randomId = () => globalThis.crypto.randomUUID();

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

/** Like {@link toEventLogError}, but never throws, whatever was thrown (even a null-prototype object). */
function safeError(error: unknown): EventLogError {
  try {
    const e = toEventLogError(error);
    if ((ERROR_CODES as readonly string[]).includes(e.code) && typeof e.message === 'string') return e;
    return storageError(
      `The storage backend failed with an unknown error code ${JSON.stringify(e.code)}.`,
      e,
    );
  } catch {
    return storageError('The storage backend failed with an error that cannot be printed.', error);
  }
}

/** How many known instance ids a store remembers before it starts over (see `knownIds`). */
const MAX_KNOWN_IDS = 10_000;

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
   * Strings known to be instance ids (ids are random and never reused, so this stays true after a
   * delete). `readAfter` and `headPosition` of a known id ask the adapter by id first and resolve
   * the reference only when that finds nothing: live readers then read in one round trip.
   */
  private readonly knownIds = new Set<string>();

  constructor(options: EventLogOptions) {
    this.adapter = options.adapter;
    this.limits = Object.freeze(resolveLimits(options.limits));
    compileUpcasters([options.upcasters]); // throws TypeError for malformed upcasters, at creation
    this.upcasters = Object.freeze([...(options.upcasters ?? [])]);
    this.clock = options.now ?? Date.now;
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
      throw safeError(error);
    }
  }

  private async resolve(ref: string): Promise<Instance> {
    const instance = await this.adapter.resolveInstance(ref);
    if (instance === undefined || instance === null) throw instanceNotFound(ref);
    if (instance.id === ref) this.rememberId(ref);
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
      return this.adapter.deleteInstance(instance.id);
    });
  }

  appendEvent(params: unknown): Promise<AppendEventData<EventRecord>> {
    return this.guard(async () => {
      // The adapter resolves the instance inside its transaction, because of autoCreateInstance.
      const request = validateAppendEvent(params, { limits: this.limits, now: this.now() });
      const outcome = await appendToAdapter(this.adapter, request);
      const event = outcome.events[0];
      if (event === undefined) throw storageError('The storage adapter returned no event for an append.');
      return outcome.duplicate ? { event, duplicate: true } : { event };
    });
  }

  appendEvents(params: unknown, options?: StoreAppendOptions): Promise<AppendEventsData<EventRecord>> {
    return this.guard(async () => {
      const request = validateAppendEvents(params, { limits: this.limits, now: this.now() });
      const { events, duplicate } = await appendToAdapter(this.adapter, request, options?.kvWrites);
      return duplicate ? { events, count: events.length, duplicate: true } : { events, count: events.length };
    });
  }

  queryEvents(query: unknown): Promise<QueryResult> {
    return this.guard(async () => {
      const ast = parseQuery(query, this.limits);
      const instance = await this.resolve(ast.instance);
      return this.adapter.query(instance.id, ast, this.limits);
    });
  }

  getInstanceStats(instanceId: string): Promise<InstanceStats> {
    return this.guard(async () => {
      const instance = await this.resolve(validateInstanceRef(instanceId));
      return this.adapter.stats(instance.id);
    });
  }

  parseQuery(query: unknown): QueryNode {
    return parseQuery(query, this.limits);
  }

  readAfter(params: ReadAfterParams): Promise<EventRecord[]> {
    return this.guard(async () => {
      const { instance: ref, ...rest } = validateReadAfter(params, this.limits);
      // A known id with events after `after`: they are the instance's (ids come first, SPEC §3),
      // and an instance that has events exists (a delete removes its events in one transaction).
      if (this.knownIds.has(ref)) {
        const page = await this.adapter.readAfter({ instanceId: ref, ...rest });
        if (page.length > 0) return page;
        // Nothing: the instance may be gone (NOT_FOUND) or empty; the reference decides.
        const instance = await this.resolve(ref);
        if (instance.id === ref) return page;
        return this.adapter.readAfter({ instanceId: instance.id, ...rest });
      }
      const instance = await this.resolve(ref);
      return this.adapter.readAfter({ instanceId: instance.id, ...rest });
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
      return this.adapter.watch(listener);
    } catch (error) {
      throw safeError(error);
    }
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = (async () => {
        try {
          await this.adapter.close();
        } catch (error) {
          throw safeError(error);
        }
      })();
    }
    return this.closing;
  }
}

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

type AnyEnvelope = Envelope<string, unknown>;

class DefaultEventLog {
  readonly store: DefaultEventStore;
  private readonly makeRequestId: () => string;

  constructor(store: DefaultEventStore, makeRequestId: (() => string) | undefined) {
    this.store = store;
    this.makeRequestId = makeRequestId ?? randomId;
  }

  private requestId(): string {
    try {
      const id = this.makeRequestId();
      if (typeof id === 'string') return id;
    } catch {
      // a broken generator must not make the envelope reject
    }
    return randomId();
  }

  /** Runs a store call and wraps the outcome in an envelope; never rejects. */
  async run<M extends MethodName, D>(method: M, fn: () => Promise<D>): Promise<Envelope<M, D>> {
    const requestId = this.requestId();
    const type = `eventLog.${method}` as const;
    try {
      const data = await fn();
      return { type, success: true, data, timestamp: this.store.now(), requestId };
    } catch (thrown) {
      return failure(type, safeError(thrown), requestId, this.store.now());
    }
  }

  createInstance(name: unknown, description?: unknown) {
    return this.run('createInstance', async () => ({
      instance: await this.store.createInstance(name as string, description as string | undefined),
    }));
  }

  getInstance(instanceId: unknown) {
    return this.run('getInstance', async () => ({
      instance: await this.store.getInstance(instanceId as string),
    }));
  }

  listInstances() {
    return this.run('listInstances', async () => ({ instances: await this.store.listInstances() }));
  }

  updateInstance(instanceId: unknown, updates: unknown) {
    return this.run('updateInstance', async () => ({
      instance: await this.store.updateInstance(instanceId as string, updates),
    }));
  }

  deleteInstance(instanceId: unknown) {
    return this.run('deleteInstance', () => this.store.deleteInstance(instanceId as string));
  }

  appendEvent(params: unknown) {
    return this.run('appendEvent', () => this.store.appendEvent(params));
  }

  appendEvents(params: unknown) {
    return this.run('appendEvents', () => this.store.appendEvents(params));
  }

  queryEvents(query: unknown) {
    return this.run('queryEvents', async () => ({ result: await this.store.queryEvents(query) }));
  }

  getInstanceStats(instanceId: unknown) {
    return this.run('getInstanceStats', () => this.store.getInstanceStats(instanceId as string));
  }

  async close(): Promise<void> {
    try {
      await this.store.close();
    } catch {
      // close() resolves whatever happens; the adapter has released what it could
    }
  }
}

function failure<M extends string>(
  type: `eventLog.${M}`,
  error: EventLogError,
  requestId: string,
  timestamp: string,
): FailureEnvelope<M> {
  const envelope: FailureEnvelope<M> = {
    type,
    success: false,
    error: error.message,
    code: error.code,
    timestamp,
    requestId,
  };
  if (error.details !== undefined) envelope.details = error.details;
  return envelope;
}

/**
 * Creates an event log over a storage adapter. Every method resolves to an envelope
 * `{ type: 'eventLog.<method>', success, data | error + code (+ details), timestamp, requestId }`
 * and never rejects — not for bad input, a missing instance, a conflict, a failing backend, or a
 * closed log (`STORAGE_ERROR`).
 *
 * Options: `adapter` (required), `limits` (overrides of {@link DEFAULT_LIMITS}), `now` (the clock,
 * default `Date.now`), `requestId` (default random UUIDs). `log.store` is the typed, throwing layer.
 *
 * @throws TypeError when the options are unusable (no adapter, a wrong contract, bad limits)
 * @example
 * const log = createEventLog({ adapter: memoryAdapter() });
 * const created = await log.createInstance('user-activity', 'Logs user actions');
 * if (created.success) {
 *   await log.appendEvent({ instanceId: 'user-activity', streamId: 'user-1', eventType: 'login' });
 * }
 */
export function createEventLog<E extends EventMap = EventMap>(options: EventLogOptions<E>): EventLog<E> {
  checkOptions(options as EventLogOptions);
  const store = new DefaultEventStore(options as EventLogOptions);
  return new DefaultEventLog(store, options.requestId) as unknown as EventLog<E>;
}

// ---------------------------------------------------------------------------------------------
// Wire requests

type WireHandler = (log: DefaultEventLog, params: unknown) => Promise<AnyEnvelope>;

function wireParams(params: unknown, allowed: readonly string[], method: string): Record<string, unknown> {
  if (params === undefined && allowed.length === 0) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalid(
      'params',
      `expected the ${method} params as an object${allowed.length > 0 ? ` { ${allowed.join(', ')} }` : ''}, got ${describeValue(params)}`,
    );
  }
  const record = params as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || record[key] === undefined || allowed.includes(key)) continue;
    throw invalid(
      `params.${key}`,
      `is not a known key of the ${method} params; allowed keys are ${allowed.length > 0 ? allowed.join(', ') : 'none'}`,
    );
  }
  return record;
}

const WIRE_HANDLERS: Record<MethodName, WireHandler> = {
  createInstance: (log, p) => {
    const { name, description } = wireParams(p, ['name', 'description'], 'createInstance');
    return log.createInstance(name, description);
  },
  getInstance: (log, p) => log.getInstance(wireParams(p, ['instanceId'], 'getInstance').instanceId),
  listInstances: (log, p) => {
    wireParams(p, [], 'listInstances');
    return log.listInstances();
  },
  updateInstance: (log, p) => {
    const { instanceId, ...updates } = wireParams(p, ['instanceId', 'name', 'description'], 'updateInstance');
    return log.updateInstance(instanceId, updates);
  },
  deleteInstance: (log, p) => log.deleteInstance(wireParams(p, ['instanceId'], 'deleteInstance').instanceId),
  // Append params are validated in full (unknown keys included) by the validators.
  appendEvent: (log, p) => log.appendEvent(p),
  appendEvents: (log, p) => log.appendEvents(p),
  queryEvents: (log, p) => log.queryEvents(wireParams(p, ['query'], 'queryEvents').query),
  getInstanceStats: (log, p) =>
    log.getInstanceStats(wireParams(p, ['instanceId'], 'getInstanceStats').instanceId),
};

/**
 * Serves one wire request `{ type: 'eventLog.<method>', requestId?, params }` (see
 * {@link WireRequest}) with the log's envelope, carrying the request's `type` and `requestId`
 * (a fresh id when it has none). Params are as the API document's client sends them:
 * `{ name, description }`, `{ instanceId }`, `{ instanceId, ...updates }`, the append params,
 * `{ query }`; `listInstances` takes none. Never rejects: a malformed request, an unknown `type`
 * or unknown params keys give a `VALIDATION_ERROR` envelope.
 *
 * @example
 * const envelope = await dispatch(log, { type: 'eventLog.getInstance', requestId: 'r1', params: { instanceId: 'audit' } });
 * // { type: 'eventLog.getInstance', requestId: 'r1', success: true, data: { instance } , … }
 */
export async function dispatch(log: EventLog<EventMap>, request: unknown): Promise<AnyEnvelope> {
  const impl = log as unknown as DefaultEventLog;
  const now = () => (impl.store instanceof DefaultEventStore ? impl.store.now() : nowIso());
  let type: `eventLog.${string}` = 'eventLog.unknown';
  let requestId: string = randomId();
  try {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      throw invalid(
        'request',
        `expected a request { type: 'eventLog.<method>', requestId?, params }, got ${describeValue(request)}`,
      );
    }
    const { type: rawType, requestId: rawId, params, ...rest } = request as Record<string, unknown>;
    if (typeof rawType === 'string') type = rawType as `eventLog.${string}`;
    if (typeof rawId === 'string') requestId = rawId;
    else if (rawId !== undefined) {
      throw invalid('requestId', `expected a string, got ${describeValue(rawId)}`);
    }
    for (const key of Object.keys(rest)) {
      if (rest[key] !== undefined) {
        throw invalid(key, 'is not a known key of a request; allowed keys are type, requestId, params');
      }
    }
    const method =
      typeof rawType === 'string' && rawType.startsWith('eventLog.') ? rawType.slice(9) : undefined;
    if (method === undefined || !(METHODS as readonly string[]).includes(method)) {
      throw invalid(
        'type',
        `${describeValue(rawType)} is not a request type; types are ${METHODS.map((m) => `eventLog.${m}`).join(', ')}`,
      );
    }
    const handler = WIRE_HANDLERS[method as MethodName];
    const envelope = await handler(impl, params);
    envelope.requestId = requestId;
    return envelope;
  } catch (thrown) {
    return failure(type, safeError(thrown), requestId, now());
  }
}
