/**
 * The typed, throwing layer: {@link createEventStore} builds an {@link EventStore}, which validates
 * input, resolves instance references, calls the adapter, returns data and throws
 * {@link EventLogError}. The envelopes of `createEventLog` are built over it (envelope-log.ts).
 */

import type { CommitSignal, StorageAdapter, Unsubscribe } from './adapter.js';
import { appendToAdapter, STORAGE_ADAPTER_CONTRACT } from './adapter.js';
import type { QueryNode } from './dsl/ast.js';
import { parseQuery } from './dsl/parse.js';
import { toEnvelopeError } from './envelope.js';
import { type EventLogError, instanceNotFound, storageError } from './errors.js';
import type { EventLogOptions, EventStore, ReadAfterParams, StoreAppendOptions } from './event-log.js';
import { type Limits, resolveLimits } from './limits.js';
import type {
  AppendEventData,
  AppendEventsData,
  DeleteInstanceData,
  EventMap,
  EventRecord,
  Instance,
  InstanceStats,
  Query,
  QueryResultOf,
} from './model.js';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, nowIso } from './timestamp.js';
import { compileUpcasters, type Upcaster } from './upcast.js';
import { validateAppendEvent, validateAppendEvents } from './validation/append.js';
import {
  validateCreateInstance,
  validateInstanceRef,
  validateInstanceUpdate,
} from './validation/instance.js';
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
      throw toEnvelopeError(error);
    }
  }

  private async resolve(ref: string): Promise<Instance> {
    const instance = await this.adapter.resolveInstance(ref);
    if (instance === undefined || instance === null) throw instanceNotFound(ref);
    // Any resolution teaches an id (by name too): later reads by that id skip resolving.
    this.rememberId(instance.id);
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

  queryEvents<Q extends Query>(query: Q): Promise<QueryResultOf<EventMap, Q>> {
    return this.guard(async () => {
      const ast = parseQuery(query, this.limits);
      const instance = await this.resolve(ast.instance);
      // The adapter returns records as stored; their static type is the caller's event map.
      return (await this.adapter.query(instance.id, ast, this.limits)) as QueryResultOf<EventMap, Q>;
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
      // A known id with events after `after`: an instance with this id exists and the reference
      // means it (see `knownIds`).
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
