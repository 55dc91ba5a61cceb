/**
 * Snapshots of a stream's folded state, kept in the log's own key-value store (namespace
 * {@link SNAPSHOT_NAMESPACE}) so that rebuilding a long stream reads only the events after the
 * snapshot.
 *
 * How a snapshot stays correct:
 * - **Keyed by the fold**: the key holds the stream, the policy's `name` and a fingerprint of the
 *   fold — the source text of `evolve` and `initialState`, the upcasters' fingerprint and the
 *   policy's `version`. Changing `evolve` (or an upcaster) changes the key, so an old snapshot is
 *   never served; bump `version` when behaviour changes outside those functions (a helper they
 *   call, the state's class).
 * - **Anchored on an event**: a snapshot records the stream version, global position and record id
 *   of the last event it folded. Loading reads from that event on and uses the snapshot only if
 *   the event is still there with that id — so a stream of an instance deleted and created again
 *   under the same name (or rewritten) is folded from the start instead.
 * - **Written with an append**: once a snapshot is due (the state read is `every` events past the
 *   last one), `handleCommand` puts it in the request of the command's append, committed in the
 *   same transaction when the adapter has `appendKvWrites` (else right after it). It is the state
 *   the command was decided on — the last state whose anchor event (id, position) is known before
 *   the commit; the state after the append would need the new events' positions and timestamps,
 *   which only the adapter assigns, and `evolve` may read them. So a snapshot never describes
 *   events that did not commit, and a failed append leaves no snapshot.
 */

import type { KvWrite } from './adapter.js';
import { toJsonValue } from './json.js';
import type { EventMap, EventRecord, EventRecordOf, JsonValue } from './model.js';
import { hashText } from './upcast.js';

/** The key-value namespace of snapshots. */
export const SNAPSHOT_NAMESPACE = 'eventlog.snapshots';

/** What a snapshot predicate sees: the state as folded, and how far it is from the last snapshot. */
export interface SnapshotCheck<State> {
  state: State;
  /** The stream's version (last sequence number) the state is at. */
  version: number;
  /** Events folded since the snapshot the state was loaded from (all of them without one). */
  eventsSinceSnapshot: number;
}

/**
 * When and how to snapshot a stream's state (give `every` or `when`).
 *
 * @example
 * { every: 100 }                                                  // each 100 events
 * { when: ({ state }) => state.status === 'shipped', version: 2 }  // at a milestone; fold v2
 */
export interface SnapshotPolicy<State> {
  /**
   * A snapshot is due once the state read is at least this many events past the last snapshot
   * (so there is at most one snapshot per `every` events). `handleCommand` writes it with the
   * command's append, in the same transaction.
   */
  every?: number;
  /** A snapshot of the state just read is due when this returns true. */
  when?: (check: SnapshotCheck<State>) => boolean;
  /**
   * A version of the fold, part of the key: bump it when the fold's behaviour changes in code the
   * fingerprint cannot see (helpers `evolve` calls, the state's class). Default 0.
   */
  version?: string | number;
  /** Names this fold of the stream, when one stream has several. Default `"default"`. */
  name?: string;
  /** The state as JSON. Default: the state itself, which must then be JSON. */
  toJson?: (state: State) => JsonValue;
  /** The state from its JSON. Default: the JSON itself. */
  fromJson?: (json: JsonValue) => State;
}

/** A stored snapshot. */
export interface StoredSnapshot {
  state: JsonValue;
  /** The stream version of the last folded event. */
  version: number;
  /** Its global position. */
  position: number;
  /** Its record id (`EventRecord.id`), to prove the snapshot still describes this stream. */
  eventId: string;
}

/** Checks a policy. @throws TypeError when it is malformed */
export function checkSnapshotPolicy<State>(policy: SnapshotPolicy<State>): void {
  if (typeof policy !== 'object' || policy === null) {
    throw new TypeError('snapshot must be a policy object { every } or { when }.');
  }
  const { every, when } = policy;
  if (every === undefined && when === undefined) {
    throw new TypeError('snapshot needs every (a number of events) or when (a predicate).');
  }
  if (every !== undefined && (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 1)) {
    throw new TypeError(`snapshot.every must be an integer ≥ 1, got ${String(every)}.`);
  }
  if (when !== undefined && typeof when !== 'function') {
    throw new TypeError(
      'snapshot.when must be a function ({ state, version, eventsSinceSnapshot }) => boolean.',
    );
  }
  for (const key of ['toJson', 'fromJson'] as const) {
    if (policy[key] !== undefined && typeof policy[key] !== 'function') {
      throw new TypeError(`snapshot.${key} must be a function.`);
    }
  }
}

/** What identifies a fold: its functions' source text, the upcasters and the policy's version. */
export function foldFingerprint(
  fold: { initialState: unknown; evolve: unknown },
  upcastersFingerprint: string,
  version: string | number | undefined,
): string {
  return hashText(
    [String(fold.initialState), String(fold.evolve), upcastersFingerprint, String(version ?? 0)].join(
      '\u0000',
    ),
  );
}

/** The key of a stream's snapshot. */
export function snapshotKey(
  instance: string,
  streamId: string,
  name: string | undefined,
  fingerprint: string,
): string {
  return JSON.stringify([instance, streamId, name ?? 'default', fingerprint]);
}

/** The snapshot in a value read from the store; a missing or malformed one is none (it is a cache). */
export function asStoredSnapshot(value: unknown): StoredSnapshot | undefined {
  const v = value as Partial<StoredSnapshot> | null | undefined;
  return typeof v === 'object' &&
    v !== null &&
    'state' in v &&
    typeof v.version === 'number' &&
    typeof v.position === 'number' &&
    typeof v.eventId === 'string'
    ? (v as StoredSnapshot)
    : undefined;
}

/** True when the policy asks for a snapshot of `check`. */
export function wantsSnapshot<State>(policy: SnapshotPolicy<State>, check: SnapshotCheck<State>): boolean {
  if (check.version === 0) return false;
  if (policy.every !== undefined && check.eventsSinceSnapshot >= policy.every) return true;
  return policy.when?.(check) === true;
}

/**
 * The key-value write of a snapshot of `state`, anchored on `last` (the last folded event).
 *
 * @throws TypeError when the state is not JSON and the policy has no `toJson`
 */
export function snapshotWrite<State, E extends EventMap>(
  policy: SnapshotPolicy<State>,
  key: string,
  state: State,
  last: EventRecordOf<E> | EventRecord,
): KvWrite {
  const raw = policy.toJson === undefined ? (state as unknown) : policy.toJson(state);
  let json: JsonValue;
  try {
    json = toJsonValue(raw, 'state');
  } catch (error) {
    throw new TypeError(
      `The state cannot be snapshotted as JSON (${error instanceof Error ? error.message : String(error)}). Give the snapshot policy toJson and fromJson.`,
      { cause: error },
    );
  }
  const value: StoredSnapshot = {
    state: json,
    version: last.sequence_number,
    position: last.global_position,
    eventId: last.id,
  };
  return { namespace: SNAPSHOT_NAMESPACE, key, value: value as unknown as JsonValue };
}

/** The state of a stored snapshot. */
export function stateOf<State>(policy: SnapshotPolicy<State>, snapshot: StoredSnapshot): State {
  return policy.fromJson === undefined ? (snapshot.state as State) : policy.fromJson(snapshot.state);
}
