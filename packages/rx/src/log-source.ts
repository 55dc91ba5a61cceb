/**
 * What the live helpers accept as their source: an {@link EventLog} (the enveloped API) or the
 * {@link EventStore} under it (the typed, throwing layer they read through).
 */

import type { EventLog, EventMap, EventStore } from '@eventlog/core';

/**
 * An event log or its typed store: `createEventLog(…)` or `createEventLog(…).store`.
 *
 * @example
 * const log = createEventLog({ adapter: memoryAdapter() });
 * liveEvents(log, { instance: 'audit' });        // the log
 * liveEvents(log.store, { instance: 'audit' });  // or its store
 */
export type LogSource<E extends EventMap = EventMap> = EventLog<E> | EventStore<E>;

/**
 * The typed, throwing store of a {@link LogSource}.
 *
 * @throws TypeError when `source` is neither an EventLog nor an EventStore
 * @example
 * const store = toEventStore(log); // log.store
 */
export function toEventStore<E extends EventMap = EventMap>(source: LogSource<E>): EventStore<E> {
  const candidate = source as Partial<EventLog<E>> & Partial<EventStore<E>>;
  if (typeof candidate === 'object' && candidate !== null) {
    if (isStore(candidate.store)) return candidate.store;
    if (isStore(candidate)) return candidate as EventStore<E>;
  }
  throw new TypeError(
    'Expected an EventLog (createEventLog({ adapter })) or its EventStore (log.store) as the source of live events.',
  );
}

function isStore<E extends EventMap>(value: unknown): value is EventStore<E> {
  const store = value as Partial<EventStore<E>> | undefined;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.readAfter === 'function' &&
    typeof store.watch === 'function' &&
    typeof store.headPosition === 'function'
  );
}
