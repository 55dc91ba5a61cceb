/**
 * The shape of `@eventlog/rx` that the live group tests, described structurally so this package
 * does not depend on `@eventlog/rx` or `rxjs` (rx's own tests depend on this package). Pass the
 * real functions: `{ liveEvents, liveQuery, projection }` from `@eventlog/rx`.
 */

import type { Condition, EventLog, EventRecord, KeyValueStore, Query, QueryResult } from '@eventlog/core';

/** What a subscription returns. */
export interface LiveSubscription {
  unsubscribe(): void;
}

/** An observer, as RxJS takes it. */
export interface LiveObserver<T> {
  next?: (value: T) => void;
  error?: (error: unknown) => void;
  complete?: () => void;
}

/** Anything with RxJS's `subscribe(observer)`: an `Observable<T>`. */
export interface LiveSubscribable<T> {
  subscribe(observer: LiveObserver<T>): LiveSubscription;
}

/** Options of `liveEvents` the group uses. */
export interface LiveEventsTestOptions {
  instance: string;
  stream?: string;
  where?: Condition[];
  after?: number;
  pageSize?: number;
}

/** The handler context of a projection, as far as the group uses it. */
export interface LiveProjectionContext {
  readonly kv: KeyValueStore;
  readonly driver: unknown;
  readonly transactional: boolean;
}

/** Options of `projection` the group uses. */
export interface LiveProjectionTestOptions {
  log: EventLog;
  name: string;
  instance: string;
  stream?: string;
  where?: Condition[];
  handler: (event: EventRecord, context: LiveProjectionContext) => void | Promise<void>;
  onReset?: (context: LiveProjectionContext) => void | Promise<void>;
  transactional?: boolean;
  batchSize?: number;
  lease?: { ttlMs?: number; renewIntervalMs?: number; retryIntervalMs?: number; owner?: string };
}

/** A projection controller, as far as the group uses it. */
export interface LiveProjection {
  readonly status: { readonly state: string; readonly position: number; readonly error?: unknown };
  readonly errors$: LiveSubscribable<Error & { event?: EventRecord | undefined; retrying?: boolean }>;
  start(): void;
  stop(): Promise<void>;
  caughtUp(): Promise<number>;
  reset(): Promise<void>;
}

/** The functions of `@eventlog/rx` under test. */
export interface LiveRxApi {
  liveEvents(log: EventLog, options: LiveEventsTestOptions): LiveSubscribable<EventRecord>;
  liveQuery(log: EventLog, query: Query): LiveSubscribable<QueryResult>;
  projection(options: LiveProjectionTestOptions): LiveProjection;
}
