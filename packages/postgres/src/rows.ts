/** Rows as postgres.js returns them, and their conversion to the API's records. */

import type { EventRecord, Instance, JsonObject } from '@eventlog/core';

/** The event columns, in the order {@link EventRow} lists them. */
export const EVENT_COLUMNS =
  'global_position, id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp, event_id';

/** A row of `events` (int8 columns already parsed to numbers, jsonb to values). */
export interface EventRow {
  global_position: number;
  id: string;
  instance_id: string;
  stream_id: string;
  sequence_number: number;
  event_type: string;
  payload: JsonObject;
  metadata: JsonObject;
  timestamp: string;
  event_id: string | null;
}

/** An event row as the API's record. */
export function toEventRecord(row: EventRow): EventRecord {
  const record: EventRecord = {
    id: row.id,
    instanceId: row.instance_id,
    stream_id: row.stream_id,
    event_type: row.event_type,
    payload: row.payload,
    metadata: row.metadata,
    timestamp: row.timestamp,
    sequence_number: row.sequence_number,
    global_position: row.global_position,
  };
  if (row.event_id !== null) record.eventId = row.event_id;
  return record;
}

/** The instance columns, in the order {@link InstanceRow} lists them. */
export const INSTANCE_COLUMNS = 'id, name, description, created_at, updated_at';

/** A row of `instances`. */
export interface InstanceRow {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

/** An instance row as the API's record (no `description` key when there is none). */
export function toInstance(row: InstanceRow): Instance {
  const instance: Instance = {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.description !== null) instance.description = row.description;
  return instance;
}
