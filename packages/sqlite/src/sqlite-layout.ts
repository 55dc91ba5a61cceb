/**
 * The SQLite tables as the shared SQL code sees them (see `schema.ts` for the tables themselves):
 * events reference instances by the instances table's private integer `pk`.
 */

import {
  DEFAULT_EVENT_COLUMNS,
  type EventTableLayout,
  SQLITE_CANONICAL_JSON_FUNCTION,
  type StoreTablesLayout,
  sqliteDialect,
} from '@eventlog/sql';

/** The events table as the query compiler sees it: the instance column holds the private `pk`. */
export const SQLITE_EVENT_LAYOUT: Readonly<EventTableLayout> = Object.freeze({
  table: 'events',
  columns: { ...DEFAULT_EVENT_COLUMNS, instance: 'instance_pk' },
  tagTable: { table: 'event_tags', instance: 'instance_pk', tag: 'tag', position: 'global_position' },
  typeCounts: { table: 'event_type_counts', instance: 'instance_pk', type: 'event_type', count: 'n' },
  streamCounts: { table: 'instance_stream_counts', instance: 'instance_pk', count: 'n' },
});

/** The store's tables. */
export const SQLITE_STORE_LAYOUT: Readonly<StoreTablesLayout> = Object.freeze({
  instances: 'instances',
  events: 'events',
  kv: 'kv',
  eventsInstanceColumn: 'instance_pk',
  eventTags: 'event_tags',
  eventTagsInstanceColumn: 'instance_pk',
  instanceKey: 'pk',
  instanceOrder: 'pk',
  streamFloors: 'stream_floors',
  eventTypeCounts: 'event_type_counts',
  streamCounts: 'instance_stream_counts',
  documentParameter: (placeholder: string) => `jsonb(${placeholder})`,
  positionsParameter: (placeholder: string) => `SELECT value FROM json_each(${placeholder})`,
  stringsParameter: (placeholder: string) => `SELECT value FROM json_each(${placeholder})`,
});

/** The dialect: payloads stored as JSONB, object group keys through a registered function. */
export function sqliteStoreDialect() {
  return sqliteDialect({ documents: 'jsonb', canonicalJsonFunction: SQLITE_CANONICAL_JSON_FUNCTION });
}
