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
  conditionMatchesEvent,
  type EventRecord,
  eventIdsOf,
  type KvWrite,
  type NewEvent,
  newEventRecord,
  planAppend,
} from '@eventlog/core';
import type { Pending } from './append-coalescer.js';

/** One call of a group: its request and how to settle it. */
export type PendingAppend = Pending<AppendRequest, AppendOutcome>;

/**
 * Whether an event's metadata is `{}`: its row then stores the column's default instead of an
 * encoded copy (every SQL adapter's row builder asks). `for…in` stops at the first key.
 */
export function isEmptyMetadata(metadata: object): boolean {
  for (const _ in metadata) return false;
  return true;
}

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
  /**
   * For each call with a `condition`: the first stored position after its `after` that matches it,
   * or null (see core's `planAppend`). A call with a condition and no entry here fails with
   * `STORAGE_ERROR` instead of skipping its check.
   */
  conditionMatches?: ReadonlyMap<PendingAppend, number | null>;
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
  let versions: ReadonlyMap<string, number> = facts.versions;
  const decisions: AppendDecision[] = [];
  const deferred: PendingAppend[] = [];
  const rows: PlannedRow[] = [];
  const claimed = new Set<string>();
  for (const pending of group) {
    const ids = eventIdsOf(pending.request);
    const condition = pending.request.condition;
    // An eventId an earlier call claims, or a condition an earlier call's rows match: this call
    // is decided in the next transaction, where those rows are stored facts (with positions).
    if (
      ids.some((id) => claimed.has(id)) ||
      (condition !== undefined && rows.some((row) => conditionMatchesEvent(condition, row.event)))
    ) {
      deferred.push(pending);
      continue;
    }
    const held = new Map<string, EventRecord>();
    for (const id of ids) {
      const record = facts.stored.get(id);
      if (record !== undefined) held.set(id, record);
    }
    try {
      const plan = planAppend(
        pending.request,
        held,
        versions,
        condition === undefined ? undefined : facts.conditionMatches?.get(pending),
      );
      if (plan.kind === 'duplicate') {
        decisions.push({ pending, kind: 'duplicate', events: plan.events });
      } else {
        decisions.push({ pending, kind: 'insert', start: rows.length, count: plan.rows.length });
        for (const row of plan.rows) rows.push(row);
        versions = plan.versions;
        for (const id of ids) claimed.add(id);
      }
    } catch (error) {
      decisions.push({ pending, kind: 'error', error });
    }
  }
  return { decisions, rows, deferred };
}

/** The key-value writes of the calls that insert (snapshots written with their append). */
export function kvWritesOf(decisions: readonly AppendDecision[]): KvWrite[] {
  const writes: KvWrite[] = [];
  for (const decision of decisions) {
    if (decision.kind === 'insert') writes.push(...(decision.pending.request.kvWrites ?? []));
  }
  return writes;
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
