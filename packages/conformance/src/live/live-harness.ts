/**
 * Helpers of the live group: the context it runs in, a recorder for Observables, and an adapter
 * wrapper that counts (and may slow down) the calls live subscriptions make.
 */

import { randomUUID } from 'node:crypto';
import type {
  CommitSignal,
  EventLog,
  EventRecord,
  Instance,
  NewEventInput,
  ReadAfterRequest,
  StorageAdapter,
} from '@eventlog/core';
import { createEventLog } from '@eventlog/core';
import type { LiveRxApi, LiveSubscribable, LiveSubscription } from './live-rx-api.js';

/** What the live group needs from its surroundings (a `ConformanceContext` has all of it). */
export interface LiveTestContext {
  readonly adapter: StorageAdapter;
  /** The facade under test. */
  readonly log: EventLog;
  /** How long to wait for something that follows a commit, in ms. */
  readonly signalTimeoutMs: number;
}

/** Options of `registerLiveSubscriptionTests` / `describeLiveSubscriptions`. */
export interface LiveGroupOptions {
  /** `{ liveEvents, liveQuery, projection }` from `@eventlog/rx`. */
  rx: LiveRxApi;
  /**
   * Events per writer in the concurrent-writers test (8 writers). Default 250 (2000 in all), as
   * the contract says; lower it only to debug.
   */
  eventsPerWriter?: number;
}

let counter = 0;

/** A name no other test or earlier run uses. */
export function freshName(label: string): string {
  counter += 1;
  return `${label}-${counter}-${randomUUID().slice(0, 8)}`;
}

/** Asserts success of an envelope and returns its data. */
export function ok<D>(envelope: { success: boolean; data?: D; error?: string; code?: string }): D {
  if (!envelope.success) throw new Error(`Expected success, got ${envelope.code}: ${envelope.error}`);
  return envelope.data as D;
}

/** Creates an instance with a fresh name. */
export async function newInstance(log: EventLog, label: string): Promise<Instance> {
  return ok(await log.createInstance(freshName(label))).instance;
}

/** Appends events in one batch and returns the records. */
export async function append(
  log: EventLog,
  instanceId: string,
  events: NewEventInput[],
): Promise<EventRecord[]> {
  return ok(await log.appendEvents({ instanceId, events })).events;
}

/** `n` events of type `type` on `stream`, numbered from `from` in `payload.n`. */
export function numbered(n: number, options: { type?: string; stream?: string; from?: number } = {}) {
  return Array.from({ length: n }, (_, i) => ({
    streamId: options.stream ?? 'default',
    eventType: options.type ?? 'tick',
    payload: { n: (options.from ?? 1) + i },
  }));
}

/** Every event of an instance, in position order. */
export async function readAll(log: EventLog, instanceId: string): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for (let after = 0; ; ) {
    const page = await log.store.readAfter({ instance: instanceId, after, limit: 500 });
    out.push(...page);
    if (page.length < 500) return out;
    after = (page[page.length - 1] as EventRecord).global_position;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition()` holds, checking every 10 ms; throws `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(10);
  }
}

/** What a {@link record} keeps of a subscription. */
export interface Recording<T> {
  readonly values: T[];
  readonly error: unknown;
  readonly completed: boolean;
  readonly subscription: LiveSubscription;
  /** Waits until `condition(values)` holds (throws after the timeout, or at once on an error). */
  until(condition: (values: readonly T[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Waits until the source completed or errored. */
  ended(timeoutMs: number): Promise<void>;
}

/**
 * Subscribes and records every value, the error and the completion.
 *
 * @example
 * const rec = record(rx.liveEvents(log, { instance: id }));
 * await rec.until((values) => values.length >= 3, 2000, 'three events');
 * rec.subscription.unsubscribe();
 */
export function record<T>(source: LiveSubscribable<T>): Recording<T> {
  const values: T[] = [];
  const state = { error: undefined as unknown, errored: false, completed: false };
  const subscription = source.subscribe({
    next: (value) => values.push(value),
    error: (error) => {
      state.error = error;
      state.errored = true;
    },
    complete: () => {
      state.completed = true;
    },
  });
  return {
    values,
    get error() {
      return state.error;
    },
    get completed() {
      return state.completed;
    },
    subscription,
    async until(condition, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!condition(values)) {
        if (state.errored)
          throw new Error(`The subscription errored while waiting for ${what}`, { cause: state.error });
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs} ms waiting for ${what} (got ${values.length} values).`,
          );
        }
        await sleep(5);
      }
    },
    async ended(timeoutMs) {
      await waitUntil(() => state.completed || state.errored, timeoutMs, 'the subscription to end');
    },
  };
}

/** Counters of an {@link instrument}ed adapter. */
export interface AdapterCounters {
  /** Watchers registered and not yet released. */
  watchers: number;
  readAfter: number;
  query: number;
  headPosition: number;
  /** The `limit` of every readAfter call. */
  pageSizes: number[];
}

/**
 * Wraps an adapter to count the calls live helpers make; `delayMs` delays each read's answer
 * (after the backend answered, like network latency), so commits can land while a read is in
 * flight. Build a facade over it with `createEventLog({ adapter })`; never close
 * that facade (it would close the real adapter).
 *
 * @example
 * const probe = instrument(ctx.adapter, { delayMs: 20 });
 * const sub = rx.liveEvents(probe.log, { instance: id }).subscribe(() => {});
 * sub.unsubscribe();
 * expect(probe.counters.watchers).toBe(0);
 */
export function instrument(
  adapter: StorageAdapter,
  options: { delayMs?: number } = {},
): { adapter: StorageAdapter; log: EventLog; counters: AdapterCounters } {
  const counters: AdapterCounters = { watchers: 0, readAfter: 0, query: 0, headPosition: 0, pageSizes: [] };
  const delay = async () => {
    if (options.delayMs !== undefined) await sleep(options.delayMs);
  };
  const overrides: Partial<StorageAdapter> = {
    watch(listener: (signal: CommitSignal) => void) {
      const release = adapter.watch(listener);
      counters.watchers++;
      let active = true;
      return () => {
        if (active) {
          active = false;
          counters.watchers--;
        }
        release();
      };
    },
    async readAfter(request: ReadAfterRequest) {
      counters.readAfter++;
      counters.pageSizes.push(request.limit);
      const page = await adapter.readAfter(request);
      await delay();
      return page;
    },
    async query(instanceId, query, limits) {
      counters.query++;
      const result = await adapter.query(instanceId, query, limits);
      await delay();
      return result;
    },
    async headPosition(instanceId) {
      counters.headPosition++;
      return adapter.headPosition(instanceId);
    },
  };
  const wrapped = new Proxy(adapter, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof StorageAdapter];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { adapter: wrapped, log: createEventLog({ adapter: wrapped }), counters };
}
