/**
 * Raw better-sqlite3 doing the same work as our adapter, hand-written: the same schema (created by
 * the adapter's own migrations), the same pragmas (WAL, the same `synchronous`, a busy timeout),
 * and per append one `BEGIN IMMEDIATE` transaction that looks the instance up, reads the stream's
 * last sequence number, inserts the rows (payload as JSONB via `jsonb(?)`, a random UUID per event,
 * the append's timestamp) and returns the records. Queries are the equivalent hand-written SQL,
 * with rows turned into event objects (JSON parsed) as ours returns them.
 */

import { randomUUID } from 'node:crypto';
import { sqliteAdapter } from '@eventlog/sqlite';
import Database from 'better-sqlite3';
import type { BenchSide } from '../side.js';
import { type BenchEvent, INSTANCE_NAME, QUERY_ARGS, TYPE_PAGE } from '../workload.js';
import type { Durability } from './ours.js';

interface EventRow {
  global_position: number;
  id: string;
  stream_id: string;
  sequence_number: number;
  event_type: string;
  timestamp: string;
  payload: string;
  metadata: string;
  event_id: string | null;
}

const SELECT_EVENT =
  'SELECT global_position, id, stream_id, sequence_number, event_type, timestamp, json(payload) AS payload, json(metadata) AS metadata, event_id FROM events';

/** Creates the adapter's schema in `file` by opening (and closing) the adapter once. */
export async function createSchemaWithAdapter(file: string, durability: Durability): Promise<void> {
  const adapter = sqliteAdapter({ file, durability });
  await adapter.ready?.();
  await adapter.close();
}

export async function openRawSqlite(file: string, durability: Durability): Promise<BenchSide> {
  await createSchemaWithAdapter(file, durability);
  const db = new Database(file, { timeout: 5000 });
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
  const instanceId = randomUUID();
  const created = new Date().toISOString();
  db.prepare('INSERT INTO instances (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(
    instanceId,
    INSTANCE_NAME,
    created,
    created,
  );

  const instancePk = db.prepare('SELECT pk FROM instances WHERE id = ?').pluck();
  const streamVersion = db
    .prepare(
      'SELECT sequence_number FROM events WHERE instance_pk = ? AND stream_id = ? ORDER BY sequence_number DESC LIMIT 1',
    )
    .pluck();
  const insert = db.prepare(
    'INSERT INTO events (instance_pk, stream_id, sequence_number, event_type, id, event_id, timestamp, payload, metadata) VALUES (?, ?, ?, ?, ?, NULL, ?, jsonb(?), jsonb(?))',
  );

  const pkOf = (): number => {
    const pk = instancePk.get(instanceId) as number | undefined;
    if (pk === undefined) throw new Error(`no instance ${instanceId}`);
    return pk;
  };

  const append = db.transaction((stream: string, events: readonly BenchEvent[], timestamp: string) => {
    const pk = pkOf();
    let sequence = (streamVersion.get(pk, stream) as number | undefined) ?? 0;
    const records = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as BenchEvent;
      const id = randomUUID();
      sequence++;
      const position = insert.run(
        pk,
        stream,
        sequence,
        event.type,
        id,
        timestamp,
        JSON.stringify(event.data),
        '{}',
      ).lastInsertRowid;
      records[i] = {
        id,
        instanceId,
        stream_id: stream,
        event_type: event.type,
        payload: event.data,
        metadata: {},
        timestamp,
        sequence_number: sequence,
        global_position: Number(position),
      };
    }
    return records;
  });

  const toEvent = (row: EventRow) => {
    const event: Record<string, unknown> = {
      id: row.id,
      instanceId,
      stream_id: row.stream_id,
      event_type: row.event_type,
      payload: JSON.parse(row.payload),
      metadata: JSON.parse(row.metadata),
      timestamp: row.timestamp,
      sequence_number: row.sequence_number,
      global_position: row.global_position,
    };
    if (row.event_id !== null) event.eventId = row.event_id;
    return event;
  };

  const byCustomer = db.prepare(
    `${SELECT_EVENT} WHERE instance_pk = ? AND json_extract(payload, '$.customerId') = ? ORDER BY global_position`,
  );
  const byTypePage = db.prepare(
    `${SELECT_EVENT} WHERE instance_pk = ? AND event_type = ? ORDER BY global_position LIMIT ?`,
  );
  const countByTypeFilter = db
    .prepare('SELECT count(*) FROM events WHERE instance_pk = ? AND event_type = ?')
    .pluck();
  const byStream = db.prepare(
    `${SELECT_EVENT} WHERE instance_pk = ? AND stream_id = ? ORDER BY sequence_number`,
  );
  // Groups sorted in JavaScript, as the adapter does (a SQL ORDER BY can change the plan).
  const groupByType = db.prepare(
    'SELECT event_type, count(*) AS n FROM events WHERE instance_pk = ? GROUP BY event_type',
  );

  // Reads run in one read transaction, like the adapter's (the page and its count see one snapshot).
  const read = <T>(fn: (pk: number) => T): T => db.transaction(() => fn(pkOf()))();

  const synchronous = db.pragma('synchronous', { simple: true }) as number;
  const journal = db.pragma('journal_mode', { simple: true }) as string;

  return {
    name: 'raw',
    settings: `${journal.toUpperCase()}, synchronous=${['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? synchronous}`,
    async appendBatch(stream, events) {
      append.immediate(stream, events, new Date().toISOString());
    },
    async appendOne(stream, event) {
      append.immediate(stream, [event], new Date().toISOString());
    },
    queries: {
      async payloadFilter() {
        const events = read((pk) => (byCustomer.all(pk, QUERY_ARGS.customerId) as EventRow[]).map(toEvent));
        return { returned: events.length, total: events.length };
      },
      async typeFilter() {
        return read((pk) => {
          const events = (byTypePage.all(pk, QUERY_ARGS.eventType, TYPE_PAGE) as EventRow[]).map(toEvent);
          const total =
            events.length < TYPE_PAGE
              ? events.length
              : (countByTypeFilter.get(pk, QUERY_ARGS.eventType) as number);
          return { returned: events.length, total };
        });
      },
      async readStream() {
        const events = read((pk) => (byStream.all(pk, QUERY_ARGS.stream) as EventRow[]).map(toEvent));
        return { returned: events.length, total: events.length };
      },
      async countByType() {
        const rows = read((pk) => groupByType.all(pk) as Array<{ event_type: string; n: number }>);
        const groups = rows
          .map((g) => ({ key: { event_type: g.event_type }, value: g.n }))
          .sort((a, b) =>
            a.key.event_type < b.key.event_type ? -1 : a.key.event_type > b.key.event_type ? 1 : 0,
          );
        return { returned: groups.length, total: groups.reduce((sum, g) => sum + g.value, 0) };
      },
    },
    async close() {
      db.close();
    },
  };
}
