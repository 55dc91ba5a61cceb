/**
 * Rows → event records. Statements select event columns under fixed aliases
 * ({@link EVENT_ALIASES}), so decoding does not depend on the adapter's column names.
 */

import type { Column, EventRecord, JsonObject } from '@eventlog/core';
import type { QualifiedColumns } from './field-ref.js';
import type { Row } from './query-program.js';
import type { SqlDialect } from './sql-dialect.js';

/** The alias of each selected event column. */
export const EVENT_ALIASES = Object.freeze({
  globalPosition: 'gp',
  id: 'id',
  streamId: 'sid',
  sequenceNumber: 'seq',
  eventType: 'typ',
  timestamp: 'ts',
  payload: 'pl',
  metadata: 'md',
  eventId: 'evid',
  tags: 'tg',
} as const);

type SelectableColumn = Exclude<Column, 'instanceId'>;

const COLUMN_KEYS: Readonly<Record<SelectableColumn, keyof typeof EVENT_ALIASES>> = {
  id: 'id',
  stream_id: 'streamId',
  event_type: 'eventType',
  timestamp: 'timestamp',
  sequence_number: 'sequenceNumber',
  global_position: 'globalPosition',
  payload: 'payload',
  metadata: 'metadata',
  tags: 'tags',
};

/** The SELECT list of whole event records. */
export function eventSelectList(dialect: SqlDialect, columns: QualifiedColumns): string {
  return [
    `${columns.globalPosition} AS ${EVENT_ALIASES.globalPosition}`,
    `${columns.id} AS ${EVENT_ALIASES.id}`,
    `${columns.streamId} AS ${EVENT_ALIASES.streamId}`,
    `${columns.sequenceNumber} AS ${EVENT_ALIASES.sequenceNumber}`,
    `${columns.eventType} AS ${EVENT_ALIASES.eventType}`,
    `${columns.timestamp} AS ${EVENT_ALIASES.timestamp}`,
    `${dialect.selectDocument(columns.payload)} AS ${EVENT_ALIASES.payload}`,
    `${dialect.selectDocument(columns.metadata)} AS ${EVENT_ALIASES.metadata}`,
    `${columns.eventId} AS ${EVENT_ALIASES.eventId}`,
    `${dialect.selectDocument(columns.tags)} AS ${EVENT_ALIASES.tags}`,
  ].join(', ');
}

/**
 * The SELECT list of the given columns only (for `select` projections); `global_position` is
 * always included. `instanceId` needs no column: it is the queried instance.
 */
export function partialSelectList(
  dialect: SqlDialect,
  columns: QualifiedColumns,
  wanted: ReadonlySet<Column>,
): string {
  const parts = [`${columns.globalPosition} AS ${EVENT_ALIASES.globalPosition}`];
  for (const column of wanted) {
    if (column === 'instanceId' || column === 'global_position') continue;
    const key = COLUMN_KEYS[column];
    const sql =
      key === 'payload' || key === 'metadata' || key === 'tags'
        ? dialect.selectDocument(columns[key])
        : columns[key];
    parts.push(`${sql} AS ${EVENT_ALIASES[key]}`);
  }
  return parts.join(', ');
}

/** Decodes a row of {@link eventSelectList}. */
export function decodeEvent(row: Row, instanceId: string, dialect: SqlDialect): EventRecord {
  const record: EventRecord = {
    id: row.id as string,
    instanceId,
    stream_id: row.sid as string,
    event_type: row.typ as string,
    payload: dialect.decodeJson(row.pl) as JsonObject,
    metadata: dialect.decodeJson(row.md) as JsonObject,
    timestamp: row.ts as string,
    sequence_number: Number(row.seq),
    global_position: Number(row.gp),
  };
  const eventId = row.evid;
  if (eventId !== null && eventId !== undefined) record.eventId = eventId as string;
  const tags = row.tg;
  if (tags !== null && tags !== undefined) record.tags = dialect.decodeJson(tags) as string[];
  return record;
}

/** Decodes a row of {@link partialSelectList} into a record holding only the wanted columns. */
export function decodePartialEvent(
  row: Row,
  instanceId: string,
  dialect: SqlDialect,
  wanted: ReadonlySet<Column>,
): Partial<EventRecord> {
  const record: Record<string, unknown> = {};
  for (const column of wanted) {
    switch (column) {
      case 'instanceId':
        record.instanceId = instanceId;
        break;
      case 'payload':
        record.payload = dialect.decodeJson(row.pl);
        break;
      case 'metadata':
        record.metadata = dialect.decodeJson(row.md);
        break;
      case 'sequence_number':
        record.sequence_number = Number(row.seq);
        break;
      case 'global_position':
        record.global_position = Number(row.gp);
        break;
      case 'tags':
        if (row.tg !== null && row.tg !== undefined) record.tags = dialect.decodeJson(row.tg);
        break;
      default:
        record[column] = row[EVENT_ALIASES[COLUMN_KEYS[column]]];
    }
  }
  return record as Partial<EventRecord>;
}
