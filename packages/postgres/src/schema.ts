/**
 * The PostgreSQL schema of Event Log, defined with drizzle pg-core.
 *
 * The tables here are unqualified: drizzle-kit generates the committed migrations from them
 * (`drizzle/`), and the migrator applies those migrations inside the schema chosen at run time
 * (option `schema`, default `eventlog`). {@link tablesFor} builds the same tables bound to that
 * schema for drizzle queries.
 *
 * Choices worth knowing:
 * - Text columns use the `C` collation, so comparisons and ORDER BY are by Unicode code point
 *   whatever the database's default collation is (the DSL's string order).
 * - Timestamps are the canonical `YYYY-MM-DDTHH:mm:ss.sssZ` text: fixed width, so string order is
 *   instant order, and they come back exactly as the API returns them.
 * - `global_position` is an identity column without a cache: values are handed out in call order,
 *   which the per-instance advisory lock turns into commit order (see README, "Ordering").
 * - There is no foreign key from events to instances: appends and deletes of one instance
 *   serialize on the instance's advisory lock and check the instance under it, and a foreign key
 *   would cost a lookup and a row lock per inserted event.
 */

import type { JsonObject, JsonValue } from '@eventlog/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  customType,
  index,
  jsonb,
  type PgColumnBuilderBase,
  pgSchema,
  pgTable,
  primaryKey,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** `text COLLATE "C"`: compared and sorted by code point. */
export const ctext = customType<{ data: string }>({
  dataType() {
    return 'text COLLATE "C"';
  },
});

/** The name of the (instance, stream, sequence) unique key: its violation is a version CONFLICT. */
export const STREAM_SEQUENCE_KEY = 'events_stream_sequence_key';

/** The name of the (instance, eventId) unique key. */
export const EVENT_ID_KEY = 'events_event_id_key';

/** The name of the instances' name unique key. */
export const INSTANCE_NAME_KEY = 'instances_name_key';

function instanceColumns() {
  return {
    id: ctext('id').primaryKey(),
    name: ctext('name').notNull(),
    description: ctext('description'),
    createdAt: ctext('created_at').notNull(),
    updatedAt: ctext('updated_at').notNull(),
    /** Creation order, for `listInstances` (oldest first). */
    ord: bigint('ord', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    /** Retention (SPEC §9): events older than this many milliseconds are expired; NULL: no rule. */
    retentionMaxAgeMs: bigint('retention_max_age_ms', { mode: 'number' }),
    /** Retention: a stream keeps its newest this-many events visible; NULL: no rule. */
    retentionMaxEvents: bigint('retention_max_events', { mode: 'number' }),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function eventColumns() {
  return {
    globalPosition: bigint('global_position', { mode: 'number' })
      .primaryKey()
      .generatedAlwaysAsIdentity({ cache: 1 }),
    id: ctext('id').notNull(),
    instanceId: ctext('instance_id').notNull(),
    streamId: ctext('stream_id').notNull(),
    sequenceNumber: bigint('sequence_number', { mode: 'number' }).notNull(),
    eventType: ctext('event_type').notNull(),
    payload: jsonb('payload').$type<JsonObject>().notNull(),
    metadata: jsonb('metadata').$type<JsonObject>().notNull(),
    timestamp: ctext('timestamp').notNull(),
    eventId: ctext('event_id'),
    /** The event's tags as a jsonb array of strings, or NULL when it has none (SPEC §8). */
    tags: jsonb('tags').$type<string[]>(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function eventTagColumns() {
  return {
    instanceId: ctext('instance_id').notNull(),
    tag: ctext('tag').notNull(),
    globalPosition: bigint('global_position', { mode: 'number' }).notNull(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function streamFloorColumns() {
  return {
    instanceId: ctext('instance_id').notNull(),
    streamId: ctext('stream_id').notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function eventTypeCountColumns() {
  return {
    instanceId: ctext('instance_id').notNull(),
    eventType: ctext('event_type').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function instanceStreamCountColumns() {
  return {
    instanceId: ctext('instance_id').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

function kvColumns() {
  return {
    namespace: ctext('namespace').notNull(),
    key: ctext('key').notNull(),
    value: jsonb('value').$type<JsonValue>().notNull(),
    version: bigint('version', { mode: 'number' }).notNull(),
  } satisfies Record<string, PgColumnBuilderBase>;
}

// The table builders are written once and bound either to no schema (for drizzle-kit) or to the
// run-time schema (for queries); `table` is `pgTable` or `pgSchema(name).table`.
function buildTables(table: typeof pgTable) {
  const instances = table('instances', instanceColumns(), (t) => [uniqueIndex(INSTANCE_NAME_KEY).on(t.name)]);
  const events = table('events', eventColumns(), (t) => [
    uniqueIndex(STREAM_SEQUENCE_KEY).on(t.instanceId, t.streamId, t.sequenceNumber),
    uniqueIndex(EVENT_ID_KEY).on(t.instanceId, t.eventId).where(sql`${t.eventId} IS NOT NULL`),
    index('events_instance_position_idx').on(t.instanceId, t.globalPosition),
    index('events_instance_type_idx').on(t.instanceId, t.eventType, t.globalPosition),
    index('events_instance_timestamp_idx').on(t.instanceId, t.timestamp, t.globalPosition),
  ]);
  // One row per tag of an event: `tags contains` and conditions find tagged events by index range.
  const eventTags = table('event_tags', eventTagColumns(), (t) => [
    primaryKey({ name: 'event_tags_pkey', columns: [t.instanceId, t.tag, t.globalPosition] }),
  ]);
  // The version of streams whose events were removed: a stream continues from it (SPEC §9).
  const streamFloors = table('stream_floors', streamFloorColumns(), (t) => [
    primaryKey({ name: 'stream_floors_pkey', columns: [t.instanceId, t.streamId] }),
  ]);
  // How many events of each type an instance holds, kept by every write: statistics read it.
  const eventTypeCounts = table('event_type_counts', eventTypeCountColumns(), (t) => [
    primaryKey({ name: 'event_type_counts_pkey', columns: [t.instanceId, t.eventType] }),
  ]);
  // How many streams of an instance hold at least one event (absent row: none), kept by every
  // write: statistics read it instead of walking the streams.
  const instanceStreamCounts = table('instance_stream_counts', instanceStreamCountColumns(), (t) => [
    primaryKey({ name: 'instance_stream_counts_pkey', columns: [t.instanceId] }),
  ]);
  const kv = table('kv', kvColumns(), (t) => [
    primaryKey({ name: 'kv_pkey', columns: [t.namespace, t.key] }),
  ]);
  return { instances, events, eventTags, streamFloors, eventTypeCounts, instanceStreamCounts, kv };
}

/** Event Log's tables, unqualified: the source drizzle-kit generates the migrations from. */
export const { instances, events, eventTags, streamFloors, eventTypeCounts, instanceStreamCounts, kv } =
  buildTables(pgTable);

/** The tables bound to a schema. */
export type Tables = ReturnType<typeof buildTables>;

/** Event Log's tables in the PostgreSQL schema `schema`, for drizzle queries. */
export function tablesFor(schema: string): Tables {
  if (schema === 'public') return buildTables(pgTable);
  return buildTables(pgSchema(schema).table as unknown as typeof pgTable);
}
