/**
 * The decisions of an append transaction that are the same on every SQL database. A transaction
 * may carry a group of calls (group commit); the driver locks the instance, gathers the facts —
 * the stored events holding the group's eventIds, and the last sequence number of each stream —
 * and {@link decideAppends} decides each call on its own with core's `planAppend`, against the
 * versions the calls before it leave, so a conflicting call fails alone. The driver then inserts
 * the accepted rows, commits, and {@link settleAppends} hands each call its own outcome.
 */

import {
  type AppendOutcome,
  type AppendRequest,
  type EventRecord,
  eventIdsOf,
  type NewEvent,
  planAppend,
} from '@eventlog/core';
import type { Pending } from './append-coalescer.js';

/** One call of a group: its request and how to settle it. */
export type PendingAppend = Pending<AppendRequest, AppendOutcome>;

/** What was decided for one call. */
export type AppendDecision =
  | { pending: PendingAppend; kind: 'insert'; start: number; count: number }
  | { pending: PendingAppend; kind: 'duplicate'; events: EventRecord[] }
  | { pending: PendingAppend; kind: 'error'; error: unknown };

/** An event to insert, with its sequence number. */
export interface PlannedRow {
  event: NewEvent;
  sequence: number;
}

/** The facts of a group, read under the instance's lock. */
export interface AppendFacts {
  /** The instance's stored events holding one of the group's eventIds, by eventId. */
  stored: ReadonlyMap<string, EventRecord>;
  /** The last sequence number of each of the group's streams (a missing stream is empty). */
  versions: ReadonlyMap<string, number>;
}

/** The decisions of a group. */
export interface GroupPlan {
  decisions: AppendDecision[];
  /** Every accepted call's events, in call order: `decisions[k].start` indexes into it. */
  rows: PlannedRow[];
  /**
   * Calls that cannot share this transaction (an eventId an earlier call of the group claims):
   * they go in the next one.
   */
  deferred: PendingAppend[];
}

/** The distinct streams of a group's calls, in first-seen order. */
export function streamsOfGroup(group: readonly PendingAppend[]): string[] {
  const streams = new Set<string>();
  for (const pending of group) for (const event of pending.request.events) streams.add(event.streamId);
  return [...streams];
}

/** The eventIds of a group's calls. */
export function eventIdsOfGroup(group: readonly PendingAppend[]): string[] {
  return group.flatMap((pending) => eventIdsOf(pending.request));
}

/** Decides each call of a group (see the module comment). */
export function decideAppends(group: readonly PendingAppend[], facts: AppendFacts): GroupPlan {
  const versions = new Map(facts.versions);
  const decisions: AppendDecision[] = [];
  const deferred: PendingAppend[] = [];
  const rows: PlannedRow[] = [];
  const claimed = new Set<string>();
  for (const pending of group) {
    const ids = eventIdsOf(pending.request);
    if (ids.some((id) => claimed.has(id))) {
      deferred.push(pending);
      continue;
    }
    const held = new Map<string, EventRecord>();
    for (const id of ids) {
      const record = facts.stored.get(id);
      if (record !== undefined) held.set(id, record);
    }
    try {
      const plan = planAppend(pending.request, held, versions);
      if (plan.kind === 'duplicate') {
        decisions.push({ pending, kind: 'duplicate', events: plan.events });
      } else {
        decisions.push({ pending, kind: 'insert', start: rows.length, count: plan.rows.length });
        for (const row of plan.rows) {
          rows.push(row);
          versions.set(row.event.streamId, row.sequence);
        }
        for (const id of ids) claimed.add(id);
      }
    } catch (error) {
      decisions.push({ pending, kind: 'error', error });
    }
  }
  return { decisions, rows, deferred };
}

/** The record of an event the store just inserted. */
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
  return record;
}

/**
 * The records of the inserted rows; `positions[k]` is the position of `rows[k]`.
 */
export function insertedRecords(
  rows: readonly PlannedRow[],
  instanceId: string,
  positions: readonly number[],
): EventRecord[] {
  const records = new Array<EventRecord>(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const { event, sequence } = rows[k] as PlannedRow;
    records[k] = newEventRecord(event, instanceId, sequence, positions[k] as number);
  }
  return records;
}

/** Settles each call: its slice of the committed records, its duplicate, or its error. */
export function settleAppends(decisions: readonly AppendDecision[], records: readonly EventRecord[]): void {
  for (const decision of decisions) {
    if (decision.kind === 'error') decision.pending.reject(decision.error);
    else if (decision.kind === 'duplicate')
      decision.pending.resolve({ events: decision.events, duplicate: true });
    else {
      decision.pending.resolve({
        events: records.slice(decision.start, decision.start + decision.count),
        duplicate: false,
      });
    }
  }
}
