/**
 * What reading the end of a long stream costs:
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-stream-tail.ts [sqlite|pg]`.
 * Not part of `pnpm bench`. One stream of `N` events (default 200,000; SQLite NORMAL in a temporary
 * file, or PostgreSQL in a database of its own), then three rounds of 40 `readStream` calls with
 * `maxCount: 10` each way: forward (the first ten, then the stream's version) and backward (the
 * last ten, newest first). Both should cost the same at any stream length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, readStream, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import { profileDatabases } from './postgres/databases.js';

const pg = process.argv[2] === 'pg';
const N = Number(process.env.N ?? 200_000);
const databases = pg ? profileDatabases() : undefined;
const url = databases === undefined ? undefined : await databases.create();
const dir = mkdtempSync(join(tmpdir(), 'tail-'));
const adapter: StorageAdapter =
  url === undefined
    ? sqliteAdapter({ file: join(dir, 'tail.db'), durability: 'normal' })
    : postgresAdapter({ url, statementTimeoutMs: 0 });
const log = createEventLog({ adapter });
await log.createInstance('p');
for (let done = 0; done < N; done += 5000) {
  const events = Array.from({ length: 5000 }, (_, i) => ({ eventType: 'Counted', payload: { by: i } }));
  await log.appendEvents({ instanceId: 'p', streamId: 'long', events });
}
for (let round = 1; round <= 3; round++) {
  const out: string[] = [];
  for (const direction of ['forward', 'backward'] as const) {
    const start = performance.now();
    for (let k = 0; k < 40; k++)
      await readStream(log, { instance: 'p', streamId: 'long', direction, maxCount: 10 });
    out.push(`${direction} ${((performance.now() - start) / 40).toFixed(3)} ms`);
  }
  console.log(
    `${pg ? 'PostgreSQL' : 'SQLite'}, a ${N}-event stream, readStream maxCount 10: ${out.join(', ')}`,
  );
}
await log.close();
rmSync(dir, { recursive: true, force: true });
if (databases !== undefined && url !== undefined) {
  await databases.drop(url);
  await databases.close();
}
