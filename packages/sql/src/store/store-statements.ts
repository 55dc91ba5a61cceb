/**
 * The fixed statements of the event store that are the same on every SQL database: the instance
 * catalog and the key-value store. They are written once, with `?` where values go, and rendered
 * for a dialect (placeholders, quoted and schema-qualified table names) when a driver opens.
 */

import type { CompiledStatement } from '../compiler/params.js';
import type { Row } from '../compiler/query-program.js';
import { type Bind, leadingEquals, type SqlDialect } from '../compiler/sql-dialect.js';

/**
 * A statement of the store. With `changes`, the driver answers with one row `{ changes }`: the
 * number of rows the statement wrote (for deletes whose rows nobody needs back).
 */
export interface StoreStatement extends CompiledStatement {
  readonly changes?: true;
}

/** Where the store's tables are and how events reference instances. */
export interface StoreTablesLayout {
  /** The instances table: one name, or `[schema, table]`. */
  instances: string | readonly string[];
  /** The key-value table. */
  kv: string | readonly string[];
  /** The events table. */
  events: string | readonly string[];
  /** The events table's column referencing the instance (holding the instance key). */
  eventsInstanceColumn: string;
  /** The tag table (one row per tag of an event) and its instance column. */
  eventTags: string | readonly string[];
  eventTagsInstanceColumn: string;
  /**
   * The instances column whose value the events table holds: `id` (the public id) or a private
   * surrogate key (SQLite's integer `pk`).
   */
  instanceKey: string;
  /** The instances column that orders instances created in the same millisecond (creation order). */
  instanceOrder: string;
  /** Wraps the placeholder of a JSON text parameter (PostgreSQL: `?::text::jsonb`). */
  jsonParameter?(placeholder: string): string;
  /** Wraps the placeholder of a payload or metadata JSON text (SQLite: `jsonb(?)`). */
  documentParameter?(placeholder: string): string;
  /** The table of stream versions that outlive their events (see `schema.ts`). */
  streamFloors: string | readonly string[];
  /** A subquery of the positions in a JSON array parameter (SQLite: `SELECT value FROM json_each(?)`). */
  positionsParameter(placeholder: string): string;
  /** The table of event counts per instance and type (see `TypeCountsLayout`). */
  eventTypeCounts: string | readonly string[];
  /** The table of stream counts per instance (see `StreamCountsLayout`): columns (instance, n). */
  streamCounts: string | readonly string[];
  /** A subquery of the strings in a JSON array parameter (SQLite: `SELECT value FROM json_each(?)`). */
  stringsParameter(placeholder: string): string;
  /**
   * Written between an insert's column list and `VALUES` when it gives `global_position` itself
   * (PostgreSQL's identity column is `GENERATED ALWAYS`: `OVERRIDING SYSTEM VALUE`).
   */
  explicitPosition?: string;
  /**
   * A statement with one `?` (the highest position written by hand) that moves the position
   * counter to at least it, so appends never reuse a position. None when the counter follows by
   * itself (SQLite's AUTOINCREMENT keeps the highest rowid ever used).
   */
  advancePositions?: string;
}

/** An instance row as the catalog statements return it. */
export interface InstanceRow extends Row {
  /** The instance key events reference (the id, or a surrogate key). */
  key: string | number;
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  /** Retention rules (bigint columns may come back as strings). */
  max_age_ms: number | string | null;
  max_events: number | string | null;
}

/** Renders `?` markers as the dialect's placeholders, in order. */
function render(dialect: SqlDialect, text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => dialect.placeholder(++n));
}

/** A statement factory over a fixed text. */
function fixed(dialect: SqlDialect, text: string, changes = false) {
  const sql = render(dialect, text);
  return (...params: unknown[]): StoreStatement =>
    changes ? { sql, params, changes: true } : { sql, params };
}

/** The store's fixed statements, rendered for one dialect. */
export type StoreStatements = ReturnType<typeof buildStoreStatements>;

/**
 * Builds the fixed statements for a dialect and a table layout.
 *
 * Every text is built once; calling a statement only collects its values.
 */
export function buildStoreStatements(dialect: SqlDialect, layout: StoreTablesLayout) {
  const table = (name: string | readonly string[]) =>
    (typeof name === 'string' ? [name] : name).map((part) => dialect.quoteIdentifier(part)).join('.');
  const q = (name: string) => dialect.quoteIdentifier(name);
  const instances = table(layout.instances);
  const events = table(layout.events);
  const kv = table(layout.kv);
  const eventTags = table(layout.eventTags);
  const json = layout.jsonParameter ?? ((p: string) => p);
  const columns = `${q(layout.instanceKey)} AS key, id, name, description, created_at, updated_at, retention_max_age_ms AS max_age_ms, retention_max_events AS max_events`;
  const floors = table(layout.streamFloors);
  const typeCounts = table(layout.eventTypeCounts);
  const streamCounts = table(layout.streamCounts);
  const doc = layout.documentParameter ?? json;
  const eventsInstance = q(layout.eventsInstanceColumn);
  const s = (text: string, changes = false) => fixed(dialect, text, changes);
  // The sequence number an entry's value names in `version` (a snapshot's anchor, see
  // `kvAnchored`), from the column `n` of a subquery holding that number (NULL when not a number).
  // Nested so that the cast only sees numbers in range (PostgreSQL may evaluate AND in any order).
  const anchorOf = `CASE WHEN a.n >= 1 AND a.n <= ${Number.MAX_SAFE_INTEGER} THEN (CASE WHEN a.n = CAST(a.n AS BIGINT) THEN CAST(a.n AS BIGINT) END) END`;
  const versionNumber = dialect.jsonNumber({ doc: 'value', path: ['version'] });

  return {
    /** (id) The instance with this id. */
    instanceById: s(`SELECT ${columns} FROM ${instances} WHERE id = ?`),
    /** (name) The instance with this name. */
    instanceByName: s(`SELECT ${columns} FROM ${instances} WHERE name = ?`),
    /** (id) The key events reference the instance by (drivers whose events hold a private key). */
    instanceKeyById: s(`SELECT ${q(layout.instanceKey)} AS key FROM ${instances} WHERE id = ?`),
    /** (ref, ref, ref) The instance a reference means: by id first, then by name (SPEC §3). */
    instanceByRef: s(
      `SELECT ${columns} FROM ${instances} WHERE id = ? OR name = ? ORDER BY (id = ?) DESC LIMIT 1`,
    ),
    /** (a, b, a, b) The instances whose id or name is `a` or `b` (candidates for a clash). */
    instancesUsing: s(`SELECT ${columns} FROM ${instances} WHERE id IN (?, ?) OR name IN (?, ?)`),
    /** All instances, oldest first. */
    listInstances: s(`SELECT ${columns} FROM ${instances} ORDER BY created_at, ${q(layout.instanceOrder)}`),
    /** (id, name, description, createdAt, updatedAt) */
    insertInstance: s(
      `INSERT INTO ${instances} (id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    ),
    /**
     * (ref, ref, now, now, ref, ref) Creates the instance an append names (`autoCreateInstance`):
     * id = name = the reference, unless an instance uses it as its id or name (then nothing, and
     * no row back: someone created it meanwhile).
     */
    autoCreateInstance: s(
      `INSERT INTO ${instances} (id, name, created_at, updated_at)
       SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ${instances} WHERE id = ? OR name = ?)
       ON CONFLICT DO NOTHING RETURNING ${q(layout.instanceKey)} AS key`,
    ),
    /** (name, description, updatedAt, maxAgeMs, maxEvents, id) */
    updateInstance: s(
      `UPDATE ${instances} SET name = ?, description = ?, updated_at = ?, retention_max_age_ms = ?, retention_max_events = ? WHERE id = ?`,
    ),
    /** Every instance with a retention rule (for pruning). */
    instancesWithRetention: s(
      `SELECT ${columns} FROM ${instances} WHERE retention_max_age_ms IS NOT NULL OR retention_max_events IS NOT NULL`,
    ),

    /** (key, stream, key, stream) A stream's version: its last sequence number, or its floor. */
    streamVersion: s(
      `SELECT max(v) AS version FROM (
         SELECT max(sequence_number) AS v FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ?
         UNION ALL SELECT version AS v FROM ${floors} WHERE ${q(layout.eventsInstanceColumn)} = ? AND stream_id = ?) AS x`,
    ),
    /**
     * (key, stream, key, stream) A stream's last sequence number (`last`, null when it holds no
     * event) and the floor a removal kept (`floor`, null when none), apart: an appender learns the
     * version and whether the stream holds events (the stream count) in one read.
     */
    streamHead: s(
      `SELECT (SELECT max(sequence_number) FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ?) AS last,
         (SELECT version FROM ${floors} WHERE ${eventsInstance} = ? AND stream_id = ?) AS floor`,
    ),
    /** (key, stream, version) Keeps a stream's version when its events go. */
    keepStreamVersion: s(
      `INSERT INTO ${floors} AS f (${eventsInstance}, stream_id, version) VALUES (?, ?, ?)
       ON CONFLICT (${eventsInstance}, stream_id) DO UPDATE
       SET version = CASE WHEN excluded.version > f.version THEN excluded.version ELSE f.version END`,
    ),
    /** (key, stream, before) Deletes the tags of a stream's events below a sequence number. */
    deleteStreamTags: s(
      `DELETE FROM ${eventTags} WHERE ${q(layout.eventTagsInstanceColumn)} = ? AND global_position IN (
         SELECT global_position FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ? AND sequence_number < ?)`,
    ),
    /** (key, stream, before) Deletes a stream's events below a sequence number; `{ changes }`. */
    deleteStreamEvents: s(
      `DELETE FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ? AND sequence_number < ?`,
      true,
    ),
    /**
     * (key, stream, seq, type, id, timestamp, payload, key) Appends a `$system` event inside a
     * write transaction that holds the instance's lock; answers its position.
     */
    insertSystemEvent: s(
      `INSERT INTO ${events} (${eventsInstance}, stream_id, sequence_number, event_type, id, timestamp, payload, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ${doc('?')}, ${doc("'{}'")}) RETURNING global_position`,
    ),
    /** (key, minTimestamp, limit) The oldest expired-by-age events of an instance. */
    expiredByAge: s(
      `SELECT global_position AS p, stream_id AS s FROM ${events} WHERE ${eventsInstance} = ? AND timestamp < ?
       ORDER BY timestamp LIMIT ?`,
    ),
    /**
     * (key, maxEvents, limit) The oldest events with at least maxEvents newer ones in their stream.
     * In the (instance, position) index's order, whatever the plan knows of the instance (see
     * `SqlDialect.leadingEquals`): ordered by position alone, PostgreSQL's generic plan walked
     * the primary key, past every event of other instances, to the table's end when few expired.
     */
    expiredByCount: s(
      `SELECT e.global_position AS p, e.stream_id AS s FROM ${events} AS e WHERE ${leadingEquals(dialect, `e.${eventsInstance}`, '?')}
       AND EXISTS (SELECT 1 FROM ${events} AS newer WHERE newer.${eventsInstance} = e.${eventsInstance}
         AND newer.stream_id = e.stream_id AND newer.sequence_number >= e.sequence_number + ?)
       ORDER BY e.${eventsInstance}, e.global_position LIMIT ?`,
    ),
    /** (positions JSON) The events at these positions, in any instance (an import's clashes). */
    eventsAt: s(
      `SELECT global_position AS p, id, ${eventsInstance} AS k FROM ${events} WHERE global_position IN (${layout.positionsParameter('?')})`,
    ),
    /** (key, stream, sequences JSON) Which of these sequence numbers the stream holds. */
    sequencesHeld: s(
      `SELECT sequence_number AS n FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ? AND sequence_number IN (${layout.positionsParameter('?')})`,
    ),
    /** (key, eventIds JSON) Which of these eventIds the instance holds. */
    eventIdsHeld: s(
      `SELECT event_id AS e FROM ${events} WHERE ${eventsInstance} = ? AND event_id IN (${layout.stringsParameter('?')})`,
    ),
    /**
     * (position, key, id, stream, seq, type, payload, metadata, timestamp, eventId, tags) Inserts
     * an event exactly as given, its position included (restoring an archive).
     */
    insertEventAt: s(
      `INSERT INTO ${events} (global_position, ${eventsInstance}, id, stream_id, sequence_number, event_type, payload, metadata, timestamp, event_id, tags)
       ${layout.explicitPosition ?? ''} VALUES (?, ?, ?, ?, ?, ?, ${doc('?')}, ${doc('?')}, ?, ?, ${json('?')})`,
    ),
    /** (key, tag, position) One tag row of an event. */
    insertTag: s(
      `INSERT INTO ${eventTags} (${q(layout.eventTagsInstanceColumn)}, tag, global_position) VALUES (?, ?, ?)`,
    ),
    /** (maxPosition) Moves the position counter past positions written by hand; none if it follows. */
    advancePositions: layout.advancePositions === undefined ? undefined : s(layout.advancePositions),
    /** (key, positions JSON) The streams of the instance's events at these positions. */
    streamsAt: s(
      `SELECT DISTINCT stream_id AS s FROM ${events} WHERE ${eventsInstance} = ? AND global_position IN (${layout.positionsParameter('?')})`,
    ),
    /** (key, positions JSON) Deletes the tags of events by position. */
    deleteTagsAt: s(
      `DELETE FROM ${eventTags} WHERE ${q(layout.eventTagsInstanceColumn)} = ? AND global_position IN (${layout.positionsParameter('?')})`,
    ),
    /** (key, positions JSON) Deletes events by position; `{ changes }`. */
    deleteEventsAt: s(
      `DELETE FROM ${events} WHERE ${eventsInstance} = ? AND global_position IN (${layout.positionsParameter('?')})`,
      true,
    ),
    /** (id) */
    deleteInstance: s(`DELETE FROM ${instances} WHERE id = ?`),
    /** (key, type, delta) Adds `delta` (negative: removes) to an instance's count of a type. */
    countEvents: s(
      `INSERT INTO ${typeCounts} AS c (${eventsInstance}, event_type, n) VALUES (?, ?, ?)
       ON CONFLICT (${eventsInstance}, event_type) DO UPDATE SET n = c.n + excluded.n`,
    ),
    /** (key) Deletes an instance's counts. */
    deleteTypeCounts: s(`DELETE FROM ${typeCounts} WHERE ${eventsInstance} = ?`),
    /** (key, delta) Adds `delta` (negative: removes) to an instance's count of streams holding events. */
    countStreams: s(
      `INSERT INTO ${streamCounts} AS c (${eventsInstance}, n) VALUES (?, ?)
       ON CONFLICT (${eventsInstance}) DO UPDATE SET n = c.n + excluded.n`,
    ),
    /** (key) Deletes an instance's stream count. */
    deleteStreamCounts: s(`DELETE FROM ${streamCounts} WHERE ${eventsInstance} = ?`),
    /** (key, stream) One row when the stream holds an event. */
    streamHoldsEvents: s(
      `SELECT 1 AS x FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ? LIMIT 1`,
    ),
    /** (key, stream, before) How many events of each type a removal of a stream takes. */
    typesInStream: s(
      `SELECT event_type AS t, count(*) AS n FROM ${events} WHERE ${eventsInstance} = ? AND stream_id = ? AND sequence_number < ? GROUP BY event_type`,
    ),
    /** (key, positions JSON) How many events of each type are at these positions. */
    typesAt: s(
      `SELECT event_type AS t, count(*) AS n FROM ${events} WHERE ${eventsInstance} = ? AND global_position IN (${layout.positionsParameter('?')}) GROUP BY event_type`,
    ),
    /** (key) Deletes the stream floors of an instance. */
    deleteStreamFloors: s(`DELETE FROM ${floors} WHERE ${eventsInstance} = ?`),
    /** (key) Deletes the tag rows of an instance's events. */
    deleteEventTags: s(`DELETE FROM ${eventTags} WHERE ${q(layout.eventTagsInstanceColumn)} = ?`, true),
    /** (key) Deletes an instance's events; answers `{ changes }`. */
    deleteEvents: s(`DELETE FROM ${events} WHERE ${q(layout.eventsInstanceColumn)} = ?`, true),

    /**
     * (namespace, key) The entry with `anchor`: the sequence number its value holds in `version`
     * when that is an integer from 1 to 2^53 − 1, else NULL (a stream's fold starts there: a snapshot).
     */
    kvAnchored: s(
      `SELECT a.value, a.version, ${anchorOf} AS anchor FROM (SELECT value, version, ${versionNumber} AS n FROM ${kv} WHERE namespace = ? AND key = ?) AS a`,
    ),
    /**
     * `kvAnchored`'s anchor as an SQL expression, its values through `bind`; `otherwise` (SQL)
     * without the entry or a usable anchor.
     */
    kvAnchorOf: (bind: Bind, namespace: string, key: string, otherwise: string) =>
      `coalesce((SELECT ${anchorOf} FROM (SELECT ${versionNumber} AS n FROM ${kv} WHERE namespace = ${bind(namespace)} AND key = ${bind(key)}) AS a), ${otherwise})`,
    /** The key of the instance `ref` names (ids first), as an SQL expression: NULL when none. */
    instanceKeyOf: (bind: Bind, ref: string) =>
      `(SELECT ${q(layout.instanceKey)} FROM ${instances} WHERE id = ${bind(ref)} OR name = ${bind(ref)} ORDER BY (id = ${bind(ref)}) DESC LIMIT 1)`,
    /** (namespace, key) */
    kvGet: s(`SELECT value, version FROM ${kv} WHERE namespace = ? AND key = ?`),
    /** (namespace) Keys in code point order (BINARY / "C" collation). */
    kvList: s(`SELECT key, value, version FROM ${kv} WHERE namespace = ? ORDER BY key`),
    /** (namespace, key) */
    kvVersion: s(`SELECT version FROM ${kv} WHERE namespace = ? AND key = ?`),
    /** (namespace, key, value) Writes whatever is there. */
    kvUpsert: s(
      `INSERT INTO ${kv} AS k (namespace, key, value, version) VALUES (?, ?, ${json('?')}, 1)
       ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = k.version + 1
       RETURNING version`,
    ),
    /** (namespace, key, value) Writes only when the key is absent. */
    kvInsertNew: s(
      `INSERT INTO ${kv} (namespace, key, value, version) VALUES (?, ?, ${json('?')}, 1)
       ON CONFLICT (namespace, key) DO NOTHING RETURNING version`,
    ),
    /** (value, namespace, key, expected) Writes only at the expected version. */
    kvUpdateIf: s(
      `UPDATE ${kv} SET value = ${json('?')}, version = version + 1
       WHERE namespace = ? AND key = ? AND version = ? RETURNING version`,
    ),
    /** (namespace, key) */
    kvDelete: s(`DELETE FROM ${kv} WHERE namespace = ? AND key = ? RETURNING version`),
    /** (namespace, key, expected) */
    kvDeleteIf: s(`DELETE FROM ${kv} WHERE namespace = ? AND key = ? AND version = ? RETURNING version`),
  };
}
