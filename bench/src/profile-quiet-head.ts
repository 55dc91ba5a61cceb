/**
 * What reading a quiet instance's head position costs on PostgreSQL behind a busy instance's
 * events (where `decide` and live readers start):
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-quiet-head.ts`.
 * Not part of `pnpm bench`. In a database of its own: one event of a quiet instance, then `BUSY`
 * (default 100,000) of a busy one; then three rounds of 200 sequential reads of the quiet
 * instance's head, each after ten to warm up (so PostgreSQL may have moved a prepared statement
 * to its generic plan): `adapter.headPosition`, and the statement it sent before the fix
 * (`max(global_position)` with a plain `=`) on a pool of one connection. Prints the mean of each.
 */

import postgres from 'postgres';
import { profileLog } from './postgres/databases.js';

const BUSY = Number(process.env.BUSY ?? 100_000);
const { url, log, adapter, done } = await profileLog();
await log.createInstance('quiet');
await log.appendEvents({ instanceId: 'quiet', streamId: 's', events: [{ eventType: 'Noted', payload: {} }] });
await log.createInstance('busy');
for (let k = 0; k < BUSY; k += 1000) {
  const events = Array.from({ length: 1000 }, (_, j) => ({
    streamId: `s${j % 100}`,
    eventType: 'Noted',
    payload: { j },
  }));
  const result = await log.appendEvents({ instanceId: 'busy', events });
  if (!result.success) throw new Error(result.error);
}
const quiet = await adapter.resolveInstance('quiet');
if (quiet === undefined) throw new Error('the quiet instance is gone');
const sql = postgres(url, { max: 1, onnotice: () => {} });
await sql`analyze eventlog.events`;
const before =
  'SELECT max(e."global_position") AS p FROM "eventlog"."events" AS e WHERE e."instance_id" = $1';
/** The mean time of 200 sequential calls, after ten. */
async function mean(f: () => Promise<unknown>): Promise<number> {
  for (let k = 0; k < 10; k++) await f();
  const start = performance.now();
  for (let k = 0; k < 200; k++) await f();
  return (performance.now() - start) / 200;
}
for (let round = 1; round <= 3; round++) {
  const old = await mean(() => sql.unsafe(before, [quiet.id], { prepare: true }).execute());
  const now = await mean(() => adapter.headPosition(quiet.id));
  console.log(
    `round ${round}: headPosition ${now.toFixed(3)} ms; the statement before the fix ${old.toFixed(3)} ms`,
  );
}
await sql.end();
await done();
