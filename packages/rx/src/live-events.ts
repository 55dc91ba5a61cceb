/**
 * `liveEvents`: an instance's events from a position on, then every new one as it commits.
 */

import {
  type Condition,
  type EventMap,
  type EventRecord,
  type EventRecordOf,
  type Upcaster,
  upcastersFor,
} from '@eventlog/core';
import { Observable } from 'rxjs';
import { LiveReader } from './live-reader.js';
import { type LogSource, toEventStore } from './log-source.js';
import { pageSizeOf } from './page-size.js';

/** Options of {@link liveEvents}. */
export interface LiveEventsOptions<E extends EventMap = EventMap> {
  /** The instance's id or name. It must exist when subscribing (else the Observable errors `NOT_FOUND`). */
  instance: string;
  /** Only this stream's events. */
  stream?: string;
  /** Only events matching every condition (the query DSL's `where`, on the stored form). */
  where?: Condition[];
  /**
   * Upcasters of this subscriber, applied after (and overriding) the log's: events are emitted
   * in their current schema. Default: the log's only.
   */
  upcasters?: readonly Upcaster<E>[];
  /** Only events with `global_position > after`. Default 0: from the start. */
  after?: number;
  /**
   * Events read per page while catching up, and most events a single read fetches. Default 500
   * (at most the log's `limits.maxQueryLimit`). Memory held per subscriber is one page.
   */
  pageSize?: number;
  /**
   * Called each time the subscriber has been given every event committed when the last read
   * started — first at the end of the catch-up, then after each live read — with the last
   * emitted position (or `after`). Useful to know when a subscription is live, e.g. in
   * benchmarks and tests. Called synchronously; keep it cheap.
   */
  onCaughtUp?: (position: number) => void;
}

/**
 * Every matching event of an instance with `global_position > after`, in position order, then
 * every new one as it commits — written by this process or, with a cross-process adapter (SQLite
 * file, PostgreSQL), by any other process on the same database.
 *
 * - **Exactly once, in order**: positions strictly increase; no event is skipped or repeated
 *   across the catch-up/live handoff, reconnects or concurrent writers. The watcher is registered
 *   before the first read, and each read continues after the last emitted position.
 * - **Coalesced**: at most one read runs at a time; commit signals that arrive during a read
 *   cause one more read, not one each.
 * - **Bounded memory**: the backlog is read in pages of `pageSize`; the next page is read after
 *   the subscriber has been given the previous one. (Operators that buffer, like `mergeMap` with
 *   slow inner work, buffer on their own; for async work with backpressure use `projection`.)
 * - **Completes** when the instance is deleted. **Errors** (`EventLogError`) with `NOT_FOUND`
 *   when the instance does not exist at subscription, `VALIDATION_ERROR` for a bad `where` or
 *   `stream`, `STORAGE_ERROR` when the backend fails. To resume after an error, subscribe again
 *   with `after` set to the last position you received.
 * - **Cold**: each subscription reads on its own. Unsubscribing releases the watcher at once.
 * - **Upcast**: events are emitted in their current schema (the log's upcasters, then
 *   `upcasters`); `where` filters the stored form. An upcaster that throws errors the Observable.
 *
 * @param log an EventLog or its `store`
 * @example
 * import { liveEvents } from '@eventlog/rx';
 *
 * const subscription = liveEvents(log, {
 *   instance: 'user-activity',
 *   where: [{ field: 'event_type', operator: 'eq', value: 'login' }],
 * }).subscribe((event) => console.log(event.global_position, event.payload));
 * // later
 * subscription.unsubscribe();
 *
 * @example
 * // Resume after a restart from a position you stored yourself:
 * liveEvents(log, { instance: 'orders', after: lastSeenPosition }).pipe(bufferTime(100));
 */
export function liveEvents<E extends EventMap = EventMap>(
  log: LogSource<E>,
  options: LiveEventsOptions<E>,
): Observable<EventRecordOf<E>> {
  return new Observable<EventRecordOf<E>>((subscriber) => {
    let reader: LiveReader;
    try {
      const store = toEventStore(log);
      if (typeof options !== 'object' || options === null) {
        throw new TypeError('liveEvents needs options: { instance, stream?, where?, after?, pageSize? }.');
      }
      const { apply } = upcastersFor(store, options.upcasters);
      reader = new LiveReader({
        store: store as never,
        instance: options.instance,
        stream: options.stream,
        where: options.where,
        after: options.after ?? 0,
        pageSize: pageSizeOf(options.pageSize, store.limits.maxQueryLimit),
        deliver: (page: readonly EventRecord[]) => {
          for (const event of page) {
            if (subscriber.closed) return;
            let current: EventRecord;
            try {
              current = apply(event);
            } catch (error) {
              subscriber.error(error);
              return;
            }
            subscriber.next(current as EventRecordOf<E>);
          }
        },
        onEnd: (end) => {
          if (end.kind === 'deleted') subscriber.complete();
          else subscriber.error(end.error);
        },
        ...(options.onCaughtUp === undefined ? {} : { onCaughtUp: options.onCaughtUp }),
      });
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    reader.start();
    return () => reader.stop();
  });
}
