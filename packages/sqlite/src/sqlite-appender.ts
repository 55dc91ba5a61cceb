/**
 * How an append is made atomic on SQLite: the whole append runs inside `BEGIN IMMEDIATE` (the
 * database's write lock, held by one connection at a time across processes), so the facts it reads
 * — the instance, the stored eventIds, the streams' last sequence numbers — cannot change before
 * its insert commits. The decisions are the shared ones of `@eventlog/sql`; positions come from
 * the `AUTOINCREMENT` key, handed out in insert order under the lock.
 */

import { type EventRecord, instanceNotFound, storageError } from '@eventlog/core';
import {
  type AppendDecision,
  conditionProbe,
  decideAppends,
  decodeEvent,
  eventIdsOfGroup,
  eventSelectList,
  type InstanceRow,
  insertedRecords,
  isEmptyMetadata,
  kvWritesOf,
  type PendingAppend,
  type PlannedRow,
  qualifyColumns,
  type Row,
  type SqlDialect,
  type StoreStatements,
} from '@eventlog/sql';
import type Database from 'better-sqlite3';
import { EMPTY_OBJECT_JSONB, JsonbWriter } from './jsonb.js';
import { SQLITE_EVENT_LAYOUT } from './sqlite-layout.js';

/**
 * One row per INSERT execution. Multi-row `VALUES` lists were measured slower, not faster: each
 * execution of one costs a fixed ~40 µs on top of its rows (chunks of 4 rows: 19 µs per event;
 * 16: 12 µs; 64: 9.7–9.9 µs; one row per statement: 8.8–9.2 µs, with raw better-sqlite3 at 7.2–7.5
 * µs; `bench/src/profile-append.ts`, 200,000 events in batches of 1000).
 */
const EVENT_COLUMNS =
  '(instance_pk, stream_id, sequence_number, event_type, id, event_id, timestamp, payload, metadata, tags)';
/** Payload and metadata are bound as JSONB blobs made by `JsonbWriter`, not as text for `jsonb(?)`. */
const EVENT_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** What a group's transaction wrote, to settle its calls with once it committed. */
export interface WrittenGroup {
  decisions: readonly AppendDecision[];
  /** The inserted events, in order (the decisions index into them). */
  records: EventRecord[];
  /** Calls to run in the next transaction (see `decideAppends`). */
  deferred: PendingAppend[];
  instanceId: string;
  /** The instance has retention rules: its commits carry no events (CommittedEvents). */
  retained: boolean;
}

/** Thrown out of a group's transaction that writes nothing, to roll it back; carries its outcome. */
export class NothingWritten extends Error {
  constructor(readonly group: WrittenGroup) {
    super('nothing to write');
  }
}

/** The append's own statements, prepared once per connection. */
export class SqliteAppender {
  private readonly streamHead: Database.Statement;
  private readonly eventsByEventId: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly instanceById: Database.Statement;
  private readonly instanceByName: Database.Statement;
  private readonly autoCreate: Database.Statement;
  private readonly insertTag: Database.Statement;
  private readonly countStreams: Database.Statement;
  private readonly jsonb = new JsonbWriter();

  constructor(
    db: Database.Database,
    private readonly S: StoreStatements,
    private readonly dialect: SqlDialect,
    /** Records the statement about to run, for error details. */
    private readonly running: (sql: string) => void,
    /** Prepares (and caches) a statement whose text varies (conditions, key-value writes). */
    private readonly prepare: (sql: string) => Database.Statement,
  ) {
    // max() over the (instance, stream, sequence) index is one seek; the floor another (SPEC §9).
    this.streamHead = db.prepare(S.streamHead(0, '', 0, '').sql);
    this.countStreams = db.prepare(S.countStreams(0, 0).sql);
    const columns = qualifyColumns(dialect, SQLITE_EVENT_LAYOUT);
    this.eventsByEventId = db.prepare(
      `SELECT ${eventSelectList(dialect, columns)} FROM events AS e WHERE e.instance_pk = ? AND e.event_id IN (SELECT value FROM json_each(?))`,
    );
    this.insertEvent = db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${EVENT_VALUES}`);
    // Two unique-index seeks (id first, then name) are cheaper than one OR over both.
    this.instanceById = db.prepare(S.instanceById('').sql);
    this.instanceByName = db.prepare(S.instanceByName('').sql);
    this.autoCreate = db.prepare(S.autoCreateInstance().sql);
    this.insertTag = db.prepare(
      'INSERT INTO event_tags (instance_pk, tag, global_position) VALUES (?, ?, ?)',
    );
  }

  /** The instance a reference means, if any. */
  private resolve(ref: string): InstanceRow | undefined {
    this.running(this.instanceById.source);
    const row = this.instanceById.get(ref) as InstanceRow | undefined;
    if (row !== undefined) return row;
    this.running(this.instanceByName.source);
    return this.instanceByName.get(ref) as InstanceRow | undefined;
  }

  /** The last sequence number of a stream of the instance a reference means (0 when empty). */
  currentVersion(ref: string, stream: string): number {
    const row = this.resolve(ref);
    return row === undefined ? 0 : this.version(row.key as number, stream);
  }

  /** The last sequence number of a stream (0 when empty). */
  private version(pk: number, stream: string): number {
    return this.head(pk, stream).version;
  }

  /** A stream's version (its last sequence number, or the floor a removal kept) and whether it holds events. */
  private head(pk: number, stream: string): { version: number; holdsEvents: boolean } {
    this.running(this.streamHead.source);
    const row = this.streamHead.get(pk, stream, pk, stream) as {
      last: number | null;
      floor: number | null;
    };
    return { version: Math.max(row.last ?? 0, row.floor ?? 0), holdsEvents: row.last !== null };
  }

  /**
   * Decides and writes a group of calls to one instance reference; call it inside
   * `BEGIN IMMEDIATE`. Nothing is settled here: the caller settles the calls once the transaction
   * committed (a failed commit must not have told anyone their events are stored). Throws
   * `NOT_FOUND` when the instance is missing and no call may create it.
   */
  appendGroup(ref: string, group: readonly PendingAppend[]): WrittenGroup {
    let row = this.resolve(ref);
    if (row === undefined) {
      const creator = group.find((p) => p.request.autoCreate);
      if (creator === undefined) throw instanceNotFound(ref);
      const now = creator.request.now;
      this.running(this.autoCreate.source);
      this.autoCreate.run(ref, ref, now, now, ref, ref);
      row = this.resolve(ref);
      if (row === undefined) throw storageError(`Could not create instance "${ref}".`);
    }
    const pk = row.key as number;
    const instanceId = row.id;
    const retained = row.max_age_ms != null || row.max_events != null;

    const stored = new Map<string, EventRecord>();
    const eventIds = eventIdsOfGroup(group);
    if (eventIds.length > 0) {
      this.running(this.eventsByEventId.source);
      for (const r of this.eventsByEventId.all(pk, JSON.stringify(eventIds)) as Row[]) {
        const record = decodeEvent(r, instanceId, this.dialect);
        stored.set(record.eventId as string, record);
      }
    }
    const versions = new Map<string, number>();
    const emptyStreams = new Set<string>();
    for (const pending of group) {
      let previous: string | undefined; // events of one stream come in runs: skip the map within one
      for (const event of pending.request.events) {
        if (event.streamId === previous || versions.has(event.streamId)) continue;
        previous = event.streamId;
        const head = this.head(pk, event.streamId);
        versions.set(event.streamId, head.version);
        if (!head.holdsEvents) emptyStreams.add(event.streamId);
      }
    }
    const conditionMatches = new Map<PendingAppend, number | null>();
    for (const pending of group) {
      const condition = pending.request.condition;
      if (condition === undefined) continue;
      const probe = conditionProbe(this.dialect, SQLITE_EVENT_LAYOUT, condition, (bind) => bind(pk));
      this.running(probe.sql);
      const [match] = this.prepare(probe.sql).all(...probe.params) as Array<{ p: number | null }>;
      conditionMatches.set(pending, match?.p ?? null);
    }
    const plan = decideAppends(group, { stored, versions, conditionMatches });
    if (plan.rows.length === 0) {
      // Nothing to write (duplicates and conflicts only): roll back, an auto-created instance too.
      throw new NothingWritten({
        decisions: plan.decisions,
        records: [],
        deferred: plan.deferred,
        instanceId,
        retained,
      });
    }
    const positions = this.insert(pk, plan.rows);
    this.count(pk, plan.rows, emptyStreams);
    for (const write of kvWritesOf(plan.decisions)) {
      const upsert = this.S.kvUpsert(write.namespace, write.key, JSON.stringify(write.value));
      this.running(upsert.sql);
      this.prepare(upsert.sql).run(...upsert.params);
    }
    return {
      decisions: plan.decisions,
      records: insertedRecords(plan.rows, instanceId, positions),
      deferred: plan.deferred,
      instanceId,
      retained,
    };
  }

  /**
   * Adds the rows to the instance's counts by type, and the streams among `emptyStreams` they
   * write to its count of streams holding events (statistics read both).
   */
  private count(pk: number, rows: readonly PlannedRow[], emptyStreams: ReadonlySet<string>): void {
    const byType = new Map<string, number>();
    const newStreams = new Set<string>();
    let stream: string | undefined; // events of one stream come in runs: one look per run
    for (const { event } of rows) {
      byType.set(event.eventType, (byType.get(event.eventType) ?? 0) + 1);
      if (event.streamId !== stream) {
        stream = event.streamId;
        if (emptyStreams.has(stream)) newStreams.add(stream);
      }
    }
    const statement = this.S.countEvents(pk, '', 0);
    this.running(statement.sql);
    const prepared = this.prepare(statement.sql);
    for (const [type, n] of byType) prepared.run(pk, type, n);
    if (newStreams.size > 0) {
      this.running(this.countStreams.source);
      this.countStreams.run(pk, newStreams.size);
    }
  }

  /** Inserts the rows in order; returns their positions. */
  private insert(pk: number, rows: readonly PlannedRow[]): number[] {
    const n = rows.length;
    const positions = new Array<number>(n);
    const jsonb = this.jsonb;
    this.running(this.insertEvent.source);
    for (let i = 0; i < n; i++) {
      const { event, sequence } = rows[i] as PlannedRow;
      jsonb.reset(); // better-sqlite3 copies bound blobs: the buffer is free again after each insert
      // The values as arguments, in EVENT_COLUMNS order: better-sqlite3 binds them 0.2–0.3 µs per
      // row faster than from one array (300,000 ten-column inserts, alternating).
      const inserted = this.insertEvent.run(
        pk,
        event.streamId,
        sequence,
        event.eventType,
        event.id,
        event.eventId ?? null,
        event.timestamp,
        jsonb.encode(event.payload),
        isEmptyMetadata(event.metadata) ? EMPTY_OBJECT_JSONB : jsonb.encode(event.metadata),
        event.tags === undefined ? null : JSON.stringify(event.tags),
      );
      positions[i] = Number(inserted.lastInsertRowid);
    }
    // The tag index: one row per tag, in the same transaction.
    for (let k = 0; k < n; k++) {
      const tags = (rows[k] as PlannedRow).event.tags;
      if (tags === undefined) continue;
      this.running(this.insertTag.source);
      for (const tag of tags) this.insertTag.run(pk, tag, positions[k]);
    }
    return positions;
  }
}
