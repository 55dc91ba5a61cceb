/**
 * How a DSL field maps onto the events table: a constant (the queried instance's id), a typed
 * column, a whole JSON document, or a path inside one.
 */

import { COLUMN_TYPES, type FieldNode } from '@eventlog/core';
import { assertJsonPath, type JsonRef, type SqlDialect } from './sql-dialect.js';
import type { EventColumns, EventTableLayout } from './table-layout.js';

/** A field resolved against the table. */
export type FieldRef =
  /** `instanceId`: every row of a query holds the same value, known at compile time. */
  | { readonly kind: 'constant'; readonly value: string }
  /** A typed, never-null column. `integer` columns hold safe integers only. */
  | {
      readonly kind: 'column';
      readonly sql: string;
      readonly type: 'string' | 'number';
      readonly integer: boolean;
    }
  /** A whole `payload` / `metadata` document: always a JSON object. */
  | { readonly kind: 'document'; readonly sql: string }
  /** A path below `payload` / `metadata`. */
  | { readonly kind: 'path'; readonly ref: JsonRef }
  /** `tags`: a JSON array of strings, or NULL (missing) when the event has none. */
  | { readonly kind: 'tags'; readonly sql: string };

/** The alias the compiler gives the events table in every statement. */
export const TABLE_ALIAS = 'e';

/** Quoted, alias-qualified column expressions of a layout. */
export type QualifiedColumns = { readonly [K in keyof EventColumns]: string };

/** Qualifies every column of `layout` with {@link TABLE_ALIAS}. */
export function qualifyColumns(dialect: SqlDialect, layout: EventTableLayout): QualifiedColumns {
  const q = (name: string) => `${TABLE_ALIAS}.${dialect.quoteIdentifier(name)}`;
  const c = layout.columns;
  return {
    instance: q(c.instance),
    globalPosition: q(c.globalPosition),
    id: q(c.id),
    streamId: q(c.streamId),
    sequenceNumber: q(c.sequenceNumber),
    eventType: q(c.eventType),
    timestamp: q(c.timestamp),
    payload: q(c.payload),
    metadata: q(c.metadata),
    eventId: q(c.eventId),
    tags: q(c.tags),
  };
}

/** The quoted table name of a layout (schema-qualified when given as `[schema, table]`). */
export function quoteTable(dialect: SqlDialect, layout: EventTableLayout): string {
  const parts = typeof layout.table === 'string' ? [layout.table] : layout.table;
  return parts.map((p) => dialect.quoteIdentifier(p)).join('.');
}

/** Resolves a field node. */
export function resolveField(field: FieldNode, columns: QualifiedColumns, instanceId: string): FieldRef {
  switch (field.column) {
    case 'instanceId':
      return { kind: 'constant', value: instanceId };
    case 'payload':
    case 'metadata': {
      const doc = field.column === 'payload' ? columns.payload : columns.metadata;
      if (field.path.length === 0) return { kind: 'document', sql: doc };
      assertJsonPath(field.path);
      return { kind: 'path', ref: { doc, path: field.path } };
    }
    case 'id':
      return { kind: 'column', sql: columns.id, type: COLUMN_TYPES.id, integer: false };
    case 'stream_id':
      return { kind: 'column', sql: columns.streamId, type: COLUMN_TYPES.stream_id, integer: false };
    case 'event_type':
      return { kind: 'column', sql: columns.eventType, type: COLUMN_TYPES.event_type, integer: false };
    case 'timestamp':
      return { kind: 'column', sql: columns.timestamp, type: COLUMN_TYPES.timestamp, integer: false };
    case 'sequence_number':
      return {
        kind: 'column',
        sql: columns.sequenceNumber,
        type: COLUMN_TYPES.sequence_number,
        integer: true,
      };
    case 'global_position':
      return {
        kind: 'column',
        sql: columns.globalPosition,
        type: COLUMN_TYPES.global_position,
        integer: true,
      };
    case 'tags':
      return { kind: 'tags', sql: columns.tags };
    default:
      throw new TypeError(`Unknown field column ${JSON.stringify(field.column)}.`);
  }
}
