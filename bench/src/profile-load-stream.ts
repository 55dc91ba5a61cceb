/**
 * What the start of a snapshotted fold costs on PostgreSQL, against postgres.js doing the same by
 * hand: `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-load-stream.ts`.
 * Not part of `pnpm bench`. In a database of its own: a 10,000-event stream, a snapshot written
 * by `handleCommand` (every 100) and 50 commands after it. Three rounds of `N` (default 2,000)
 * sequential calls each of
 * - `loadStream` from the snapshot (the instance, the snapshot, the events after it);
 * - the same five statements (`begin`, the three reads with the texts `loadStream` sends, `commit`)
 *   sent together on a reserved connection by postgres.js;
 * - one statement joining the instance, the snapshot and the events;
 * then `loadStream` without a snapshot and a `limit` of 1 to 200 events (what each event costs).
 * Prints the wall time and the process's CPU time per call.
 */

import { createEventLog, handleCommand, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import postgres from 'postgres';
import { appendCounted, counter } from './decisions/counter.js';
import { profileDatabases } from './postgres/databases.js';

const N = Number(process.env.N ?? 2000);
const databases = profileDatabases();
const url = await databases.create();
const log = createEventLog({ adapter: postgresAdapter({ url, statementTimeoutMs: 0 }) as StorageAdapter });
await log.createInstance('p');
await appendCounted(log, 'p', 'long', 10_000); // The first command writes the snapshot; 50 more leave 50 events after it.
for (let k = 0; k < 51; k++) {
  await handleCommand(log, {
    instance: 'p',
    streamId: 'long',
    decider: counter,
    command: { by: 1 },
    snapshot: { every: 100 },
  });
}

const sql = postgres(url, { max: 1, onnotice: () => {} });
const [found] = await sql<{ key: string }[]>`
  select key from eventlog.kv where namespace = 'eventlog.snapshots' limit 1`;
if (found === undefined) throw new Error('no snapshot was written');
const snapshotKey = found.key;

// The texts `loadStream` sends (the guard, the snapshot with its anchor, the page from it).
const anchorOf = (namespace: string, key: string) =>
  `SELECT CASE WHEN a.n >= 1 AND a.n <= 9007199254740991 THEN (CASE WHEN a.n = CAST(a.n AS BIGINT) THEN CAST(a.n AS BIGINT) END) END FROM (SELECT CASE WHEN jsonb_typeof((value #> '{"version"}')) = 'number' THEN (value #> '{"version"}')::float8 END AS n FROM "eventlog"."kv" WHERE namespace = ${namespace} AND key = ${key}) AS a`;
const guard = `SELECT "id" AS key, id, name, description, created_at, updated_at, retention_max_age_ms AS max_age_ms, retention_max_events AS max_events FROM "eventlog"."instances" WHERE id = $1 OR name = $2 ORDER BY (id = $3) DESC LIMIT 1`;
const snapshotAt = (namespace: string, key: string) =>
  `SELECT a.value, a.version, CASE WHEN a.n >= 1 AND a.n <= 9007199254740991 THEN (CASE WHEN a.n = CAST(a.n AS BIGINT) THEN CAST(a.n AS BIGINT) END) END AS anchor FROM (SELECT value, version, CASE WHEN jsonb_typeof((value #> '{"version"}')) = 'number' THEN (value #> '{"version"}')::float8 END AS n FROM "eventlog"."kv" WHERE namespace = ${namespace} AND key = ${key}) AS a`;
const snapshot = snapshotAt('$1', '$2');
const eventColumns = `e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg`;
const page = `SELECT ${eventColumns} FROM "eventlog"."events" AS e WHERE e."instance_id" = (SELECT "id" FROM "eventlog"."instances" WHERE id = $1 OR name = $2 ORDER BY (id = $3) DESC LIMIT 1) AND e."stream_id" = $4 AND e."sequence_number" >= coalesce((${anchorOf('$5', '$6')}), $7) ORDER BY e."sequence_number" ASC LIMIT $8`;
const joined = `WITH i AS (${guard}), a AS (${snapshotAt('$4', '$5')})
SELECT 0 AS k, i.key, i.id AS iid, i.name, i.description, i.created_at, i.updated_at, i.max_age_ms, i.max_events, a.value AS av, a.version AS aver, a.anchor, NULL::bigint AS gp, NULL::text AS id, NULL::text AS sid, NULL::bigint AS seq, NULL::text AS typ, NULL::text AS ts, NULL::jsonb AS pl, NULL::jsonb AS md, NULL::text AS evid, NULL::jsonb AS tg FROM i LEFT JOIN a ON true
UNION ALL
SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, p.* FROM (SELECT ${eventColumns} FROM "eventlog"."events" AS e WHERE e."instance_id" = (SELECT key FROM i) AND e."stream_id" = $6 AND e."sequence_number" >= coalesce((SELECT anchor FROM a), $7) ORDER BY e."sequence_number" ASC LIMIT $8) AS p`;
const prepared = { prepare: true };

async function time(label: string, f: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(200, N); i++) await f();
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i++) await f();
  const used = process.cpuUsage(cpu);
  console.log(
    `${label.padEnd(44)} ${((performance.now() - start) / N).toFixed(3)} ms, CPU ${((used.user + used.system) / 1000 / N).toFixed(3)} ms`,
  );
}

const tail = await log.store.loadStream({ instance: 'p', streamId: 'long', limit: 1000, snapshotKey });
console.log(`events read from the snapshot: ${tail.events.length}`);
for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  await time('loadStream from the snapshot', () =>
    log.store.loadStream({ instance: 'p', streamId: 'long', limit: 1000, snapshotKey }),
  );
  await time('postgres.js: the five statements by hand', async () => {
    const conn = await sql.reserve();
    try {
      await Promise.all([
        conn.unsafe('begin isolation level repeatable read read only').execute(),
        conn.unsafe(guard, ['p', 'p', 'p'], prepared).execute(),
        conn.unsafe(snapshot, ['eventlog.snapshots', snapshotKey], prepared).execute(),
        conn
          .unsafe(page, ['p', 'p', 'p', 'long', 'eventlog.snapshots', snapshotKey, 1, 1000], prepared)
          .execute(),
        conn.unsafe('commit').execute(),
      ]);
    } finally {
      conn.release();
    }
  });
  await time('postgres.js: one joined statement', () =>
    sql.unsafe(joined, ['p', 'p', 'p', 'eventlog.snapshots', snapshotKey, 'long', 1, 1000], prepared),
  );
}
for (const limit of [1, 10, 50, 100, 200]) {
  await time(`loadStream without a snapshot, limit ${limit}`, () =>
    log.store.loadStream({ instance: 'p', streamId: 'long', limit }),
  );
}
await sql.end();
await log.close();
await databases.drop(url);
await databases.close();
