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
}

/** Where the events live. */
export interface EventTableLayout {
  /** The table: one name, or `[schema, table]`. Quoted by the dialect. */
  table: string | readonly string[];
  columns: EventColumns;
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
});

/** The default layout: table `events` with {@link DEFAULT_EVENT_COLUMNS}. */
export const DEFAULT_EVENT_TABLE: Readonly<EventTableLayout> = Object.freeze({
  table: 'events',
  columns: DEFAULT_EVENT_COLUMNS,
});
