/**
 * `projection`: feeds an instance's events to a handler that keeps a read model, with a checkpoint
 * and a lease in the same backend.
 *
 * How it stays correct:
 * - **Checkpoint**: `{ position }` at key `<name>` of namespace `eventlog.checkpoints`, written
 *   after each batch with compare-and-set on its version. When someone else moved it (a process
 *   that took the lease over, or `reset()` elsewhere), the write conflicts and this process reloads
 *   it instead of overwriting it.
 * - **Exactly once** when the adapter has `transaction` (SQLite, PostgreSQL, memory): each batch
 *   runs the handler and the checkpoint write in one backend transaction, so the read model's
 *   writes through `context.driver` / `context.kv` commit with the checkpoint or not at all. The
 *   checkpoint's compare-and-set fences a process that lost its lease: its transaction rolls back.
 * - **At least once** without a transaction: the handler runs, then the checkpoint is written. A
 *   crash in between replays the batch (up to `batchSize` events) after the restart.
 * - **One process at a time**: a lease (see `projection-lease.ts`), renewed while running and
 *   taken over by another process when its holder stops renewing.
 * - **Nothing skipped**: a handler error stops the projection at that event (its checkpoint stays
 *   before it); `start()` again retries it.
 */

import {
  type AdapterTransaction,
  type CompiledUpcasters,
  type Condition,
  EventLogError,
  type EventMap,
  type EventRecord,
  type EventRecordOf,
  type EventStore,
  type KeyValueStore,
  observe,
  STREAM_DELETED,
  STREAM_TRUNCATED,
  type StoredValue,
  type StreamRemovalInfo,
  SYSTEM_STREAM,
  streamRemovalOf,
  type Upcaster,
  upcastersFor,
} from '@eventlog/core';
import { BehaviorSubject, filter, firstValueFrom, type Observable, Subject } from 'rxjs';
import { LiveReader, type LiveReaderEnd } from './live-reader.js';
import { type LogSource, toEventStore } from './log-source.js';
import { PartitionedProjection } from './partitioned-projection.js';
import { ProjectionLease } from './projection-lease.js';

/** The key-value namespace of projection checkpoints. */
export const CHECKPOINT_NAMESPACE = 'eventlog.checkpoints';

/**
 * Where a projection is:
 * - `stopped`: not started, or stopped by `stop()`;
 * - `starting`: looking for its lease;
 * - `standby`: another process holds the lease; this one takes over when that one goes away;
 * - `running`: holds the lease and processes events (catching up or live);
 * - `failed`: stopped by an error (the handler's, or one that retrying cannot fix); see `error`;
 * - `completed`: the instance was deleted.
 */
export type ProjectionState = 'stopped' | 'starting' | 'standby' | 'running' | 'failed' | 'completed';

/** A snapshot of a projection, as `status` and `status$` report it. */
export interface ProjectionStatus {
  readonly name: string;
  readonly state: ProjectionState;
  /** The checkpoint: the global position of the last processed event (0 before any). */
  readonly position: number;
  /** With `failed`: the error that stopped it. */
  readonly error?: ProjectionError;
}

/** What a handler gets beside the event. */
export interface ProjectionContext<TDriver = unknown> {
  /** The projection's name. */
  readonly projection: string;
  /** True when this call runs inside a transaction that also writes the checkpoint. */
  readonly transactional: boolean;
  /**
   * The adapter's native handle inside that transaction, for the read model's writes: a
   * better-sqlite3 `Database` (SQLite), a postgres.js `TransactionSql` (PostgreSQL), `undefined`
   * for memory or without a transaction.
   */
  readonly driver: TDriver;
  /** The key-value store: the transaction's when transactional (its writes commit with the checkpoint). */
  readonly kv: KeyValueStore;
}

/** A projection's event handler. Events come one at a time, in position order. */
export type ProjectionHandler<E extends EventMap = EventMap, TDriver = unknown> = (
  event: EventRecordOf<E>,
  context: ProjectionContext<TDriver>,
) => void | Promise<void>;

/**
 * A projection's reaction to a stream's removal (SPEC §9): the `$stream.deleted` /
 * `$stream.truncated` record, read, in its place among the events (same batch, same transaction).
 */
export type StreamRemovalHandler<TDriver = unknown> = (
  removal: StreamRemovalInfo,
  context: ProjectionContext<TDriver>,
) => void | Promise<void>;

/** Lease tuning of {@link ProjectionOptions}. */
export interface ProjectionLeaseOptions {
  /**
   * How long a lease lives without renewal, in ms: another process takes over this long after
   * the holder stopped renewing (crashed, hung, lost the database). Default 10,000.
   */
  ttlMs?: number;
  /** How often the holder renews it. Default `ttlMs / 3`. */
  renewIntervalMs?: number;
  /** How often a standby checks whether it can take over. Default `min(1000, ttlMs / 3)`. */
  retryIntervalMs?: number;
  /** This process's identity in the lease record. Default a random id. */
  owner?: string;
}

/** Options of {@link projection}. */
export interface ProjectionOptions<E extends EventMap = EventMap, TDriver = unknown> {
  /** The event log (or its store) to read, and whose key-value store keeps the checkpoint. */
  log: LogSource<E>;
  /** Names the checkpoint and the lease: one name, one read model. */
  name: string;
  /** The instance's id or name. It must exist when the projection starts. */
  instance: string;
  /** Only this stream's events. */
  stream?: string;
  /** Only events matching every condition. */
  where?: Condition[];
  /**
   * Called for each event in position order, upcast to its current schema (the log's upcasters,
   * then `upcasters`); a throw or rejection (an upcaster's too) stops the projection.
   */
  handler: ProjectionHandler<E, TDriver>;
  /**
   * Called, instead of `handler`, for each `$stream.deleted` record (SPEC §9) — of the projection's
   * stream when it has `stream`, of any stream otherwise — in order with the other events, in the
   * same transaction: drop what the read model keeps for `removal.streamId`. With it, the
   * projection also reads these records when `stream` or `where` would leave them out (it then
   * reads the instance with the filters as a `where`, so it cannot use the stream's own index).
   *
   * @example onStreamDeleted: ({ streamId }, { kv }) => kv.delete('carts', streamId)
   */
  onStreamDeleted?: StreamRemovalHandler<TDriver>;
  /**
   * Called, instead of `handler`, for each `$stream.truncated` record: the stream's events with
   * `sequence_number < removal.before` are gone. As {@link ProjectionOptions.onStreamDeleted}.
   */
  onStreamTruncated?: StreamRemovalHandler<TDriver>;
  /** Upcasters of this projection, applied after (and overriding) the log's. `where` sees the stored form. */
  upcasters?: readonly Upcaster<E>[];
  /**
   * Called by `reset()` before the checkpoint is cleared (in the same transaction when
   * transactional): clear the read model here.
   */
  onReset?: (context: ProjectionContext<TDriver>) => void | Promise<void>;
  /**
   * Run each batch and its checkpoint in one transaction (exactly once). Default: when the adapter
   * has `transaction`. `true` on an adapter without it throws; `false` gives at least once.
   */
  transactional?: boolean;
  /** Events per batch (and per transaction). Default 100. */
  batchSize?: number;
  /** Lease tuning. */
  lease?: ProjectionLeaseOptions;
  /** Delay before retrying after a storage error (the database is down), in ms. Default 1000. */
  retryDelayMs?: number;
  /**
   * Split the projection into this many partitions by a hash of `stream_id`, shared by every
   * process running it (SPEC §12; see `partitioned-projection.ts`): each partition has its own
   * checkpoint and lease, a stream's events stay in order in one process at a time, and a process
   * that dies loses its partitions to the others once its lease expires. Default: none (one
   * process runs the whole projection).
   */
  partitions?: number;
}

/** A running (or stoppable) projection. */
export interface Projection {
  readonly name: string;
  /** The current status. */
  readonly status: ProjectionStatus;
  /** The status now and at every change (state or checkpoint). Completes never. */
  readonly status$: Observable<ProjectionStatus>;
  /**
   * Errors as they happen: the one that fails the projection, and storage errors it retries
   * (`retrying: true`).
   */
  readonly errors$: Observable<ProjectionError>;
  /** Starts (or restarts after `stop()` or a failure, from the checkpoint). Idempotent. */
  start(): void;
  /** Stops after the event in hand, writes its checkpoint, releases the lease and the watcher. */
  stop(): Promise<void>;
  /**
   * Resolves with the checkpoint once everything committed when it was called has been processed.
   * Rejects when the projection fails, stops or completes first. On a standby, it waits until this
   * process holds the lease and has caught up.
   */
  caughtUp(): Promise<number>;
  /**
   * Rebuild: stops, calls `onReset`, deletes the checkpoint (together, in one transaction when
   * transactional), and starts again from the beginning if it was started.
   */
  reset(): Promise<void>;
}

/**
 * An error of a projection: `cause` is the original error, `event` the event being handled (for
 * handler errors), `retrying` true for storage errors the projection retries on its own.
 *
 * @example
 * counts.errors$.subscribe((error) => {
 *   if (!error.retrying) alert(`${error.projection} stopped at ${error.event?.global_position}`);
 * });
 */
export class ProjectionError extends Error {
  readonly projection: string;
  readonly event: EventRecord | undefined;
  /** True for a storage error the projection retries on its own. */
  readonly retrying: boolean;

  constructor(
    message: string,
    options: { projection: string; cause: unknown; event?: EventRecord | undefined; retrying?: boolean },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProjectionError';
    this.projection = options.projection;
    this.event = options.event;
    this.retrying = options.retrying ?? false;
  }
}

/** Why a term (one stretch of holding the lease) ended. */
type TermEnd =
  | { kind: 'stopped' }
  | { kind: 'leaseLost' }
  | { kind: 'checkpointMoved' }
  | { kind: 'deleted' }
  | { kind: 'transient'; error: unknown }
  | { kind: 'failed'; error: unknown; event?: EventRecord };

/** Thrown inside a batch to abandon it. */
class Interrupt {
  constructor(readonly end: TermEnd) {}
}

/** A handler error, with its event. */
class HandlerFailure {
  constructor(
    readonly error: unknown,
    readonly event: EventRecord,
  ) {}
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positionOf(stored: StoredValue | undefined): number {
  const value = stored?.value as { position?: unknown } | undefined;
  const position = value?.position;
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : 0;
}

function checkOptions(options: ProjectionOptions<EventMap, unknown>): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('projection needs options: { log, name, instance, handler, … }.');
  }
  if (typeof options.name !== 'string' || options.name.length === 0 || options.name.length > 200) {
    throw new TypeError('projection: name must be a non-empty string of at most 200 characters.');
  }
  if (typeof options.instance !== 'string' || options.instance.length === 0) {
    throw new TypeError('projection: instance must be the id or name of an instance.');
  }
  if (typeof options.handler !== 'function') {
    throw new TypeError('projection: handler must be a function (event, context) => void | Promise<void>.');
  }
}

/** All of `conditions` hold (the DSL has `or` and `not`; an `and` is the negation of the `or` of negations). */
function allOf(conditions: Condition[]): Condition {
  if (conditions.length === 1) return conditions[0] as Condition;
  return { not: { or: conditions.map((c) => ({ not: c })) } };
}

/**
 * What a projection's reader reads: its `stream` and `where`, widened when it has removal hooks so
 * that the `$stream.*` records they want come through as well.
 */
export function projectionFilter(options: {
  stream?: string | undefined;
  where?: Condition[] | undefined;
  onStreamDeleted?: unknown;
  onStreamTruncated?: unknown;
}): { stream?: string; where?: Condition[] } {
  const types = [
    ...(options.onStreamDeleted === undefined ? [] : [STREAM_DELETED]),
    ...(options.onStreamTruncated === undefined ? [] : [STREAM_TRUNCATED]),
  ];
  const own: Condition[] = [
    ...(options.stream === undefined
      ? []
      : [{ field: 'stream_id', operator: 'eq' as const, value: options.stream }]),
    ...(options.where ?? []),
  ];
  if (types.length === 0 || own.length === 0) {
    const out: { stream?: string; where?: Condition[] } = {};
    if (options.stream !== undefined) out.stream = options.stream;
    if (options.where !== undefined) out.where = options.where;
    return out;
  }
  const removals: Condition[] = [
    { field: 'stream_id', operator: 'eq', value: SYSTEM_STREAM },
    { field: 'event_type', operator: 'in', value: types },
    ...(options.stream === undefined
      ? []
      : [{ field: 'payload.streamId', operator: 'eq' as const, value: options.stream }]),
  ];
  return { where: [{ or: [allOf(own), allOf(removals)] }] };
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(
      `projection: ${name} must be a positive number of milliseconds, got ${String(value)}.`,
    );
  }
  return value;
}

/** One projection (or one partition of a partitioned one). Internal: use {@link projection}. */
export class DefaultProjection<E extends EventMap, TDriver> implements Projection {
  readonly name: string;
  private readonly store: EventStore<E>;
  private readonly kv: KeyValueStore;
  private readonly transactional: boolean;
  private readonly batchSize: number;
  private readonly ttlMs: number;
  private readonly renewIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly lease: ProjectionLease;
  private readonly upcast: CompiledUpcasters;
  private readonly statusSubject: BehaviorSubject<ProjectionStatus>;
  private readonly errorSubject = new Subject<ProjectionError>();
  readonly status$: Observable<ProjectionStatus>;
  readonly errors$: Observable<ProjectionError>;

  /** Bumped by start() and stop(); a supervisor runs while its token is current. */
  private token = 0;
  private supervising: Promise<void> = Promise.resolve();
  private started = false;
  private reader: LiveReader | undefined;
  private endTerm: ((end: TermEnd) => void) | undefined;
  private inflight: Promise<unknown> = Promise.resolve();
  private renewing: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  private checkpointVersion: number | null = null;

  constructor(private readonly options: ProjectionOptions<E, TDriver>) {
    checkOptions(options as ProjectionOptions<EventMap, unknown>);
    this.name = options.name;
    this.store = toEventStore(options.log);
    this.upcast = upcastersFor(this.store, options.upcasters);
    const adapter = this.store.adapter;
    this.kv = adapter.kv;
    const canTransact = typeof adapter.transaction === 'function';
    if (options.transactional === true && !canTransact) {
      throw new TypeError(
        `projection "${options.name}": the ${adapter.name} adapter has no transaction(), so it cannot be transactional (exactly once). Pass transactional: false for at-least-once delivery.`,
      );
    }
    this.transactional = options.transactional ?? canTransact;
    this.batchSize = Math.min(
      Math.trunc(positiveMs(options.batchSize, 100, 'batchSize')),
      this.store.limits.maxQueryLimit,
    );
    this.ttlMs = positiveMs(options.lease?.ttlMs, 10_000, 'lease.ttlMs');
    this.renewIntervalMs = positiveMs(
      options.lease?.renewIntervalMs,
      this.ttlMs / 3,
      'lease.renewIntervalMs',
    );
    this.retryIntervalMs = positiveMs(
      options.lease?.retryIntervalMs,
      Math.min(1000, this.ttlMs / 3),
      'lease.retryIntervalMs',
    );
    this.retryDelayMs = positiveMs(options.retryDelayMs, 1000, 'retryDelayMs');
    this.lease = new ProjectionLease({
      kv: this.kv,
      name: options.name,
      owner: options.lease?.owner ?? `projection-${globalThis.crypto.randomUUID()}`,
      ttlMs: this.ttlMs,
    });
    this.statusSubject = new BehaviorSubject<ProjectionStatus>({
      name: options.name,
      state: 'stopped',
      position: 0,
    });
    this.status$ = this.statusSubject.asObservable();
    this.errors$ = this.errorSubject.asObservable();
  }

  get status(): ProjectionStatus {
    return this.statusSubject.getValue();
  }

  private setStatus(patch: Partial<Omit<ProjectionStatus, 'name'>>): void {
    const current = this.status;
    const next: ProjectionStatus = { ...current, ...patch };
    if (patch.state !== undefined && patch.state !== 'failed' && patch.error === undefined) {
      delete (next as { error?: unknown }).error;
    }
    if (next.state === current.state && next.position === current.position && next.error === current.error) {
      return;
    }
    this.statusSubject.next(next);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const token = ++this.token;
    const previous = this.supervising;
    this.setStatus({ state: 'starting' });
    this.supervising = previous.then(() => this.supervise(token));
  }

  async stop(): Promise<void> {
    this.started = false;
    this.token++;
    this.endTerm?.({ kind: 'stopped' });
    this.wake?.();
    await this.supervising;
    const state = this.status.state;
    if (state !== 'failed' && state !== 'completed') this.setStatus({ state: 'stopped' });
  }

  async caughtUp(): Promise<number> {
    for (;;) {
      const status = this.status;
      if (status.state === 'failed') throw status.error;
      if (status.state === 'stopped' || status.state === 'completed') {
        throw new Error(
          `Projection "${this.name}" is ${status.state}; call start() before waiting for it to catch up.`,
        );
      }
      const reader = this.reader;
      if (reader !== undefined && !reader.closed && status.state === 'running') {
        try {
          await reader.caughtUp();
          return this.status.position;
        } catch (error) {
          // The reader is fine, but the head could not be read: say so.
          if (!reader.closed) throw error;
          // The term ended (stopped, lease lost, failed): look at the state again.
          continue;
        }
      }
      // Nothing to wait on yet (starting, standby, between terms): wait for the state to change.
      await firstValueFrom(this.statusSubject.pipe(filter((next) => next !== status)));
    }
  }

  async reset(): Promise<void> {
    const wasStarted = this.started;
    await this.stop();
    const clear = async (kv: KeyValueStore, driver: unknown, transactional: boolean) => {
      await this.options.onReset?.(this.context(kv, driver, transactional));
      await kv.delete(CHECKPOINT_NAMESPACE, this.name);
    };
    if (this.transactional) {
      await this.inTransaction((tx) => clear(tx.kv, tx.driver, true));
    } else {
      await clear(this.kv, undefined, false);
    }
    this.checkpointVersion = null;
    this.setStatus({ state: 'stopped', position: 0 });
    if (wasStarted) this.start();
  }

  /** Runs `fn` in one backend transaction (the adapter's `transaction`). */
  private inTransaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    const adapter = this.store.adapter;
    if (adapter.transaction === undefined) {
      return Promise.reject(new TypeError(`The ${adapter.name} adapter has no transaction().`));
    }
    return adapter.transaction(fn);
  }

  private context(kv: KeyValueStore, driver: unknown, transactional: boolean): ProjectionContext<TDriver> {
    return { projection: this.name, transactional, driver: driver as TDriver, kv };
  }

  /** Waits `ms`, or less when stop() wakes it. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => {
        clearTimeout(timer);
        done();
      };
      function done() {
        resolve();
      }
      this.wake = wake;
    });
  }

  private report(error: unknown, retrying: boolean, event?: EventRecord): ProjectionError {
    const failure =
      error instanceof ProjectionError
        ? error
        : new ProjectionError(
            event === undefined
              ? `Projection "${this.name}" ${retrying ? 'will retry after an error' : 'stopped'}: ${describe(error)}`
              : `Projection "${this.name}" stopped: its handler failed on the event at position ${event.global_position} (stream "${event.stream_id}", type "${event.event_type}"): ${describe(error)}. Fix the handler and start() again; the checkpoint is before this event.`,
            { projection: this.name, cause: error, event, retrying },
          );
    this.errorSubject.next(failure);
    return failure;
  }

  /** Holds the lease and runs terms until stopped, failed or completed. */
  private async supervise(token: number): Promise<void> {
    const current = () => token === this.token;
    while (current()) {
      let acquired: boolean;
      try {
        acquired = await this.lease.tryAcquire();
      } catch (error) {
        if (!current()) return;
        this.report(error, true);
        await this.pause(this.retryDelayMs);
        continue;
      }
      if (!current()) {
        if (acquired) await this.lease.release();
        return;
      }
      if (!acquired) {
        this.setStatus({ state: 'standby' });
        await this.pause(this.retryIntervalMs);
        continue;
      }
      const end = await this.runTerm(token);
      await this.inflight;
      await this.renewing;
      switch (end.kind) {
        case 'leaseLost':
        case 'checkpointMoved':
          // Look again: the lease may be ours still (a slow renewal), or someone else's now.
          if (current()) this.setStatus({ state: 'starting' });
          continue;
        case 'transient':
          if (!current()) break;
          this.setStatus({ state: 'starting' });
          this.report(end.error, true);
          await this.pause(this.retryDelayMs);
          continue;
        case 'stopped':
          break;
        case 'deleted':
          this.started = false;
          this.setStatus({ state: 'completed' });
          break;
        case 'failed': {
          this.started = false;
          const error = this.report(end.error, false, end.event);
          this.setStatus({ state: 'failed', error });
          break;
        }
      }
      await this.lease.release();
      return;
    }
  }

  /** One stretch of holding the lease: load the checkpoint and follow the log from it. */
  private async runTerm(token: number): Promise<TermEnd> {
    let stored: StoredValue | undefined;
    try {
      stored = await this.kv.get(CHECKPOINT_NAMESPACE, this.name);
    } catch (error) {
      return { kind: 'transient', error };
    }
    if (token !== this.token) return { kind: 'stopped' };
    this.checkpointVersion = stored?.version ?? null;
    this.setStatus({ state: 'running', position: positionOf(stored) });

    return new Promise<TermEnd>((resolve) => {
      let done = false;
      const finish = (end: TermEnd) => {
        if (done) return;
        done = true;
        clearInterval(heartbeat);
        reader.stop();
        if (this.reader === reader) this.reader = undefined;
        if (this.endTerm === finish) this.endTerm = undefined;
        resolve(end);
      };
      const filter = projectionFilter(this.options);
      const reader = new LiveReader({
        store: this.store as never,
        instance: this.options.instance,
        stream: filter.stream,
        where: filter.where,
        after: this.status.position,
        pageSize: this.batchSize,
        deliver: (page) => {
          const batch = this.deliver(page, token);
          this.inflight = batch.catch(() => {});
          return batch;
        },
        onEnd: (end: LiveReaderEnd) => finish(end.kind === 'deleted' ? end : this.classify(end.error)),
      });
      this.reader = reader;
      this.endTerm = finish;
      const heartbeat = setInterval(() => {
        const renewal = this.lease.renew().then(
          (ok) => {
            if (!ok) finish({ kind: 'leaseLost' });
          },
          () => {
            // The store is unreachable: keep going while the lease lasts by our clock.
            if (!this.lease.held) finish({ kind: 'leaseLost' });
          },
        );
        this.renewing = renewal;
      }, this.renewIntervalMs);
      reader.start();
    });
  }

  private classify(error: unknown): TermEnd {
    if (error instanceof Interrupt) return error.end;
    if (error instanceof HandlerFailure) return { kind: 'failed', error: error.error, event: error.event };
    if (EventLogError.isInstance(error)) {
      // The checkpoint's compare-and-set failed: someone else moved it.
      if (error.code === 'CONFLICT') return { kind: 'checkpointMoved' };
      if (error.code === 'STORAGE_ERROR') return { kind: 'transient', error };
    }
    return { kind: 'failed', error };
  }

  /** Hands one event to the removal hook it calls for, else to the handler. */
  private async handle(event: EventRecord, context: ProjectionContext<TDriver>): Promise<void> {
    const { onStreamDeleted, onStreamTruncated } = this.options;
    if (
      event.stream_id === SYSTEM_STREAM &&
      (onStreamDeleted !== undefined || onStreamTruncated !== undefined)
    ) {
      const removal = streamRemovalOf(event);
      const hook =
        removal?.kind === 'deleted'
          ? onStreamDeleted
          : removal?.kind === 'truncated'
            ? onStreamTruncated
            : undefined;
      if (removal !== undefined && hook !== undefined) {
        // A projection of one stream reacts to that stream's removals only.
        if (this.options.stream === undefined || removal.streamId === this.options.stream) {
          await hook(removal, context);
        }
        return;
      }
    }
    const handler = this.options.handler as ProjectionHandler<EventMap, TDriver>;
    await handler(this.upcast.apply(event), context);
  }

  /** Handles one batch and writes its checkpoint, as one span (`eventlog.projection.handle`). */
  private deliver(page: readonly EventRecord[], token: number): Promise<void> {
    return observe(
      'projection.handle',
      {
        'eventlog.projection': this.name,
        'eventlog.instance': this.options.instance,
        'eventlog.event_count': page.length,
      },
      () => this.deliverBatch(page, token),
      () => ({ attributes: { 'eventlog.projection.position': this.status.position } }),
    );
  }

  /** Handles one batch and writes its checkpoint; see the module comment. */
  private async deliverBatch(page: readonly EventRecord[], token: number): Promise<void> {
    if (token !== this.token) throw new Interrupt({ kind: 'stopped' });
    if (!this.lease.held) throw new Interrupt({ kind: 'leaseLost' });
    const last = (page[page.length - 1] as EventRecord).global_position;

    if (this.transactional) {
      const version = await this.inTransaction(async (tx) => {
        const context = this.context(tx.kv, tx.driver, true);
        for (const event of page) {
          // Stopping mid-batch rolls the batch back; it is handled again after the next start.
          if (token !== this.token) throw new Interrupt({ kind: 'stopped' });
          try {
            await this.handle(event, context);
          } catch (error) {
            throw new HandlerFailure(error, event);
          }
        }
        const written = await tx.kv.put(
          CHECKPOINT_NAMESPACE,
          this.name,
          { position: last, updatedAt: new Date().toISOString() },
          { expectedVersion: this.checkpointVersion },
        );
        return written.version;
      });
      this.checkpointVersion = version;
      this.setStatus({ position: last });
      return;
    }

    const context = this.context(this.kv, undefined, false);
    let processed: number | undefined;
    let failure: unknown;
    for (const event of page) {
      if (token !== this.token) {
        failure = new Interrupt({ kind: 'stopped' });
        break;
      }
      try {
        await this.handle(event, context);
      } catch (error) {
        failure = new HandlerFailure(error, event);
        break;
      }
      processed = event.global_position;
    }
    if (processed !== undefined) {
      try {
        const written = await this.kv.put(
          CHECKPOINT_NAMESPACE,
          this.name,
          { position: processed, updatedAt: new Date().toISOString() },
          { expectedVersion: this.checkpointVersion },
        );
        this.checkpointVersion = written.version;
        this.setStatus({ position: processed });
      } catch (error) {
        // A handler failure says more than a checkpoint that could not be written after it.
        if (failure === undefined) throw error;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/**
 * Creates a projection: it feeds an instance's events, in position order, to `handler`, which
 * keeps a read model; stores its checkpoint in the log's backend (key-value store); resumes from
 * it after a restart; runs in one process at a time (a lease that another process takes over when
 * the holder dies); and can be reset to rebuild.
 *
 * Delivery: **exactly once** when the adapter has `transaction` (SQLite, PostgreSQL, memory) and
 * the read model is written through `context.driver` or `context.kv` — the batch's writes and its
 * checkpoint commit together. Otherwise (`transactional: false`, or writes elsewhere) **at least
 * once**: after a crash, up to `batchSize` events may be handled again, so make the handler
 * idempotent (e.g. upsert by `event.id`).
 *
 * Errors: a handler error stops the projection (`state: 'failed'`) at that event, which is not
 * skipped: `start()` retries it. Storage errors (a database restart) are retried every
 * `retryDelayMs`. Both are reported on `errors$`.
 *
 * The projection starts with `start()` and keeps the process alive until `stop()`.
 *
 * @example
 * import { projection } from '@eventlog/rx';
 * import type { Database } from 'better-sqlite3';
 *
 * const counts = projection<EventMap, Database>({
 *   log,
 *   name: 'activity-per-user',
 *   instance: 'user-activity',
 *   handler: (event, { driver }) => {
 *     driver
 *       .prepare('insert into activity (user, n) values (?, 1) on conflict (user) do update set n = n + 1')
 *       .run(event.stream_id);
 *   },
 *   onReset: ({ driver }) => driver.exec('delete from activity'),
 * });
 * counts.errors$.subscribe((error) => console.error(error.message));
 * counts.start();
 * await counts.caughtUp(); // the read model holds everything committed so far
 * await counts.stop();
 */
export function projection<E extends EventMap = EventMap, TDriver = unknown>(
  options: ProjectionOptions<E, TDriver>,
): Projection {
  if (options?.partitions !== undefined) return new PartitionedProjection(options, options.partitions);
  return new DefaultProjection(options);
}
