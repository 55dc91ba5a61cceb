/**
 * The decisions of an append that every adapter makes the same way, as a pure function: eventId
 * idempotency first, then `expectedVersion`, then sequence numbers. Adapters gather the facts
 * (stored events with the batch's eventIds, the current version of the batch's streams) inside
 * their transaction and call {@link planAppend}.
 */

import type { AppendRequest, NewEvent } from './adapter.js';
import { EventLogError, versionConflict } from './errors.js';
import type { EventRecord } from './model.js';

/** What the adapter must do. */
export type AppendPlan =
  | { kind: 'duplicate'; events: EventRecord[] }
  | { kind: 'insert'; rows: Array<{ event: NewEvent; sequence: number }> };

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
 * Decides an append.
 *
 * @param existing stored events of the instance whose `eventId` is one of the request's, by eventId
 * @param versions the current last sequence number of each of the request's streams (missing = 0)
 * @throws EventLogError `CONFLICT` when only some eventIds are held, or the version check fails
 */
export function planAppend(
  request: AppendRequest,
  existing: ReadonlyMap<string, EventRecord>,
  versions: ReadonlyMap<string, number>,
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

  if (request.expectedVersion !== undefined && request.events.length > 0) {
    const streamId = (request.events[0] as NewEvent).streamId;
    const actual = versions.get(streamId) ?? 0;
    const { check, raw } = request.expectedVersion;
    const ok =
      check.kind === 'any' ||
      (check.kind === 'exists' && actual > 0) ||
      (check.kind === 'exact' && actual === check.version);
    if (!ok) throw versionConflict({ streamId, expectedVersion: raw, actualVersion: actual });
  }

  const next = new Map(versions);
  const rows = request.events.map((event) => {
    const sequence = (next.get(event.streamId) ?? 0) + 1;
    next.set(event.streamId, sequence);
    return { event, sequence };
  });
  return { kind: 'insert', rows };
}
