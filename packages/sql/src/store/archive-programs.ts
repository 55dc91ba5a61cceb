/**
 * Archiving on any SQL database (SPEC §9): events taken out by position without a record, and
 * put back with their original identity — ids, positions, sequence numbers, eventIds and tags —
 * as statement programs the driver runs in a write transaction holding the instance's lock.
 */

import {
  EventLogError,
  type EventRecord,
  type ImportOutcome,
  type ImportRequest,
  instanceNotFound,
  type RemoveEventsRequest,
} from '@eventlog/core';
import type { StatementProgram } from '../compiler/query-program.js';
import { removeAtProgram, streamHoldsEventsProgram } from './lifecycle-programs.js';
import type { InstanceRow, StoreStatements } from './store-statements.js';

function* instanceRow(S: StoreStatements, instanceId: string): StatementProgram<InstanceRow> {
  const [row] = (yield S.instanceById(instanceId)) as readonly InstanceRow[];
  if (row === undefined) throw instanceNotFound(instanceId);
  return row;
}

function importConflict(message: string, details: Record<string, unknown>): EventLogError {
  return new EventLogError(
    'CONFLICT',
    `The import clashes with stored events: ${message}; nothing was imported.`,
    {
      details,
    },
  );
}

/** Removes the instance's events at the given positions; positions it does not hold are ignored. */
export function* removeEventsProgram(
  S: StoreStatements,
  request: RemoveEventsRequest,
): StatementProgram<{ deletedEvents: number }> {
  const { key } = yield* instanceRow(S, request.instanceId);
  if (request.positions.length === 0) return { deletedEvents: 0 };
  const list = JSON.stringify(request.positions);
  const streams = ((yield S.streamsAt(key, list)) as ReadonlyArray<{ s: string }>).map((r) => r.s);
  if (streams.length === 0) return { deletedEvents: 0 };
  return { deletedEvents: yield* removeAtProgram(S, key, request.positions, streams) };
}

/** Checks an import against itself: no position, stream sequence or eventId twice. */
function checkWithin(events: readonly EventRecord[]): void {
  const positions = new Set<number>();
  const sequences = new Set<string>();
  const eventIds = new Set<string>();
  for (const e of events) {
    if (positions.has(e.global_position)) {
      throw importConflict(`position ${e.global_position} is given twice`, { position: e.global_position });
    }
    positions.add(e.global_position);
    const sequence = JSON.stringify([e.stream_id, e.sequence_number]);
    if (sequences.has(sequence)) {
      throw importConflict(`stream "${e.stream_id}" has sequence number ${e.sequence_number} twice`, {
        streamId: e.stream_id,
        sequenceNumber: e.sequence_number,
      });
    }
    sequences.add(sequence);
    if (e.eventId !== undefined) {
      if (eventIds.has(e.eventId))
        throw importConflict(`eventId "${e.eventId}" is given twice`, { eventId: e.eventId });
      eventIds.add(e.eventId);
    }
  }
}

/**
 * Imports records with their identity (see core's `StorageAdapter.importEvents`): skips those
 * whose position already holds the same record, refuses any other clash before writing.
 */
export function* importEventsProgram(
  S: StoreStatements,
  request: ImportRequest,
): StatementProgram<ImportOutcome> {
  const { key } = yield* instanceRow(S, request.instanceId);
  const events = request.events;
  if (events.length === 0) return { imported: 0, skipped: 0 };
  checkWithin(events);

  const held = new Map<number, { id: string; k: unknown }>();
  for (const r of (yield S.eventsAt(JSON.stringify(events.map((e) => e.global_position)))) as ReadonlyArray<{
    p: number | string;
    id: string;
    k: unknown;
  }>) {
    held.set(Number(r.p), r);
  }
  const fresh: EventRecord[] = [];
  for (const e of events) {
    const there = held.get(e.global_position);
    if (there === undefined) fresh.push(e);
    else if (there.id !== e.id || String(there.k) !== String(key)) {
      throw importConflict(`position ${e.global_position} holds another event`, {
        position: e.global_position,
      });
    }
  }
  if (fresh.length === 0) return { imported: 0, skipped: events.length };

  const byStream = new Map<string, number[]>();
  for (const e of fresh) {
    const list = byStream.get(e.stream_id);
    if (list === undefined) byStream.set(e.stream_id, [e.sequence_number]);
    else list.push(e.sequence_number);
  }
  let newStreams = 0;
  for (const [streamId, sequences] of byStream) {
    const [taken] = (yield S.sequencesHeld(key, streamId, JSON.stringify(sequences))) as ReadonlyArray<{
      n: number | string;
    }>;
    if (taken === undefined && !(yield* streamHoldsEventsProgram(S, key, streamId))) newStreams++;
    if (taken !== undefined) {
      throw importConflict(`stream "${streamId}" already holds sequence number ${Number(taken.n)}`, {
        streamId,
        sequenceNumber: Number(taken.n),
      });
    }
  }
  const eventIds = fresh.flatMap((e) => (e.eventId === undefined ? [] : [e.eventId]));
  if (eventIds.length > 0) {
    const [taken] = (yield S.eventIdsHeld(key, JSON.stringify(eventIds))) as ReadonlyArray<{ e: string }>;
    if (taken !== undefined) {
      throw importConflict(`the instance already holds eventId "${taken.e}"`, { eventId: taken.e });
    }
  }

  const counts = new Map<string, number>();
  let highest = 0;
  for (const e of fresh) {
    const tags = e.tags !== undefined && e.tags.length > 0 ? e.tags : undefined;
    yield S.insertEventAt(
      e.global_position,
      key,
      e.id,
      e.stream_id,
      e.sequence_number,
      e.event_type,
      JSON.stringify(e.payload),
      JSON.stringify(e.metadata),
      e.timestamp,
      e.eventId ?? null,
      tags === undefined ? null : JSON.stringify(tags),
    );
    for (const tag of tags ?? []) yield S.insertTag(key, tag, e.global_position);
    counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1);
    if (e.global_position > highest) highest = e.global_position;
  }
  for (const [type, n] of counts) yield S.countEvents(key, type, n);
  if (newStreams > 0) yield S.countStreams(key, newStreams);
  if (S.advancePositions !== undefined) yield S.advancePositions(highest);
  return { imported: fresh.length, skipped: events.length - fresh.length };
}
