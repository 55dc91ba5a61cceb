/**
 * How the append statements receive events: one jsonb parameter, an array with one small object
 * per event, expanded server-side by `jsonb_to_recordset`, plus the values shared by the batch as
 * scalars.
 *
 * Why: postgres.js escapes every element of an array parameter in JavaScript (a regex pass per
 * string), which made a text array per column the biggest client-side cost of a batch. One
 * `JSON.stringify` of the whole batch costs a fraction of that, and leaving out what every event
 * of the batch shares (its stream, its timestamp, empty metadata) keeps the document PostgreSQL
 * parses small. Keys are one or two letters: they are repeated for every event.
 */

import type { JsonObject, NewEvent } from '@eventlog/core';
import { isEmptyMetadata } from '@eventlog/sql';

/** One event as sent: absent keys take the batch's values (see {@link EncodedEvents}). */
export interface EventJsonRow {
  /** Record id. */
  i: string;
  /** Event type. */
  t: string;
  /** Payload. */
  p: JsonObject;
  /** Stream, when not the batch's `stream`. */
  s?: string;
  /** Timestamp, when not the batch's `timestamp`. */
  ts?: string;
  /** Metadata, when not empty. */
  m?: JsonObject;
  /** Sequence number (the general path decides them in JavaScript). */
  q?: number;
  /** Ordinal of the event within its stream in this batch, from 1 (the one-round-trip path adds it to the stream's version). */
  n?: number;
  /** eventId, when given. */
  e?: string;
  /** Tags, when the event has some. */
  g?: string[];
}

/** A batch of events, encoded. */
export interface EncodedEvents {
  rows: EventJsonRow[];
  /** Whether some event has tags (the insert then fills the tag table too). */
  tagged: boolean;
  /** The first event's stream: the stream of every row without `s`. */
  stream: string;
  /** The first event's timestamp: the timestamp of every row without `ts`. */
  timestamp: string;
  /** The distinct streams, in first-seen order. */
  streams: string[];
}

/**
 * The columns `jsonb_to_recordset` reads from {@link EventJsonRow}s, for `rows from (...)`.
 * Statements take what they need: `coalesce(r.s, <stream>)`, `coalesce(r.m, '{}')`, …
 */
export const EVENT_JSON_COLUMNS =
  'i text, t text, p jsonb, s text, ts text, m jsonb, q int8, n int8, e text, g jsonb';

/**
 * Encodes events for the append statements. With `sequences` (one per event), rows carry them as
 * `q`; without, rows carry their ordinal within their stream as `n`.
 */
export function encodeEvents(events: readonly NewEvent[], sequences?: readonly number[]): EncodedEvents {
  const first = events[0];
  if (first === undefined) throw new TypeError('encodeEvents needs at least one event.');
  const { streamId: stream, timestamp } = first;
  const counts = new Map<string, number>();
  const rows = new Array<EventJsonRow>(events.length);
  let tagged = false;
  for (let k = 0; k < events.length; k++) {
    const event = events[k] as NewEvent;
    const row: EventJsonRow = { i: event.id, t: event.eventType, p: event.payload };
    if (event.streamId !== stream) row.s = event.streamId;
    if (event.timestamp !== timestamp) row.ts = event.timestamp;
    if (!isEmptyMetadata(event.metadata)) row.m = event.metadata;
    const n = (counts.get(event.streamId) ?? 0) + 1;
    counts.set(event.streamId, n);
    if (sequences === undefined) row.n = n;
    else row.q = sequences[k] as number;
    if (event.eventId !== undefined) row.e = event.eventId;
    if (event.tags !== undefined) {
      row.g = event.tags;
      tagged = true;
    }
    rows[k] = row;
  }
  return { rows, stream, timestamp, streams: [...counts.keys()], tagged };
}
