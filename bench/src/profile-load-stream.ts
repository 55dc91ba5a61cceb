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

import { handleCommand } from '@eventlog/core';
import postgres from 'postgres';
import { appendCounted, counter } from './decisions/counter.js';
import { profileLog } from './postgres/databases.js';

const N = Number(process.env.N ?? 2000);
// One connection: the statements it prepared can be read back from it (below).
const { url, adapter, log, done } = await profileLog({ max: 1 });
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

// The texts `loadStream` sends, as the adapter prepared them on its one connection (the guard,
// the snapshot with its anchor, the page from it), so that the hand-sent copies cannot drift.
await log.store.loadStream({ instance: 'p', streamId: 'long', limit: 1000, snapshotKey });
const preparedTexts = (
  await adapter.sql<{ statement: string }[]>`select statement from pg_prepared_statements`
).map((row) => row.statement);
/** The one prepared text that `test` picks. */
function preparedText(what: string, test: (text: string) => boolean): string {
  const found = preparedTexts.filter(test);
  if (found.length !== 1) {
    throw new Error(`expected one prepared ${what}, found ${found.length}:\n${found.join('\n')}`);
  }
  return found[0] as string;
}
// The instance by reference (an id or a name), as `loadStream` reads it.
const guard = preparedText(
  'guard',
  (t) => t.startsWith('SELECT "id" AS key') && t.includes('WHERE id = $1 OR name = $2 ORDER BY'),
);
const snapshot = preparedText('snapshot read', (t) => /^SELECT a\.value, a\.version\b/.test(t));
const page = preparedText(
  'page',
  (t) => /^SELECT e\."global_position"/.test(t) && t.includes('"eventlog"."kv"'),
);
/** `text` with its parameters `$1…` renumbered from `$(by + 1)`. */
const shifted = (text: string, by: number) =>
  text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
// One statement joining the instance, the snapshot and the page (an alternative to the program's
// three, written here): the instance's and the snapshot's row first, then the events.
const eventColumns = page.slice('SELECT '.length, page.indexOf(' FROM '));
const joined = `WITH i AS (${guard}), a AS (${shifted(snapshot, 3)})
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
await done();
