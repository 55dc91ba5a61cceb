/**
 * Helpers for event-sourced aggregates: rebuild a stream's state by folding its events, and run a
 * command against it with optimistic concurrency (the decider pattern: `decide(command, state)`
 * returns new events, `evolve(state, event)` applies one).
 */

import { EventLogError } from './errors.js';
import type { EventLog, EventStore } from './event-log.js';
import type { EventMap, EventRecordOf, ExpectedVersion, NewEventInput, NewEventInputOf } from './model.js';

/** A log or its typed store: the helpers accept either. */
export type AggregateSource<E extends EventMap = EventMap> = EventLog<E> | EventStore<E>;

/** The fold of a stream: how state starts and how one event changes it. */
export interface StreamFold<State, E extends EventMap = EventMap> {
  /** The state of a stream with no events. Called once per rebuild. */
  initialState: () => State;
  /** Applies one event. Must be pure: it is replayed on every rebuild. */
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

/** Options of {@link aggregateStream}. */
export interface AggregateStreamOptions<State, E extends EventMap> extends StreamRef, StreamFold<State, E> {
  /** Events read per page. Default 1000. */
  pageSize?: number;
}

function storeOf<E extends EventMap>(source: AggregateSource<E>): EventStore<E> {
  return 'store' in source ? source.store : source;
}

/**
 * Rebuilds a stream's state by reading its events in order, page by page, and folding them.
 * A stream with no events (or an instance that does not exist yet) gives the initial state at
 * version 0.
 *
 * @example
 * const { state, version } = await aggregateStream(log, {
 *   instance: 'orders', streamId: 'order-42',
 *   initialState: () => ({ total: 0 }),
 *   evolve: (s, e) => (e.event_type === 'ItemAdded' ? { total: s.total + e.payload.price } : s),
 * });
 */
export async function aggregateStream<State, E extends EventMap = EventMap>(
  source: AggregateSource<E>,
  options: AggregateStreamOptions<State, E>,
): Promise<AggregateState<State>> {
  const store = storeOf(source);
  const limit = Math.min(options.pageSize ?? 1000, store.limits.maxQueryLimit);
  let state = options.initialState();
  let version = 0;
  let after = 0;
  for (;;) {
    let page: EventRecordOf<E>[];
    try {
      page = await store.readAfter({ instance: options.instance, stream: options.streamId, after, limit });
    } catch (error) {
      // A stream of an instance that does not exist yet is empty: the first command creates both.
      if (EventLogError.isInstance(error) && error.code === 'NOT_FOUND' && after === 0) break;
      throw error;
    }
    for (const event of page) {
      state = options.evolve(state, event);
      version = event.sequence_number;
      after = event.global_position;
    }
    if (page.length < limit) break;
  }
  return { state, version };
}

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions<State, Command, E extends EventMap> extends StreamRef {
  decider: Decider<State, Command, E>;
  command: Command;
  /**
   * How many times to re-read and decide again when another writer appended to the stream in
   * between (a `CONFLICT`). Default 3; 0 fails on the first conflict.
   */
  maxRetries?: number;
  /** Create the instance on the first append if it does not exist. Default false. */
  autoCreateInstance?: boolean;
}

/** The outcome of a command: the new state and version, and the events it stored. */
export interface CommandResult<State, E extends EventMap> extends AggregateState<State> {
  events: EventRecordOf<E>[];
}

/**
 * Runs a command with optimistic concurrency: rebuild the stream, `decide`, append the events
 * with `expectedVersion` = the version that was read, and fold them into the new state. When
 * another writer got there first (`CONFLICT`), it starts over, up to `maxRetries` times; other
 * errors (and what `decide` throws) propagate. A command that produces no events writes nothing.
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
  source: AggregateSource<E>,
  options: HandleCommandOptions<State, Command, E>,
): Promise<CommandResult<State, E>> {
  const store = storeOf(source);
  const { decider, instance, streamId } = options;
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const current = await aggregateStream(store, { instance, streamId, ...decider });
    const decided = decider.decide(options.command, current.state);
    const produced = decided === undefined ? [] : Array.isArray(decided) ? decided : [decided];
    if (produced.length === 0) return { ...current, events: [] };
    const expectedVersion: ExpectedVersion = current.version === 0 ? 'no_stream' : current.version;
    try {
      const { events } = await store.appendEvents({
        instanceId: instance,
        streamId,
        expectedVersion,
        events: produced as NewEventInputOf<E>[],
        ...(options.autoCreateInstance ? { autoCreateInstance: true } : {}),
      });
      let state = current.state;
      for (const event of events) state = decider.evolve(state, event);
      const last = events[events.length - 1];
      return { state, version: last === undefined ? current.version : last.sequence_number, events };
    } catch (error) {
      const conflict =
        EventLogError.isInstance(error) &&
        error.code === 'CONFLICT' &&
        error.details?.streamId === streamId &&
        'actualVersion' in (error.details ?? {});
      if (!conflict || attempt >= maxRetries) throw error;
    }
  }
}
