/**
 * Reading and writing one stream, for users who know `readStream` / `appendToStream` from Emmett
 * or KurrentDB: a stream's events forward or backward from a version, page by page as an async
 * iterable for long streams, and an append to one stream with an expected version. Reads upcast
 * events as the other readers do (`aggregateStream`, projections, `liveEvents`).
 */

import {
  type AggregateEvent,
  type AggregateSource,
  type ReaderOptions,
  storeOf,
  upcastersFor,
} from './aggregate.js';
import { instanceNotFound } from './errors.js';
import type { EventStore } from './event-log.js';
import type { AppendCondition, EventMap, EventRecordOf, ExpectedVersion, NewEventInputOf } from './model.js';
import { sequenceCondition, streamPage } from './stream-page.js';
import { describeValue, invalid } from './validation/issues.js';

/** The order of a stream read: by sequence number, ascending (`forward`) or descending (`backward`). */
export type ReadDirection = 'forward' | 'backward';

/** Options of {@link streamEvents} and {@link readStream}. */
export interface ReadStreamOptions<E extends EventMap = EventMap> extends ReaderOptions<E> {
  /** The instance's id or name. It must exist (`NOT_FOUND` otherwise). */
  instance: string;
  streamId: string;
  /** Default `forward`: oldest first. `backward`: newest first. */
  direction?: ReadDirection;
  /**
   * The first sequence number to read, inclusive. Forward: events with `sequence_number >=
   * fromVersion` (default 1, the start). Backward: events with `sequence_number <= fromVersion`
   * (default: the stream's last event).
   */
  fromVersion?: number;
  /** At most this many events. Default: no limit. */
  maxCount?: number;
  /** Events read per round trip, 1..`maxQueryLimit`. Default 1000 (or the maximum, if smaller). */
  pageSize?: number;
}

/** What {@link readStream} returns. */
export interface ReadStreamResult<E extends EventMap = EventMap> {
  /** The events read, in the direction asked for, upcast to their current schema. */
  events: EventRecordOf<E>[];
  /**
   * The stream's version when it was read: the sequence number of its last event, 0 when it has
   * none. Pass it as `expectedVersion` to append only if nobody wrote since.
   */
  currentVersion: number;
  /** Whether the stream holds any event. */
  streamExists: boolean;
}

/** An event to append to a stream: an event input that names no stream. */
export type StreamEvent<E extends EventMap = EventMap> = AggregateEvent<E>;

/** Options of {@link appendToStream}. */
export interface AppendToStreamOptions<E extends EventMap = EventMap> {
  /** The instance's id or name. */
  instance: string;
  streamId: string;
  /** One or more events, stored in this order, atomically. */
  events: readonly StreamEvent<E>[];
  /**
   * The version the stream must have: its last sequence number (`0` or `'no_stream'`: no events),
   * `'stream_exists'`, or `'any'` (the default: no check). A mismatch throws `CONFLICT` with
   * `details: { streamId, expectedVersion, actualVersion }` and writes nothing.
   */
  expectedVersion?: ExpectedVersion;
  /** Fail with `CONFLICT` when matching events arrived (see `AppendCondition`). */
  condition?: AppendCondition<keyof E & string>;
  /** Create the instance (id and name both `instance`) if it does not exist. Default false. */
  autoCreateInstance?: boolean;
}

/** What {@link appendToStream} returns. */
export interface AppendToStreamResult<E extends EventMap = EventMap> {
  /** The stored events (or, on an eventId replay, the events stored before). */
  events: EventRecordOf<E>[];
  /** The stream's version after the append: pass it as the next `expectedVersion`. */
  nextExpectedVersion: number;
  /** The `global_position` of the last event: a checkpoint a reader can wait for. */
  lastPosition: number;
  /** True when every event's `eventId` was already stored: nothing was written. */
  duplicate?: true;
}

const DEFAULT_PAGE_SIZE = 1000;

function checkCount(value: unknown, path: string, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, `expected ${what} (an integer of 0 or more), got ${describeValue(value)}`);
  }
  return value;
}

interface ReadPlan {
  direction: ReadDirection;
  fromVersion: number | undefined;
  maxCount: number;
  pageSize: number;
}

function planRead(options: ReadStreamOptions<EventMap>, maxQueryLimit: number): ReadPlan {
  const direction = options.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'backward') {
    throw invalid('direction', `expected "forward" or "backward", got ${describeValue(direction)}`);
  }
  const fromVersion = checkCount(options.fromVersion, 'fromVersion', 'a sequence number');
  const maxCount = checkCount(options.maxCount, 'maxCount', 'a number of events') ?? Number.POSITIVE_INFINITY;
  const pageSize = options.pageSize ?? Math.min(DEFAULT_PAGE_SIZE, maxQueryLimit);
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > maxQueryLimit) {
    throw invalid(
      'pageSize',
      `expected an integer from 1 to ${maxQueryLimit}, got ${describeValue(pageSize)}`,
    );
  }
  return { direction, fromVersion, maxCount, pageSize };
}

/**
 * Reads one stream's events lazily, one page per round trip, as an async iterable: forward (oldest
 * first) or backward (newest first), from a version, up to `maxCount` events. Each event is upcast
 * (the log's upcasters, then `upcasters`). Nothing is read until you iterate, and the next page is
 * read only when you have taken the previous one, so a stream of any length streams in bounded
 * memory. Stop early with `break`.
 *
 * Events committed while you iterate forward are included when their page is read; a read is not
 * a snapshot of the stream. A missing stream yields nothing; a missing instance throws
 * `NOT_FOUND`; bad options throw `VALIDATION_ERROR` (all `EventLogError`).
 *
 * @example
 * for await (const event of streamEvents(log, { instance: 'shop', streamId: 'order-42' })) {
 *   if (event.event_type === 'ItemAdded') total += event.payload.price;
 * }
 */
export async function* streamEvents<E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: ReadStreamOptions<E>,
): AsyncGenerator<EventRecordOf<E>, void, undefined> {
  const store = storeOf(source as AggregateSource<E>);
  const plan = planRead(options as ReadStreamOptions, store.limits.maxQueryLimit);
  const upcast = upcastersFor(store, options.upcasters);
  const { instance, streamId } = options;
  let left = plan.maxCount;
  if (left === 0) {
    // Still a read: a missing instance is reported, whatever the count.
    await store.readAfter({ instance, stream: streamId, limit: 1, where: [sequenceCondition('lt', 1)] });
    return;
  }

  if (plan.direction === 'forward') {
    let from = Math.max(plan.fromVersion ?? 1, 1);
    let limit = Math.min(plan.pageSize, left);
    // The first page with the instance's id (one round trip when the adapter can), the next ones
    // by that id (no resolution of the reference each time).
    const start = await store.loadStream({ instance, streamId, fromVersion: from, limit });
    const id = start.instanceId;
    if (id === undefined) throw instanceNotFound(instance);
    let page = start.events;
    for (;;) {
      for (const event of page) {
        yield upcast.apply(event) as EventRecordOf<E>;
        from = event.sequence_number + 1;
      }
      left -= page.length;
      if (page.length < limit || left <= 0) return;
      limit = Math.min(plan.pageSize, left);
      page = await store.readAfter(streamPage(id, streamId, from, limit));
    }
  }

  let below = plan.fromVersion === undefined ? undefined : plan.fromVersion + 1;
  // The first page by the reference, the next ones by the id its events carry: one instance
  // throughout (a rename cannot switch it), and no resolution of a name each time.
  let ref = instance;
  for (;;) {
    if (below !== undefined && below <= 1) return;
    const limit = Math.min(plan.pageSize, left);
    const events = await store.pageEvents({
      from: { instance: ref, stream: streamId },
      ...(below === undefined ? {} : { where: [sequenceCondition('lt', below)] }),
      orderBy: { field: 'sequence_number', direction: 'desc' },
      limit,
    });
    for (const event of events as EventRecordOf<E>[]) {
      ref = event.instanceId;
      yield upcast.apply(event) as EventRecordOf<E>;
      below = event.sequence_number;
    }
    left -= events.length;
    if (events.length < limit || left <= 0) return;
  }
}

/** The stream's last sequence number, 0 when it has no events. */
async function streamVersion(
  store: EventStore<EventMap>,
  instance: string,
  streamId: string,
): Promise<number> {
  const events = await store.pageEvents({
    from: { instance, stream: streamId },
    orderBy: { field: 'sequence_number', direction: 'desc' },
    select: ['sequence_number'],
    limit: 1,
  });
  return (events[0]?.sequence_number as number | undefined) ?? 0;
}

/**
 * Reads one stream's events into an array — forward (oldest first, the default) or backward
 * (newest first), from a version, at most `maxCount` — with the stream's current version and
 * whether it exists (Emmett's `readStream`, KurrentDB's `readStream` collected). Events are
 * upcast like every reader's. For long streams, iterate {@link streamEvents} instead.
 *
 * `currentVersion` is the stream's last sequence number when it was read (at least that of the
 * last event read forward); it is what `expectedVersion` compares with. A missing stream gives
 * `{ events: [], currentVersion: 0, streamExists: false }`; a missing instance throws `NOT_FOUND`.
 *
 * @throws EventLogError `NOT_FOUND` (instance), `VALIDATION_ERROR` (options)
 * @example
 * // the last 10 events of a stream, newest first
 * const { events, currentVersion } = await readStream(log, {
 *   instance: 'shop', streamId: 'order-42', direction: 'backward', maxCount: 10,
 * });
 */
export async function readStream<E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: ReadStreamOptions<E>,
): Promise<ReadStreamResult<E>> {
  const store = storeOf(source as AggregateSource<E>);
  const events: EventRecordOf<E>[] = [];
  for await (const event of streamEvents<E>(store, options)) events.push(event);
  const backward = options.direction === 'backward';
  const first = events[0];
  const last = events[events.length - 1];
  let currentVersion: number;
  if (backward && options.fromVersion === undefined && first !== undefined) {
    currentVersion = first.sequence_number;
  } else if (
    !backward &&
    last !== undefined &&
    (options.maxCount === undefined || events.length < options.maxCount)
  ) {
    // Read to the end: the last event read is the stream's last.
    currentVersion = last.sequence_number;
  } else {
    // By the id of the events read, when there are any: the instance they were read from.
    const ref = first?.instanceId ?? options.instance;
    currentVersion = await streamVersion(store as EventStore<EventMap>, ref, options.streamId);
  }
  return { events, currentVersion, streamExists: currentVersion > 0 };
}

/**
 * Appends events to one stream, atomically and in order, optionally only at an expected version
 * (Emmett's and KurrentDB's `appendToStream`). Throws rather than answering with an envelope, as
 * the other helpers do: `CONFLICT` (with `details: { streamId, expectedVersion, actualVersion }`)
 * when the stream is not at `expectedVersion`, `NOT_FOUND` for a missing instance without
 * `autoCreateInstance`, `VALIDATION_ERROR` for bad events. Events may carry `eventId`s (a replay
 * returns the stored events with `duplicate: true`), metadata, tags and timestamps.
 *
 * @throws EventLogError
 * @example
 * const { nextExpectedVersion } = await appendToStream(log, {
 *   instance: 'shop', streamId: 'order-42', expectedVersion: 'no_stream',
 *   events: [{ eventType: 'OrderCreated', payload: { orderId: '42', total: 0 } }],
 * });
 */
export async function appendToStream<E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: AppendToStreamOptions<E>,
): Promise<AppendToStreamResult<E>> {
  const store = storeOf(source as AggregateSource<E>);
  const result = await store.appendEvents({
    instanceId: options.instance,
    streamId: options.streamId,
    events: options.events as NewEventInputOf<E>[],
    ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion }),
    ...(options.condition === undefined ? {} : { condition: options.condition }),
    ...(options.autoCreateInstance ? { autoCreateInstance: true } : {}),
  });
  const last = result.events[result.events.length - 1] as EventRecordOf<E>;
  return {
    events: result.events,
    nextExpectedVersion: last.sequence_number,
    lastPosition: last.global_position,
    ...(result.duplicate ? { duplicate: true as const } : {}),
  };
}
