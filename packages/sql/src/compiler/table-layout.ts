/**
 * The events table the compiler reads. Adapters choose the table and column names (a
 * schema-qualified table on PostgreSQL, for instance); the compiler only needs these columns.
 */

/** Column names of the events table. */
export interface EventColumns {
  /**
   * The instance key every query filters on (with `=` against a bound parameter). It may be the
   * instance's public id or an adapter-private surrogate key (an integer, say): the compiler takes
   * both from the caller.
   */
  instance: string;
  /** Integer, unique and increasing across the store: the event's `global_position`. */
  globalPosition: string;
  /** Text: the event record's `id`. */
  id: string;
  /** Text: `stream_id`. */
  streamId: string;
  /** Integer: `sequence_number`. */
  sequenceNumber: string;
  /** Text: `event_type`. */
  eventType: string;
  /** Text: the canonical ISO timestamp `YYYY-MM-DDTHH:mm:ss.sssZ` (so text order is time order). */
  timestamp: string;
  /** JSON object (text or JSONB on SQLite, jsonb on PostgreSQL): `payload`. */
  payload: string;
  /** JSON object: `metadata`. */
  metadata: string;
  /** Nullable text: the caller's `eventId`. */
  eventId: string;
  /**
   * Nullable JSON array of strings (text on SQLite, jsonb on PostgreSQL): the event's tags,
   * sorted and distinct, stored as `JSON.stringify` writes them (so equal arrays are equal text);
   * NULL when the event has none.
   */
  tags: string;
}

/**
 * The table with one row per tag of an event, which `tags contains` reads by index range: its
 * primary key (or an index) must lead with (instance, tag, position).
 */
export interface TagTableLayout {
  /** One name, or `[schema, table]`. */
  table: string | readonly string[];
  /** The instance key column (what the events table's instance column holds). */
  instance: string;
  tag: string;
  /** The event's global position. */
  position: string;
}

/** Where the events live. */
export interface EventTableLayout {
  /** The table: one name, or `[schema, table]`. Quoted by the dialect. */
  table: string | readonly string[];
  columns: EventColumns;
  /** Where an event's tags are indexed; needed to answer `tags contains`. */
  tagTable?: TagTableLayout;
  /**
   * Per-instance counts of events by type, kept by every write (statistics then read them
   * instead of counting the events, unless retention hides some).
   */
  typeCounts?: TypeCountsLayout;
  /**
   * Per-instance count of streams that hold events, kept by every write (statistics then read it
   * instead of walking the streams, unless retention hides some).
   */
  streamCounts?: StreamCountsLayout;
}

/** The table of stream counts: one row per instance, the number of its streams that hold events. */
export interface StreamCountsLayout {
  table: string | readonly string[];
  instance: string;
  count: string;
}

/** The table of event counts per instance and type. */
export interface TypeCountsLayout {
  table: string | readonly string[];
  instance: string;
  type: string;
  count: string;
}

/** The default column names (snake_case, as in the event record). */
export const DEFAULT_EVENT_COLUMNS: Readonly<EventColumns> = Object.freeze({
  instance: 'instance_id',
  globalPosition: 'global_position',
  id: 'id',
  streamId: 'stream_id',
  sequenceNumber: 'sequence_number',
  eventType: 'event_type',
  timestamp: 'timestamp',
  payload: 'payload',
  metadata: 'metadata',
  eventId: 'event_id',
  tags: 'tags',
});

/** The default layout: table `events` with {@link DEFAULT_EVENT_COLUMNS}. */
export const DEFAULT_EVENT_TABLE: Readonly<EventTableLayout> = Object.freeze({
  table: 'events',
  columns: DEFAULT_EVENT_COLUMNS,
  tagTable: Object.freeze({
    table: 'event_tags',
    instance: 'instance_id',
    tag: 'tag',
    position: 'global_position',
  }),
});
