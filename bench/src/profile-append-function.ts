/**
 * What `plan_cache_mode` costs `append_events` on the server (migration 0007):
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-append-function.ts`.
 * Not part of `pnpm bench`. In a database of its own (10,000 events in 100 streams), three rounds
 * of 2,000 sequential single appends with the function set to `auto`, then to
 * `force_generic_plan`, each on a new pool; prints the client's time per append and the
 * function's server time from `pg_stat_user_functions` (needs `track_functions = 'pl'`).
 */

import { createEventLog, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import postgres from 'postgres';
import { profileLog } from './postgres/databases.js';

const { url, log, done } = await profileLog();
const sql = postgres(url, { max: 1, onnotice: () => {} });
await log.createInstance('p');
for (let s = 0; s < 100; s++)
  await log.appendEvents({
    instanceId: 'p',
    streamId: `s${s}`,
    events: Array.from({ length: 100 }, () => ({ eventType: 'Counted', payload: { by: 1 } })),
  });
const SIG = `eventlog.append_events(text, bigint, text, jsonb, text, text, text[], jsonb, text[], text, text[], bigint[], jsonb)`;
async function stat() {
  const [r] = await sql.unsafe(
    `select calls, total_time from pg_stat_user_functions where schemaname='eventlog' and funcname='append_events'`,
  );
  return r ? { calls: Number(r.calls), total: Number(r.total_time) } : { calls: 0, total: 0 };
}
for (const round of [1, 2, 3]) {
  for (const mode of ['auto', 'force_generic_plan']) {
    await sql.unsafe(`alter function ${SIG} set plan_cache_mode = ${mode}`);
    // A new pool: its connections have no plans cached from the other mode.
    const a2 = postgresAdapter({ url, statementTimeoutMs: 0 }) as StorageAdapter;
    const l2 = createEventLog({ adapter: a2 });
    const singles = async (n: number) => {
      for (let k = 0; k < n; k++)
        await l2.appendEvent({
          instanceId: 'p',
          streamId: `s${k % 100}`,
          eventType: 'Counted',
          payload: { by: 1 },
        });
    };
    await singles(50);
    await new Promise((r) => setTimeout(r, 600));
    const s0 = await stat();
    const t = performance.now();
    const N = 2000;
    await singles(N);
    const ms = (performance.now() - t) / N;
    await new Promise((r) => setTimeout(r, 600));
    const s1 = await stat();
    console.log(
      round,
      mode.padEnd(20),
      'client',
      ms.toFixed(3),
      'ms; server',
      ((s1.total - s0.total) / (s1.calls - s0.calls)).toFixed(3),
      'ms over',
      s1.calls - s0.calls,
    );
    await l2.close();
  }
}
await sql.end();
await done();
