/**
 * Follows one instance by global position for a consumer that may be slow: catch up page by page,
 * then read again on every relevant commit signal — the algorithm of `liveEvents` in
 * `@eventlog/rx`, with an asynchronous `deliver` so the next page is read only after the consumer
 * (a socket, stdout) has taken the previous one.
 *
 * - No gaps: the watcher is registered before the first read, so a commit after a read began
 *   signals another read.
 * - No repeats, in order: every read asks for `global_position > position` (the last delivered),
 *   and within an instance events become visible in position order (SPEC §3).
 * - One read at a time: signals during a read set one `pending` flag (a burst costs one read).
 * - Bounded memory: one page at a time.
 */

import {
  type CommitSignal,
  type Condition,
  type EventLogError,
  type EventMap,
  type EventRecord,
  type EventStore,
  storageError,
  toEventLogError,
  type Unsubscribe,
} from '@eventlog/core';

/** Why a follower ended on its own. */
export type FollowEnd = { kind: 'deleted' } | { kind: 'error'; error: EventLogError };

/** Options of {@link EventFollower}. */
export interface EventFollowerOptions {
  store: EventStore<EventMap>;
  /** The instance's id (resolved by the caller). */
  instanceId: string;
  stream?: string | undefined;
  where?: Condition[] | undefined;
  /** Deliver events with `global_position > after`. */
  after: number;
  /** Events per read. Default 500 (at most the store's `maxQueryLimit`). */
  pageSize?: number;
  /** Receives each non-empty page in order; the next read waits for it. A throw ends the follower. */
  deliver(page: readonly EventRecord[]): void | Promise<void>;
  /** Called once when the follower ends by itself (instance deleted, or an error). Not called after `stop()`. */
  onEnd(end: FollowEnd): void;
  /** Called after each read that reached the end of the log, with the last delivered position. */
  onCaughtUp?(position: number): void;
}

/**
 * Follows one instance: create, {@link EventFollower.start}, and {@link EventFollower.stop} to
 * release the watcher.
 *
 * @example
 * const follower = new EventFollower({ store: log.store, instanceId, after: 0,
 *   deliver: (page) => { for (const e of page) console.log(e) }, onEnd: () => {} });
 * follower.start();
 */
export class EventFollower {
  /** The last delivered global position (or `after`). */
  position: number;
  private unwatch: Unsubscribe | undefined;
  private reading = false;
  private pending = false;
  private stopped = false;
  private readonly pageSize: number;

  constructor(private readonly options: EventFollowerOptions) {
    this.position = options.after;
    this.pageSize = Math.max(1, Math.min(options.pageSize ?? 500, options.store.limits.maxQueryLimit));
  }

  /** True once stopped or ended. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Registers the watcher, then reads until caught up. */
  start(): void {
    try {
      this.unwatch = this.options.store.watch((signal) => this.onSignal(signal));
    } catch (error) {
      this.end({ kind: 'error', error: toEventLogError(error) });
      return;
    }
    this.kick();
  }

  /** Releases the watcher; a read in flight is abandoned. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    try {
      unwatch?.();
    } catch {
      // the store is closed: nothing left to release
    }
  }

  private onSignal(signal: CommitSignal): void {
    if (this.stopped) return;
    const id = this.options.instanceId;
    if (signal.instanceId !== null && signal.instanceId !== id) return;
    if (signal.kind === 'delete' && signal.instanceId === id) {
      this.end({ kind: 'deleted' });
      return;
    }
    if (signal.instanceId === id && signal.position !== undefined && signal.position <= this.position) return;
    this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.pending = true;
      return;
    }
    this.reading = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.pending = false;
        await this.drain();
      } while (this.pending && !this.stopped);
    } catch (error) {
      if (this.stopped) return;
      const e = toEventLogError(error);
      this.end(e.code === 'NOT_FOUND' ? { kind: 'deleted' } : { kind: 'error', error: e });
    } finally {
      this.reading = false;
    }
  }

  private async drain(): Promise<void> {
    const { store, instanceId, stream, where } = this.options;
    for (;;) {
      const page = await store.readAfter({
        instance: instanceId,
        after: this.position,
        limit: this.pageSize,
        ...(stream === undefined ? {} : { stream }),
        ...(where === undefined ? {} : { where }),
      });
      if (this.stopped) return;
      if (page.length > 0) {
        let previous = this.position;
        for (const event of page) {
          if (!(event.global_position > previous)) {
            throw storageError(
              `The storage adapter returned events out of order: position ${event.global_position} after ${previous}.`,
            );
          }
          previous = event.global_position;
        }
        await this.options.deliver(page);
        if (this.stopped) return;
        this.position = previous;
      }
      if (page.length < this.pageSize) break;
    }
    this.options.onCaughtUp?.(this.position);
  }

  private end(end: FollowEnd): void {
    if (this.stopped) return;
    this.stop();
    this.options.onEnd(end);
  }
}
