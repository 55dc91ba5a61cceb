/**
 * The engine under `liveEvents` and `projection`: it follows one instance by global position,
 * catching up page by page and then reading again on every relevant commit signal.
 *
 * Invariants, and why they hold:
 * - Nothing is lost at the catch-up/live handoff: the watcher is registered before the first
 *   read, so a commit that lands after a read began signals a later read.
 * - Nothing repeats and order holds: every read asks for `global_position > position` (the last
 *   delivered event), and within an instance events become visible in position order (SPEC §3),
 *   so a later read can never find an older event. A page that breaks the order is reported as an
 *   error instead of being delivered.
 * - One read at a time: signals that arrive during a read set one `pending` flag, which runs one
 *   more read when the current one ends, however many signals came (a burst costs one read).
 * - Bounded memory: a page is read, delivered (and, for async deliveries, awaited), then the next
 *   page is read. Nothing is buffered ahead of the consumer.
 * - Reads skipped, never guessed: an append signal of this process may carry what it committed
 *   (`CommitSignal.committed`: the events and the instance's head before them, read under the
 *   instance's append lock). When nothing is being read and everything up to exactly that head has
 *   been read, those events are all that is new, so the reader delivers (copies of) them, filtered
 *   with the core evaluator, without a read. Any other case reads as above.
 * - Filtered readers as fast as unfiltered ones: a filtered reader tracks how far it has *scanned*,
 *   not only its last match. A signal's `position` is the instance's head at that commit, visible
 *   before the signal is sent; a read that starts after it and reaches a short page has therefore
 *   examined every event up to it. So after each read the reader has scanned up to the highest
 *   position signalled before the read began, its next read starts there (never again from its
 *   last match, past events it already filtered out), and the next commit's events, whose
 *   `previous` is that head, can be taken without a read, matching or not.
 */

import {
  type CommitSignal,
  type CommittedEvents,
  type Condition,
  compileCondition,
  EventLogError,
  type EventMap,
  type EventPredicate,
  type EventRecord,
  type EventStore,
  parseWhere,
  sequenceCondition,
  storageError,
  type Unsubscribe,
} from '@eventlog/core';

/** Why a reader ended on its own. */
export type LiveReaderEnd = { kind: 'deleted' } | { kind: 'error'; error: unknown };

/** Options of {@link LiveReader}. */
export interface LiveReaderOptions {
  store: EventStore<EventMap>;
  /** The instance's id or name; resolved to its id once, at start. */
  instance: string;
  stream?: string | undefined;
  where?: Condition[] | undefined;
  /** Deliver events with `global_position > after`. */
  after: number;
  /** Events per read, 1..maxQueryLimit. */
  pageSize: number;
  /**
   * Receives each page in order (never empty). The next page is read only after it returns (or
   * its promise resolves). A throw or rejection ends the reader with that error.
   */
  deliver(page: readonly EventRecord[]): void | Promise<void>;
  /** Called once when the reader ends by itself: the instance was deleted, or an error. */
  onEnd(end: LiveReaderEnd): void;
  /** Called after each read cycle that reached the end of the log, with the last delivered position. */
  onCaughtUp?(position: number): void;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * True for the `NOT_FOUND` of a missing instance.
 *
 * @example
 * if (isNotFound(error)) subscriber.complete(); // the instance was deleted
 */
export function isNotFound(error: unknown): boolean {
  return EventLogError.isInstance(error) && error.code === 'NOT_FOUND';
}

/**
 * Follows one instance: see the module comment. Create, `start()`, and `stop()` to release the
 * watcher; a reader is not restarted (create a new one from its `position`). It is the engine of
 * `liveEvents` and `projection`, for consumers that are not RxJS subscribers (a socket, a file):
 * with an async `deliver`, the next page is read only when the previous one was taken.
 *
 * @example
 * const reader = new LiveReader({
 *   store: log.store,
 *   instance: 'orders',
 *   after: 0,
 *   pageSize: 500,
 *   deliver: async (page) => {
 *     await socket.send(JSON.stringify(page));
 *   },
 *   onEnd: (end) => socket.close(end.kind === 'deleted' ? 1000 : 1011),
 * });
 * reader.start();
 * // later: reader.stop();
 */
export class LiveReader {
  /** The last delivered global position (or `after`). */
  position: number;
  /**
   * Every event at or below this position has been read (delivered, or filtered out by the
   * backend). Equal to `position` without filters; with filters it follows the head.
   */
  private scanned: number;
  /** With `stream`: the sequence number of the event at `position`, once one was delivered. */
  private sequence: number | undefined;
  private instanceId: string | undefined;
  private readonly resolved: Promise<string>;
  private resolveId!: (id: string) => void;
  private rejectId!: (error: unknown) => void;
  private unwatch: Unsubscribe | undefined;
  private reading = false;
  private pending = false;
  private stopped = false;
  private readonly waiters: Waiter[] = [];
  private readonly filtered: boolean;
  /** The highest position this instance's signals have announced (see the module comment). */
  private signalled = 0;
  /**
   * Which committed events this reader delivers, for signals that carry them: `undefined` when the
   * filter cannot be applied here (a bad `where`: the first read reports it), so they are read.
   */
  private readonly accepts: EventPredicate | undefined;

  constructor(private readonly options: LiveReaderOptions) {
    this.position = options.after;
    this.scanned = options.after;
    this.filtered = options.stream !== undefined || options.where !== undefined;
    this.accepts = acceptor(options);
    this.resolved = new Promise<string>((resolve, reject) => {
      this.resolveId = resolve;
      this.rejectId = reject;
    });
    // A reader that ends before anyone asked for its id must not leave an unhandled rejection.
    this.resolved.catch(() => {});
  }

  /** True once stopped, by `stop()` or by its own end. */
  get closed(): boolean {
    return this.stopped;
  }

  /** The instance's id, once resolved (rejects when the reader ended first). */
  instanceIdPromise(): Promise<string> {
    return this.resolved;
  }

  /** Registers the watcher, then resolves the instance and reads until caught up. */
  start(): void {
    try {
      // Before the first read: a commit landing after the read starts must signal another read.
      this.unwatch = this.options.store.watch((signal) => this.onSignal(signal));
    } catch (error) {
      this.end({ kind: 'error', error });
      return;
    }
    this.reading = true;
    void this.loop(true);
  }

  /** Releases the watcher; a read in flight is abandoned. Waiters of `caughtUp` are rejected. */
  stop(reason: unknown = new Error('The live reader was stopped.')): void {
    if (this.stopped) return;
    this.stopped = true;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    try {
      unwatch?.();
    } catch {
      // Releasing a watcher of a closed store: nothing left to release.
    }
    this.rejectId(reason);
    for (const waiter of this.waiters.splice(0)) waiter.reject(reason);
  }

  /**
   * Resolves once every event committed when it was called has been read and delivered (with
   * filters: read, and delivered when it matched). Rejects when the reader ends first.
   */
  async caughtUp(): Promise<number> {
    const id = await this.resolved;
    const target = await this.options.store.headPosition(id);
    if (this.stopped) throw new Error('The live reader was stopped before it caught up.');
    if (this.scanned >= target) return this.position;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.kick();
    });
    return this.position;
  }

  private onSignal(signal: CommitSignal): void {
    if (this.stopped) return;
    const id = this.instanceId;
    if (id !== undefined && signal.instanceId !== null && signal.instanceId !== id) return;
    if (id !== undefined && signal.kind === 'delete' && signal.instanceId === id) {
      this.end({ kind: 'deleted' });
      return;
    }
    if (id !== undefined && signal.instanceId === id && signal.position !== undefined) {
      if (signal.position > this.signalled) this.signalled = signal.position;
    }
    // Already read: a commit at or below the last delivered position was visible to that read.
    if (
      id !== undefined &&
      signal.instanceId === id &&
      signal.position !== undefined &&
      signal.position <= this.position
    ) {
      return;
    }
    const committed = signal.committed;
    if (
      committed !== undefined &&
      id !== undefined &&
      signal.kind === 'append' &&
      signal.instanceId === id &&
      !this.reading &&
      committed.previous === this.scanned &&
      this.accepts !== undefined
    ) {
      this.reading = true;
      void this.take(committed);
      return;
    }
    this.kick();
  }

  /**
   * Delivers a commit's own events (see the module comment): the caller checked that everything up
   * to `committed.previous` was read and that no read runs. Signals that come meanwhile set
   * `pending`, and the read loop takes over when it is done.
   */
  private async take(committed: CommittedEvents): Promise<void> {
    try {
      // Not inside the committer's call: the subscriber runs after the signal returns.
      await Promise.resolve();
      if (this.stopped) return;
      const accepts = this.accepts as EventPredicate;
      const { pageSize } = this.options;
      const { events } = committed;
      let previous = committed.previous;
      let page: EventRecord[] = [];
      for (let k = 0; k <= events.length; k++) {
        const event = events[k];
        if (event !== undefined) {
          if (!(event.global_position > previous)) {
            throw storageError(
              `The storage adapter signalled committed events out of order: position ${event.global_position} after ${previous}.`,
            );
          }
          previous = event.global_position;
          if (accepts(event)) page.push(structuredClone(event) as EventRecord);
        }
        if (page.length > 0 && (page.length === pageSize || event === undefined)) {
          await this.options.deliver(page);
          if (this.stopped) return;
          const last = page[page.length - 1] as EventRecord;
          this.position = last.global_position;
          this.sequence = last.sequence_number;
          page = [];
        }
      }
      if (previous > this.scanned) this.scanned = previous;
      this.settleWaiters();
      this.options.onCaughtUp?.(this.position);
    } catch (error) {
      if (!this.stopped) this.end({ kind: 'error', error });
    } finally {
      this.reading = false;
    }
    // Signals that came meanwhile: the usual read loop.
    if (this.pending) this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.pending = true;
      return;
    }
    this.reading = true;
    void this.loop(false);
  }

  private async loop(first: boolean): Promise<void> {
    try {
      if (first) {
        const instance = await this.options.store.getInstance(this.options.instance);
        if (this.stopped) return;
        this.instanceId = instance.id;
        this.resolveId(instance.id);
      }
      do {
        this.pending = false;
        await this.drain();
      } while (this.pending && !this.stopped);
    } catch (error) {
      if (this.stopped) return;
      // The instance vanished after it was found: it was deleted, which completes the reader.
      if (!first || this.instanceId !== undefined) {
        if (isNotFound(error)) {
          this.end({ kind: 'deleted' });
          return;
        }
      }
      this.end({ kind: 'error', error });
    } finally {
      this.reading = false;
    }
  }

  /** Reads pages until one is short, then settles the waiters it satisfied. */
  private async drain(): Promise<void> {
    const { store, stream, where, pageSize } = this.options;
    const id = this.instanceId as string;
    // With filters, how far a short page has scanned: the head a signal announced before the
    // pages were read, or the head read now when a caughtUp() waiter needs more than that.
    let head: number | undefined = this.signalled > this.scanned ? this.signalled : undefined;
    if (this.filtered && this.waiters.some((w) => w.target > Math.max(this.scanned, head ?? 0))) {
      head = await store.headPosition(id);
      if (this.stopped) return;
    }
    for (;;) {
      // Everything up to `scanned` was examined: filtered readers start there, not at their last match.
      const after = Math.max(this.position, this.scanned);
      // One stream: past its first page, the reader knows the sequence number it reached, and
      // bounds the read by it so each page seeks there (positions grow with sequence numbers in
      // a stream, so the bound only restates `after`).
      const bounded =
        stream !== undefined && this.sequence !== undefined
          ? [...(where ?? []), sequenceCondition('gt', this.sequence)]
          : where;
      const page = await store.readAfter({
        instance: id,
        after,
        limit: pageSize,
        ...(stream === undefined ? {} : { stream }),
        ...(bounded === undefined ? {} : { where: bounded }),
      });
      if (this.stopped) return;
      if (page.length > 0) {
        let previous = after;
        for (const event of page) {
          if (!(event.global_position > previous)) {
            throw storageError(
              `The storage adapter returned events out of order: position ${event.global_position} after ${previous} (reading after ${after}). Live subscriptions need readAfter to return increasing positions above "after".`,
            );
          }
          previous = event.global_position;
        }
        await this.options.deliver(page);
        if (this.stopped) return;
        this.position = previous;
        this.sequence = (page[page.length - 1] as EventRecord).sequence_number;
        if (this.position > this.scanned) this.scanned = this.position;
      }
      if (page.length < pageSize) break;
    }
    if (head !== undefined && head > this.scanned) this.scanned = head;
    this.settleWaiters();
    this.options.onCaughtUp?.(this.position);
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const left: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.target <= this.scanned) waiter.resolve();
      else left.push(waiter);
    }
    this.waiters.length = 0;
    this.waiters.push(...left);
  }

  private end(end: LiveReaderEnd): void {
    if (this.stopped) return;
    this.stop(
      end.kind === 'deleted'
        ? new EventLogError('NOT_FOUND', `Instance "${this.options.instance}" was deleted.`, {
            details: { instance: this.options.instance },
          })
        : end.error,
    );
    this.options.onEnd(end);
  }
}

/** The filter of a reader as a predicate (see `LiveReader.accepts`). */
function acceptor(options: LiveReaderOptions): EventPredicate | undefined {
  const { stream, where, store } = options;
  let condition: EventPredicate | undefined;
  if (where !== undefined) {
    try {
      const node = parseWhere(where, store.limits);
      if (node !== undefined) condition = compileCondition(node);
    } catch {
      return undefined;
    }
  }
  if (stream === undefined) return condition ?? (() => true);
  if (condition === undefined) return (event) => event.stream_id === stream;
  return (event) => event.stream_id === stream && condition(event);
}
