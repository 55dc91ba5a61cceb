/**
 * Raw postgres.js doing the same work as our adapter, hand-written, on the same schema (created by
 * the adapter's migrations): per append one transaction (`sql.begin`) that takes the instance's
 * transaction-level advisory lock (what keeps positions visible in order, SPEC §3) and reads the
 * stream's last sequence number (both pipelined in one round trip; separate statements, so the read
 * sees what the previous lock holder committed), inserts the rows (a batch with one `unnest`
 * insert, a single event with `VALUES`; a random UUID per event; JSON bound as text and cast to
 * jsonb — `$n::jsonb` would make postgres.js serialize the JSON text once more) and commits. A pool of 10 like the adapter's; int8 parsed to numbers like the adapter's.
 * Queries are the equivalent hand-written SQL, rows mapped to the same event objects.
 */

import { randomUUID } from 'node:crypto';
import { postgresAdapter } from '@eventlog/postgres';
import postgres from 'postgres';
import type { BenchSide } from '../side.js';
import { INSTANCE_NAME, QUERY_ARGS, TYPE_PAGE } from '../workload.js';

const PREPARED = { prepare: true } as const;
const T = 'eventlog.events';

interface EventRow {
  global_position: number;
  id: string;
  stream_id: string;
  sequence_number: number;
  event_type: string;
  timestamp: string;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  event_id: string | null;
}

const COLUMNS =
  'global_position, id, stream_id, sequence_number, event_type, timestamp, payload, metadata, event_id';

const LOCK = 'select pg_advisory_xact_lock(hashtextextended($1, 0)) is null as locked';
const VERSION = `select (select id from eventlog.instances where id = $1) as instance,
  coalesce((select sequence_number from ${T} where instance_id = $1 and stream_id = $2
            order by sequence_number desc limit 1), 0) as version`;
const INSERT_ONE = `insert into ${T} (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp)
  values ($1, $2, $3, $4, $5, $6::text::jsonb, $7::text::jsonb, $8) returning global_position`;
const INSERT_MANY = `insert into ${T} (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp)
  select u.id, $1, $2, $3::int8 + u.ord, u.event_type, u.payload::jsonb, '{}'::jsonb, $4
  from unnest($5::text[], $6::text[], $7::text[]) with ordinality as u(id, event_type, payload, ord)
  order by u.ord
  returning global_position`;

/** Creates the adapter's schema in the database of `url` by opening (and closing) the adapter. */
export async function createSchemaWithAdapter(url: string): Promise<void> {
  const adapter = postgresAdapter({ url });
  await adapter.ready();
  await adapter.close();
}

export async function openRawPostgres(url: string): Promise<BenchSide> {
  await createSchemaWithAdapter(url);
  const sql = postgres(url, {
    max: 10,
    onnotice: () => {},
    types: {
      int8: {
        to: 20,
        from: [20, 1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  });
  const instanceId = randomUUID();
  const created = new Date().toISOString();
  await sql`insert into eventlog.instances (id, name, created_at, updated_at)
    values (${instanceId}, ${INSTANCE_NAME}, ${created}, ${created})`;
  const [setting] = await sql<Array<{ synchronous_commit: string }>>`show synchronous_commit`;

  /** Locks the instance and reads the stream version; returns the version. */
  const lockAndVersion = async (tx: postgres.TransactionSql, stream: string): Promise<number> => {
    const [, rows] = await Promise.all([
      tx.unsafe(LOCK, [instanceId], PREPARED),
      tx.unsafe<Array<{ instance: string | null; version: number }>>(VERSION, [instanceId, stream], PREPARED),
    ]);
    const row = rows[0];
    if (row?.instance == null) throw new Error(`no instance ${instanceId}`);
    return row.version;
  };

  const toEvent = (row: EventRow) => {
    const event: Record<string, unknown> = {
      id: row.id,
      instanceId,
      stream_id: row.stream_id,
      event_type: row.event_type,
      payload: row.payload,
      metadata: row.metadata,
      timestamp: row.timestamp,
      sequence_number: row.sequence_number,
      global_position: row.global_position,
    };
    if (row.event_id !== null) event.eventId = row.event_id;
    return event;
  };

  return {
    name: 'raw',
    settings: `synchronous_commit=${setting?.synchronous_commit}; a pool of 10; a transaction per append`,
    async appendBatch(stream, events) {
      const timestamp = new Date().toISOString();
      const ids = events.map(() => randomUUID());
      await sql.begin(async (tx) => {
        const version = await lockAndVersion(tx, stream);
        const rows = await tx.unsafe<Array<{ global_position: number }>>(
          INSERT_MANY,
          [
            instanceId,
            stream,
            version,
            timestamp,
            ids,
            events.map((e) => e.type),
            events.map((e) => JSON.stringify(e.data)),
          ] as never[],
          PREPARED,
        );
        return rows.map((row, i) => ({
          id: ids[i],
          stream_id: stream,
          event_type: events[i]?.type,
          payload: events[i]?.data,
          metadata: {},
          timestamp,
          sequence_number: version + i + 1,
          global_position: row.global_position,
        }));
      });
    },
    async appendOne(stream, event) {
      const timestamp = new Date().toISOString();
      const id = randomUUID();
      await sql.begin(async (tx) => {
        const version = await lockAndVersion(tx, stream);
        const [row] = await tx.unsafe<Array<{ global_position: number }>>(
          INSERT_ONE,
          [id, instanceId, stream, version + 1, event.type, JSON.stringify(event.data), '{}', timestamp],
          PREPARED,
        );
        return {
          id,
          stream_id: stream,
          event_type: event.type,
          payload: event.data,
          metadata: {},
          timestamp,
          sequence_number: version + 1,
          global_position: row?.global_position,
        };
      });
    },
    queries: {
      async payloadFilter() {
        const rows = await sql.unsafe<EventRow[]>(
          `select ${COLUMNS} from ${T} where instance_id = $1 and payload -> 'customerId' = $2::text::jsonb order by global_position`,
          [instanceId, JSON.stringify(QUERY_ARGS.customerId)],
          PREPARED,
        );
        const events = rows.map(toEvent);
        return { returned: events.length, total: events.length };
      },
      async typeFilter() {
        // The page and its total in one snapshot, pipelined.
        const [page, count] = await sql.begin('isolation level repeatable read read only', (tx) =>
          Promise.all([
            tx.unsafe<EventRow[]>(
              `select ${COLUMNS} from ${T} where instance_id = $1 and event_type = $2 order by global_position limit $3`,
              [instanceId, QUERY_ARGS.eventType, TYPE_PAGE],
              PREPARED,
            ),
            tx.unsafe<Array<{ n: number }>>(
              `select count(*) as n from ${T} where instance_id = $1 and event_type = $2`,
              [instanceId, QUERY_ARGS.eventType],
              PREPARED,
            ),
          ]),
        );
        const events = page.map(toEvent);
        return { returned: events.length, total: count[0]?.n ?? 0 };
      },
      async readStream() {
        const rows = await sql.unsafe<EventRow[]>(
          `select ${COLUMNS} from ${T} where instance_id = $1 and stream_id = $2 order by sequence_number`,
          [instanceId, QUERY_ARGS.stream],
          PREPARED,
        );
        const events = rows.map(toEvent);
        return { returned: events.length, total: events.length };
      },
      async countByType() {
        // Groups sorted in JavaScript, as the adapter does (an ORDER BY makes PostgreSQL prefer a
        // sorted index scan to a hash aggregate here, 2× slower).
        const rows = await sql.unsafe<Array<{ event_type: string; n: number }>>(
          `select event_type, count(*) as n from ${T} where instance_id = $1 group by event_type`,
          [instanceId],
          PREPARED,
        );
        const groups = rows
          .map((r) => ({ key: { event_type: r.event_type }, value: r.n }))
          .sort((a, b) =>
            a.key.event_type < b.key.event_type ? -1 : a.key.event_type > b.key.event_type ? 1 : 0,
          );
        return { returned: groups.length, total: groups.reduce((sum, g) => sum + g.value, 0) };
      },
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
