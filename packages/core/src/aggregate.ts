/**
 * Helpers for event-sourced aggregates: rebuild a stream's state by folding its events, and run a
 * command against it with optimistic concurrency (the decider pattern: `decide(command, state)`
 * returns new events, `evolve(state, event)` applies one). Events reach `evolve` upcast to their
 * current schema; long streams can load from a snapshot.
 */

import type { KvWrite } from './adapter.js';
import { failureEnvelope, successEnvelope } from './envelope.js';
import { EventLogError } from './errors.js';
import type { EventLog, EventStore } from './event-log.js';
import type {
  Envelope,
  EventMap,
  EventRecordOf,
  ExpectedVersion,
  NewEventInput,
  NewEventInputOf,
} from './model.js';
import { backoffDelay, type RetryOptions, resolveRetry, sleep } from './retry.js';
import {
  asStoredSnapshot,
  checkSnapshotPolicy,
  foldFingerprint,
  type SnapshotPolicy,
  snapshotKey,
  snapshotWrite,
  stateOf,
  wantsSnapshot,
} from './snapshot.js';
import { streamPage } from './stream-page.js';
import { type CompiledUpcasters, compileUpcasters, type Upcaster } from './upcast.js';

/**
 * A log or its typed store: the helpers accept either. An untyped log (`EventLog<EventMap>`) is
 * accepted too; the event map is then the decider's.
 */
export type AggregateSource<E extends EventMap = EventMap> = EventLog<E> | EventStore<E>;

/** The fold of a stream: how state starts and how one event changes it. */
export interface StreamFold<State, E extends EventMap = EventMap> {
  /** The state of a stream with no events. Called once per rebuild. */
  initialState: () => State;
  /** Applies one event (upcast to its current schema). Must be pure: it is replayed on every rebuild. */
  evolve: (state: State, event: EventRecordOf<E>) => State;
}

/** A decider: a fold plus the decision of a command. */
export interface Decider<State, Command, E extends EventMap = EventMap> extends StreamFold<State, E> {
  /**
   * Returns the events a command produces in a state (none, one or several), or throws to refuse
   * it. Events name no stream: they go to the command's stream.
   */
  decide: (command: Command, state: State) => AggregateEvent<E> | readonly AggregateEvent<E>[] | undefined;
}

/** An event produced by a decider: an event input without a stream. */
export type AggregateEvent<E extends EventMap = EventMap> = {
  [K in keyof E & string]: Omit<NewEventInput<K, E[K]>, 'streamId' | 'stream_id'>;
}[keyof E & string];

/** Where a stream lives. */
export interface StreamRef {
  /** The instance's id or name. */
  instance: string;
  streamId: string;
}

/** A rebuilt stream: its state and its version (last sequence number, 0 when empty). */
export interface AggregateState<State> {
  state: State;
  version: number;
}

/** What the read helpers share: upcasters for this reader, on top of the log's. */
export interface ReaderOptions<E extends EventMap> {
  /**
   * Upcasters of this reader, applied after (and overriding, for the same step) those registered
   * with `createEventLog({ upcasters })`.
   */
  upcasters?: readonly Upcaster<E>[];
}

/** Options of {@link aggregateStream}. */
export interface AggregateStreamOptions<State, E extends EventMap>
  extends StreamRef,
    StreamFold<State, E>,
    ReaderOptions<E> {
  /** Events read per page. Default 1000. */
  pageSize?: number;
  /**
   * Load from a snapshot and keep one (see {@link SnapshotPolicy}). `aggregateStream` writes a
   * snapshot on its own when the policy asks for one after reading.
   */
  snapshot?: SnapshotPolicy<State>;
}

/** The typed store of a log or store. */
export function storeOf<E extends EventMap>(source: AggregateSource<E>): EventStore<E> {
  return 'store' in source ? source.store : source;
}

const compiled = new WeakMap<object, CompiledUpcasters>();

/** The upcasters of a store plus a reader's, compiled once per combination of lists. */
export function upcastersFor<E extends EventMap>(
  store: EventStore<E>,
  reader: readonly Upcaster<E>[] | undefined,
): CompiledUpcasters {
  const base = store.upcasters ?? [];
  if (reader === undefined || reader.length === 0) {
    let found = compiled.get(base);
    if (found === undefined) {
      found = compileUpcasters([base as readonly Upcaster[]]);
      compiled.set(base, found);
    }
    return found;
  }
  return compileUpcasters([base as readonly Upcaster[], reader as readonly Upcaster[]]);
}

/** A stream folded by {@link foldStream}. */
interface Folded<State, E extends EventMap> extends AggregateState<State> {
  /** The last folded event (undefined for an empty stream). */
  last: EventRecordOf<E> | undefined;
  /** Events folded after the snapshot the state was loaded from (all of them without one). */
  sinceSnapshot: number;
  /** The snapshot key, when a policy is in use. */
  key: string | undefined;
}

/** Folds a stream, from its snapshot when there is a usable one. */
async function foldStream<State, E extends EventMap>(
  store: EventStore<E>,
  options: AggregateStreamOptions<State, E>,
  upcast: CompiledUpcasters,
): Promise<Folded<State, E>> {
  const limit = Math.min(options.pageSize ?? 1000, store.limits.maxQueryLimit);
  const policy = options.snapshot;
  const key =
    policy === undefined
      ? undefined
      : snapshotKey(
          options.instance,
          options.streamId,
          policy.name,
          foldFingerprint(options, upcast.fingerprint, policy.version),
        );
  // The instance, the snapshot and the stream's first page from the snapshot's own event (which
  // must still be there, with the snapshot's id): one round trip when the adapter can.
  const start = await store.loadStream({
    instance: options.instance,
    streamId: options.streamId,
    limit,
    ...(key === undefined ? {} : { snapshotKey: key }),
  });
  const instanceId = start.instanceId;

  /** A page of the stream from sequence number `from` on (see {@link streamPage}). */
  const read = async (from: number) => {
    if (instanceId === undefined) return undefined;
    try {
      return await store.readAfter(streamPage(instanceId, options.streamId, from, limit));
    } catch (error) {
      // A stream of an instance that does not exist yet is empty: the first command creates both.
      if (EventLogError.isInstance(error) && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  };

  /** A page, and whether it was full (so more may follow); undefined: the instance is missing. */
  const batchOf = (page: EventRecordOf<E>[] | undefined) =>
    page === undefined ? undefined : { events: page, full: page.length === limit };

  let state: State;
  let version = 0;
  let last: EventRecordOf<E> | undefined;
  let batch: { events: EventRecordOf<E>[]; full: boolean } | undefined;
  let sinceSnapshot = 0;

  const snapshot = asStoredSnapshot(start.snapshot);
  const anchor = start.events[0];
  if (
    snapshot !== undefined &&
    policy !== undefined &&
    start.from === snapshot.version &&
    anchor !== undefined &&
    anchor.id === snapshot.eventId &&
    anchor.global_position === snapshot.position &&
    anchor.sequence_number === snapshot.version
  ) {
    state = stateOf(policy, snapshot);
    version = snapshot.version;
    last = anchor;
    batch = { events: start.events.slice(1), full: start.events.length === limit };
  } else {
    state = options.initialState();
    // Read from the start unless the page already is (no snapshot, or none to trust).
    batch =
      instanceId === undefined
        ? undefined
        : start.from === 1
          ? batchOf(start.events)
          : batchOf(await read(1));
  }

  while (batch !== undefined) {
    for (const stored of batch.events) {
      const event = upcast.apply(stored) as EventRecordOf<E>;
      state = options.evolve(state, event);
      version = stored.sequence_number;
      last = stored;
      sinceSnapshot++;
    }
    batch = batch.full ? batchOf(await read(version + 1)) : undefined;
  }
  return { state, version, last, sinceSnapshot, key };
}

/** Stores a snapshot with a separate write (no append to join); a failure is only a cache miss. */
async function putSnapshot<State, E extends EventMap>(
  store: EventStore<E>,
  policy: SnapshotPolicy<State>,
  folded: Folded<State, E>,
): Promise<void> {
  if (folded.key === undefined || folded.last === undefined) return;
  const write = snapshotWrite(policy, folded.key, folded.state, folded.last);
  try {
    await store.adapter.kv.put(write.namespace, write.key, write.value);
  } catch {
    // A snapshot is a cache: the stream stays readable without it.
  }
}

/**
 * Rebuilds a stream's state by reading its events in order, page by page, upcasting each (the
 * log's upcasters, then `upcasters`) and folding them. A stream with no events (or an instance
 * that does not exist yet) gives the initial state at version 0.
 *
 * With `snapshot`, it starts from the stream's snapshot when one matches the fold (reading only
 * the snapshot's own event and those after it) and stores a new snapshot when the policy asks.
 *
 * @throws TypeError for a malformed snapshot policy or upcaster, or a state that cannot be
 *   snapshotted as JSON (give `toJson`/`fromJson`)
 * @example
 * const { state, version } = await aggregateStream(log, {
 *   instance: 'orders', streamId: 'order-42',
 *   initialState: () => ({ total: 0 }),
 *   evolve: (s, e) => (e.event_type === 'ItemAdded' ? { total: s.total + e.payload.price } : s),
 *   snapshot: { every: 500 },
 * });
 */
export async function aggregateStream<State, E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: AggregateStreamOptions<State, E>,
): Promise<AggregateState<State>> {
  const store = storeOf(source as AggregateSource<E>);
  if (options.snapshot !== undefined) checkSnapshotPolicy(options.snapshot);
  const upcast = upcastersFor(store, options.upcasters);
  const folded = await foldStream(store, options, upcast);
  const policy = options.snapshot;
  if (
    policy !== undefined &&
    folded.sinceSnapshot > 0 &&
    wantsSnapshot(policy, {
      state: folded.state,
      version: folded.version,
      eventsSinceSnapshot: folded.sinceSnapshot,
    })
  ) {
    await putSnapshot(store, policy, folded);
  }
  return { state: folded.state, version: folded.version };
}

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions<State, Command, E extends EventMap>
  extends StreamRef,
    ReaderOptions<E> {
  decider: Decider<State, Command, E>;
  command: Command;
  /**
   * How many times to re-read and decide again when another writer appended to the stream in
   * between (a version `CONFLICT`). Default 20 (see {@link DEFAULT_RETRY}); 0 fails on the first
   * conflict. Shorthand for `retry.maxRetries`.
   */
  maxRetries?: number;
  /** The retry policy: count and jittered exponential backoff. */
  retry?: RetryOptions;
  /**
   * Snapshots of the stream: loaded before deciding; once one is due (the state read is `every`
   * events past the last snapshot, or `when` says so), it is written in the transaction of the
   * command's append, as the state the command was decided on (see {@link SnapshotPolicy}).
   */
  snapshot?: SnapshotPolicy<State>;
  /** Create the instance on the first append if it does not exist. Default false. */
  autoCreateInstance?: boolean;
}

/** The outcome of a command: the new state and version, and the events it stored. */
export interface CommandResult<State, E extends EventMap> extends AggregateState<State> {
  events: EventRecordOf<E>[];
}

function isVersionConflict(error: unknown, streamId: string): boolean {
  return (
    EventLogError.isInstance(error) &&
    error.code === 'CONFLICT' &&
    error.details?.streamId === streamId &&
    'actualVersion' in (error.details ?? {})
  );
}

/**
 * Runs a command with optimistic concurrency: rebuild the stream (upcast, from its snapshot when
 * configured), `decide`, append the events with `expectedVersion` = the version that was read, and
 * fold them into the new state. When another writer got there first (`CONFLICT`), it waits a
 * jittered, exponentially growing backoff and starts over, up to `maxRetries` times (default 20:
 * enough for 20 concurrent commands on one stream); other errors (and what `decide` throws)
 * propagate. A command that produces no events writes nothing.
 *
 * @example
 * const decider: Decider<Cart, AddItem> = {
 *   initialState: () => ({ items: [] }),
 *   evolve: (s, e) => ({ items: [...s.items, e.payload.sku] }),
 *   decide: (cmd, s) => {
 *     if (s.items.length >= 10) throw new Error('A cart holds 10 items at most.');
 *     return { eventType: 'ItemAdded', payload: { sku: cmd.sku } };
 *   },
 * };
 * const { state, version } = await handleCommand(log, {
 *   instance: 'carts', streamId: 'cart-7', decider, command: { sku: 'A1' }, autoCreateInstance: true,
 * });
 */
export async function handleCommand<State, Command, E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: HandleCommandOptions<State, Command, E>,
): Promise<CommandResult<State, E>> {
  const store = storeOf(source as AggregateSource<E>);
  const { decider, instance, streamId } = options;
  const retry = resolveRetry({
    ...options.retry,
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
  const policy = options.snapshot;
  if (policy !== undefined) checkSnapshotPolicy(policy);
  const upcast = upcastersFor(store, options.upcasters);
  // A conflict whose actual version is above every event still visible (a deleted or truncated
  // stream, expired events) tells the stream's real version; see below.
  let hidden: { read: number; actual: number } | undefined;
  for (let attempt = 0; ; attempt++) {
    const current = await foldStream(
      store,
      {
        instance,
        streamId,
        initialState: decider.initialState,
        evolve: decider.evolve,
        ...(policy ? { snapshot: policy } : {}),
      },
      upcast,
    );
    const decided = decider.decide(options.command, current.state);
    const produced = decided === undefined ? [] : Array.isArray(decided) ? decided : [decided];
    const due =
      policy !== undefined &&
      current.sinceSnapshot > 0 &&
      wantsSnapshot(policy, {
        state: current.state,
        version: current.version,
        eventsSinceSnapshot: current.sinceSnapshot,
      });
    if (produced.length === 0) {
      if (due) await putSnapshot(store, policy as SnapshotPolicy<State>, current);
      return { state: current.state, version: current.version, events: [] };
    }
    // A due snapshot travels with the append (its transaction), as the state it was decided on.
    let kvWrites: KvWrite[] | undefined;
    if (due && current.key !== undefined && current.last !== undefined) {
      kvWrites = [snapshotWrite(policy as SnapshotPolicy<State>, current.key, current.state, current.last)];
    }
    // The stream's version counts events that are gone (deleted, truncated, expired): when the
    // last conflict said the stream is at `actual` and reading again shows nothing newer than
    // before, the events in between are invisible history, and the command continues after them.
    const base =
      hidden !== undefined && hidden.read === current.version && hidden.actual > current.version
        ? hidden.actual
        : current.version;
    const expectedVersion: ExpectedVersion = base === 0 ? 'no_stream' : base;
    try {
      const { events } = await store.appendEvents(
        {
          instanceId: instance,
          streamId,
          expectedVersion,
          events: produced as NewEventInputOf<E>[],
          ...(options.autoCreateInstance ? { autoCreateInstance: true } : {}),
        },
        kvWrites === undefined ? undefined : { kvWrites },
      );
      let state = current.state;
      for (const event of events) state = decider.evolve(state, upcast.apply(event) as EventRecordOf<E>);
      const last = events[events.length - 1];
      return { state, version: last === undefined ? base : last.sequence_number, events };
    } catch (error) {
      if (!isVersionConflict(error, streamId) || attempt >= retry.maxRetries) throw error;
      const actual = (error as EventLogError).details?.actualVersion;
      hidden = typeof actual === 'number' ? { read: current.version, actual } : undefined;
      await sleep(backoffDelay(attempt, retry));
    }
  }
}

/** The envelope of {@link tryHandleCommand}: `data` is {@link handleCommand}'s result. */
export type CommandEnvelope<State, E extends EventMap = EventMap> = Envelope<
  'handleCommand',
  CommandResult<State, E>
>;

/** What `decide` threw, told apart from the log's own failures. */
class Refusal {
  constructor(readonly error: unknown) {}
}

function refusalError(thrown: unknown): EventLogError {
  if (EventLogError.isInstance(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new EventLogError('VALIDATION_ERROR', message, {
    details: { reason: 'rejected' },
    cause: thrown,
  });
}

/**
 * {@link handleCommand} answering like the `EventLog`'s methods: with an envelope
 * (`{ type: 'eventLog.handleCommand', success, data | error + code, details?, timestamp, requestId }`),
 * never rejecting. Same options, same retries (default 20, see {@link DEFAULT_RETRY}).
 *
 * - success: `data` is `{ state, version, events }`;
 * - `decide` refused (it threw): `VALIDATION_ERROR` with its message as `error` and
 *   `details: { reason: 'rejected' }` (an `EventLogError` thrown by `decide` keeps its own code);
 * - still conflicting after the last retry: `CONFLICT` with `details: { streamId, expectedVersion,
 *   actualVersion }`; a missing instance: `NOT_FOUND`; bad options: `VALIDATION_ERROR`;
 * - anything else thrown by your code (`evolve`, `initialState`, an upcaster): `STORAGE_ERROR`
 *   naming it.
 *
 * @example
 * const res = await tryHandleCommand(log, { instance: 'carts', streamId: 'cart-7', decider, command });
 * if (res.success) console.log(res.data.version);
 * else console.log(res.code, res.error); // VALIDATION_ERROR A cart holds 10 items at most.
 */
export async function tryHandleCommand<State, Command, E extends EventMap = EventMap>(
  source: AggregateSource<E> | AggregateSource,
  options: HandleCommandOptions<State, Command, E>,
): Promise<CommandEnvelope<State, E>> {
  const type = 'eventLog.handleCommand' as const;
  try {
    resolveRetry({
      ...options?.retry,
      ...(options?.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
    });
    if (options?.snapshot !== undefined) checkSnapshotPolicy(options.snapshot);
    if (typeof options?.decider?.decide !== 'function') {
      throw new TypeError('decider: expected { initialState, evolve, decide } functions.');
    }
  } catch (error) {
    return failureEnvelope(
      type,
      EventLogError.isInstance(error)
        ? error
        : new EventLogError('VALIDATION_ERROR', error instanceof Error ? error.message : String(error), {
            cause: error,
          }),
    );
  }
  const { decider } = options;
  const marked: Decider<State, Command, E> = {
    ...decider,
    decide: (command, state) => {
      try {
        return decider.decide(command, state);
      } catch (error) {
        throw new Refusal(error);
      }
    },
  };
  try {
    return successEnvelope(type, await handleCommand(source, { ...options, decider: marked }));
  } catch (thrown) {
    if (thrown instanceof Refusal) return failureEnvelope(type, refusalError(thrown.error));
    if (EventLogError.isInstance(thrown)) return failureEnvelope(type, thrown);
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return failureEnvelope(
      type,
      new EventLogError(
        'STORAGE_ERROR',
        `handleCommand failed outside the log (in evolve, initialState or an upcaster?): ${message}`,
        { cause: thrown },
      ),
    );
  }
}
