/**
 * The SQLite schema, defined with drizzle (sqlite-core). drizzle-kit generates the migrations in
 * `../drizzle/` from this file (`pnpm db:generate`); the adapter applies them on open. Runtime
 * statements are hand-written prepared SQL over these names (see `statements.ts`), because the hot
 * paths (append, query) must not pay for a query builder.
 *
 * Keep this file free of workspace imports: drizzle-kit loads it on its own.
 */

import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Instances. `pk` is a private surrogate key (AUTOINCREMENT, never reused) that events reference,
 * so each event row and index entry carries a small integer instead of the 36-character id.
 */
export const instances = sqliteTable('instances', {
  pk: integer('pk').primaryKey({ autoIncrement: true }),
  id: text('id').notNull().unique('instances_id_unique'),
  name: text('name').notNull().unique('instances_name_unique'),
  description: text('description'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
  /** Retention (SPEC §9): events older than this many milliseconds are expired; NULL: no rule. */
  retentionMaxAgeMs: integer('retention_max_age_ms'),
  /** Retention: a stream keeps its newest this-many events visible; NULL: no rule. */
  retentionMaxEvents: integer('retention_max_events'),
});

/**
 * Events. `global_position` is the rowid (AUTOINCREMENT: unique, increasing, never reused, even
 * after deletes). `payload` and `metadata` are SQLite JSONB blobs: JSON functions read them without
 * parsing text (filters and group-bys on payload fields ~2× faster than text, measured), and they
 * are turned back into text with `json()` when read.
 *
 * Every index starts with the instance, and implicitly ends with the rowid, so
 * `(instance_pk, event_type)` also serves "events of a type in position order" and
 * "count grouped by event_type" (covering).
 */
export const events = sqliteTable(
  'events',
  {
    globalPosition: integer('global_position').primaryKey({ autoIncrement: true }),
    instancePk: integer('instance_pk').notNull(),
    streamId: text('stream_id').notNull(),
    sequenceNumber: integer('sequence_number').notNull(),
    eventType: text('event_type').notNull(),
    id: text('id').notNull(),
    eventId: text('event_id'),
    /** The event's tags as a JSON array of strings, or NULL when it has none (SPEC §8). */
    tags: text('tags'),
    timestamp: text('timestamp').notNull(),
    payload: blob('payload', { mode: 'buffer' }).notNull(),
    metadata: blob('metadata', { mode: 'buffer' }).notNull(),
  },
  (t) => [
    uniqueIndex('events_stream_sequence').on(t.instancePk, t.streamId, t.sequenceNumber),
    index('events_instance_type').on(t.instancePk, t.eventType),
    index('events_instance_timestamp').on(t.instancePk, t.timestamp),
    uniqueIndex('events_instance_event_id').on(t.instancePk, t.eventId).where(sql`${t.eventId} IS NOT NULL`),
    index('events_instance_position').on(t.instancePk, t.globalPosition),
  ],
);

/** The key-value store (projection checkpoints, leases). `value` is JSON text. */
/**
 * One row per tag of an event, so `tags contains` and conditional appends find an instance's events
 * holding a tag by one index range instead of scanning its events. Declared WITHOUT ROWID in the
 * migration: the primary key is the table.
 */
export const eventTags = sqliteTable(
  'event_tags',
  {
    instancePk: integer('instance_pk').notNull(),
    tag: text('tag').notNull(),
    globalPosition: integer('global_position').notNull(),
  },
  (t) => [primaryKey({ name: 'event_tags_pk', columns: [t.instancePk, t.tag, t.globalPosition] })],
);

/**
 * The version (last sequence number) of streams whose events were removed (deleted, truncated or
 * pruned), so a stream continues from it when written again: a stream's version is the greater of
 * its last event's sequence number and this floor.
 */
export const streamFloors = sqliteTable(
  'stream_floors',
  {
    instancePk: integer('instance_pk').notNull(),
    streamId: text('stream_id').notNull(),
    version: integer('version').notNull(),
  },
  (t) => [primaryKey({ name: 'stream_floors_pk', columns: [t.instancePk, t.streamId] })],
);

/**
 * How many events of each type an instance holds, kept by every write in its transaction, so
 * statistics need not count the events (SPEC §3 stats, issue 10: costs that stay flat).
 */
export const eventTypeCounts = sqliteTable(
  'event_type_counts',
  {
    instancePk: integer('instance_pk').notNull(),
    eventType: text('event_type').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ name: 'event_type_counts_pk', columns: [t.instancePk, t.eventType] })],
);

/**
 * How many streams of an instance hold events, kept by every write in its transaction, so
 * statistics need not walk the streams (issue 10: `getInstanceStats` independent of the store's size).
 */
export const instanceStreamCounts = sqliteTable('instance_stream_counts', {
  instancePk: integer('instance_pk').primaryKey({ autoIncrement: false }),
  n: integer('n').notNull(),
});

export const kv = sqliteTable(
  'kv',
  {
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    value: text('value').notNull(),
    version: integer('version').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.key] })],
);
