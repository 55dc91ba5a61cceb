/**
 * The decisions of an append that every adapter makes the same way, as a pure function: eventId
 * idempotency first, then the expected versions, then the condition, then sequence numbers.
 * Adapters gather the facts (stored events with the batch's eventIds, the current version of the
 * batch's streams, the first position matching the condition) inside their transaction and call
 * {@link planAppend}.
 */

import type {
  AppendRequest,
  ConditionItemSpec,
  ConditionSpec,
  NewEvent,
  StreamVersionCheck,
} from './adapter.js';
import { conditionConflict, EventLogError, storageError, versionConflict } from './errors.js';
import type { EventRecord } from './model.js';

/** What the adapter must do. */
export type AppendPlan =
  | { kind: 'duplicate'; events: EventRecord[] }
  | {
      kind: 'insert';
      rows: Array<{ event: NewEvent; sequence: number }>;
      /** Every stream's version once the rows are in: the versions given, continued by the rows. */
      versions: Map<string, number>;
    };

/** The eventIds of a request, in order (events without one are skipped). */
export function eventIdsOf(request: AppendRequest): string[] {
  const ids: string[] = [];
  for (const e of request.events) if (e.eventId !== undefined) ids.push(e.eventId);
  return ids;
}

/** The distinct stream ids of a request, in first-seen order. */
export function streamsOf(request: AppendRequest): string[] {
  return [...new Set(request.events.map((e) => e.streamId))];
}

/**
 * The version checks of a request: `versionChecks`, or (for requests built against contract 1)
 * the deprecated `expectedVersion` as one check of the first event's stream.
 */
export function versionChecksOf(request: AppendRequest): readonly StreamVersionCheck[] {
  if (request.versionChecks !== undefined) return request.versionChecks;
  const legacy = request.expectedVersion;
  const first = request.events[0];
  if (legacy === undefined || first === undefined) return [];
  return [{ streamId: first.streamId, check: legacy.check, raw: legacy.raw as StreamVersionCheck['raw'] }];
}

/**
 * True when a request needs no facts before its insert: no eventIds, no version check other than
 * `'any'`, no condition. Adapters may take a faster path for such appends.
 */
export function isUnconditionalAppend(request: AppendRequest): boolean {
  if (request.condition !== undefined) return false;
  if (versionChecksOf(request).some((c) => c.check.kind !== 'any')) return false;
  return request.events.every((e) => e.eventId === undefined);
}

/** The type and tags of an event, stored or new. */
export type TaggedEvent = Pick<EventRecord, 'event_type' | 'tags'> | Pick<NewEvent, 'eventType' | 'tags'>;

/**
 * True when an event matches one condition item: its type is one of `item.types` (when given) and
 * it holds every tag of `item.tags` (when given).
 *
 * @example itemMatchesEvent({ types: ['Subscribed'], tags: ['course:c1'] }, record)
 */
export function itemMatchesEvent(item: ConditionItemSpec, event: TaggedEvent): boolean {
  const type = 'event_type' in event ? event.event_type : event.eventType;
  if (item.types !== undefined && !item.types.includes(type)) return false;
  if (item.tags !== undefined) {
    const held = event.tags;
    if (held === undefined) return false;
    for (const tag of item.tags) if (!held.includes(tag)) return false;
  }
  return true;
}

/**
 * True when an event matches any item of a condition (SPEC §8). `after` is not consulted: the
 * caller decides which events to look at (those with `global_position > condition.after`).
 */
export function conditionMatchesEvent(condition: Pick<ConditionSpec, 'items'>, event: TaggedEvent): boolean {
  for (const item of condition.items) if (itemMatchesEvent(item, event)) return true;
  return false;
}

/**
 * The reference answer to "the first position matching the condition": the smallest
 * `global_position > condition.after` among `events` that matches, or `null`. A scan, for tests
 * and small stores; adapters answer it from indexes.
 */
export function firstConditionMatch(condition: ConditionSpec, events: Iterable<EventRecord>): number | null {
  let first: number | null = null;
  for (const event of events) {
    const position = event.global_position;
    if (position <= condition.after || (first !== null && position >= first)) continue;
    if (conditionMatchesEvent(condition, event)) first = position;
  }
  return first;
}

/**
 * Checks one expected version against a stream's actual version (its last sequence number, 0 when
 * it has none): `'any'` always passes, `'stream_exists'` needs a version above 0, a number must be
 * equal. Used by appends ({@link planAppend}) and by stream deletions.
 *
 * @throws EventLogError version `CONFLICT` `{ streamId, expectedVersion, actualVersion }`
 */
export function checkVersion(check: StreamVersionCheck, actual: number): void {
  const { check: expected, raw, streamId } = check;
  const ok =
    expected.kind === 'any' ||
    (expected.kind === 'exists' && actual > 0) ||
    (expected.kind === 'exact' && actual === expected.version);
  if (!ok) throw versionConflict({ streamId, expectedVersion: raw, actualVersion: actual });
}

/**
 * Decides an append (see {@link AppendRequest} for the order of the checks).
 *
 * @param existing stored events of the instance whose `eventId` is one of the request's, by eventId
 * @param versions the current last sequence number of each of the request's streams (missing = 0)
 * @param conditionMatch when the request has a `condition`: the smallest global position of a
 *   stored event after `condition.after` matching it, or `null` when none does. Required then:
 *   leaving it `undefined` throws `STORAGE_ERROR`, so an adapter can never skip the check by
 *   accident.
 * @throws EventLogError `CONFLICT` when only some eventIds are held, a version check fails or the
 *   condition matches
 */
export function planAppend(
  request: AppendRequest,
  existing: ReadonlyMap<string, EventRecord>,
  versions: ReadonlyMap<string, number>,
  conditionMatch?: number | null,
): AppendPlan {
  if (existing.size > 0) {
    const held = request.events.filter((e) => e.eventId !== undefined && existing.has(e.eventId));
    if (held.length === request.events.length) {
      return { kind: 'duplicate', events: held.map((e) => existing.get(e.eventId as string) as EventRecord) };
    }
    const ids = held.map((e) => e.eventId as string);
    throw new EventLogError(
      'CONFLICT',
      `The batch mixes new events with events already stored (eventId ${ids.map((i) => JSON.stringify(i)).join(', ')}). Retry with only the new events, or with exactly the stored batch.`,
      { details: { reason: 'partial_duplicate', duplicateEventIds: ids } },
    );
  }

  if (request.events.length > 0) {
    for (const check of versionChecksOf(request)) checkVersion(check, versions.get(check.streamId) ?? 0);
  }

  const condition = request.condition;
  if (condition !== undefined) {
    if (conditionMatch === undefined) {
      throw storageError(
        'The storage adapter did not check the append condition (planAppend got no conditionMatch); nothing was written. The adapter must read the first matching position inside its transaction.',
      );
    }
    if (conditionMatch !== null)
      throw conditionConflict({ after: condition.after, position: conditionMatch });
  }

  // Sequence numbers follow each stream's version. Events of one stream usually come in runs, so
  // the map is consulted when the stream changes, not for every event.
  const next = new Map(versions);
  const events = request.events;
  const rows = new Array<{ event: NewEvent; sequence: number }>(events.length);
  let stream: string | undefined;
  let sequence = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as NewEvent;
    if (event.streamId !== stream) {
      if (stream !== undefined) next.set(stream, sequence);
      stream = event.streamId;
      sequence = next.get(stream) ?? 0;
    }
    rows[i] = { event, sequence: ++sequence };
  }
  if (stream !== undefined) next.set(stream, sequence);
  return { kind: 'insert', rows, versions: next };
}

/**
 * The record of an event an adapter just stored: the validated event with its instance id,
 * sequence number and position (`eventId` and `tags` only when it has them). It shares the
 * event's payload, metadata and tags arrays (validation made them fresh copies of the caller's).
 */
export function newEventRecord(
  event: NewEvent,
  instanceId: string,
  sequence: number,
  position: number,
): EventRecord {
  const record: EventRecord = {
    id: event.id,
    instanceId,
    stream_id: event.streamId,
    event_type: event.eventType,
    payload: event.payload,
    metadata: event.metadata,
    timestamp: event.timestamp,
    sequence_number: sequence,
    global_position: position,
  };
  if (event.eventId !== undefined) record.eventId = event.eventId;
  if (event.tags !== undefined) record.tags = event.tags;
  return record;
}
