/**
 * The PostgreSQL tables as the shared SQL code sees them (see `schema.ts` for the tables
 * themselves): events reference instances by their public id, in the adapter's schema.
 */

import {
  DEFAULT_EVENT_COLUMNS,
  type EventTableLayout,
  postgresDialect,
  type StoreTablesLayout,
} from '@eventlog/sql';

/** The compiler's dialect (postgres.js returns jsonb parsed). */
export const POSTGRES_DIALECT = postgresDialect();

/** The events table of a schema, as the query compiler sees it. */
export function postgresEventLayout(schema: string): EventTableLayout {
  return {
    table: [schema, 'events'],
    columns: DEFAULT_EVENT_COLUMNS,
    tagTable: {
      table: [schema, 'event_tags'],
      instance: 'instance_id',
      tag: 'tag',
      position: 'global_position',
    },
    typeCounts: {
      table: [schema, 'event_type_counts'],
      instance: 'instance_id',
      type: 'event_type',
      count: 'n',
    },
    streamCounts: {
      table: [schema, 'instance_stream_counts'],
      instance: 'instance_id',
      count: 'n',
    },
  };
}

/** The sequence of a schema's `global_position` identity column, as an SQL expression. */
const POSITIONS = (schema: string) => {
  const table = `"${schema.replaceAll('"', '""')}".events`;
  return `pg_get_serial_sequence('${table.replaceAll("'", "''")}', 'global_position')`;
};

/** The store's tables in a schema. */
export function postgresStoreLayout(schema: string): StoreTablesLayout {
  return {
    instances: [schema, 'instances'],
    events: [schema, 'events'],
    kv: [schema, 'kv'],
    eventsInstanceColumn: 'instance_id',
    eventTags: [schema, 'event_tags'],
    eventTagsInstanceColumn: 'instance_id',
    instanceKey: 'id',
    instanceOrder: 'ord',
    // JSON travels as text and is cast, independent of the driver's jsonb serializers.
    jsonParameter: (placeholder) => `${placeholder}::text::jsonb`,
    streamFloors: [schema, 'stream_floors'],
    eventTypeCounts: [schema, 'event_type_counts'],
    streamCounts: [schema, 'instance_stream_counts'],
    positionsParameter: (placeholder) =>
      `SELECT jsonb_array_elements_text(${placeholder}::text::jsonb)::int8`,
    stringsParameter: (placeholder) => `SELECT jsonb_array_elements_text(${placeholder}::text::jsonb)`,
    explicitPosition: 'OVERRIDING SYSTEM VALUE',
    // setval is not transactional: a rolled-back import leaves the counter moved, which only
    // skips positions (never reuses one).
    advancePositions: `SELECT setval(${POSITIONS(schema)}, greatest(?::int8, coalesce(pg_sequence_last_value(${POSITIONS(schema)}::regclass), 0)))`,
  };
}
