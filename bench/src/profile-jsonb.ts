/**
 * What writing JSONB in JavaScript saves SQLite appends: `tsx --conditions=@eventlog/source
 * src/profile-jsonb.ts`. Not part of `pnpm bench`. Inserts `N` (default 300,000) rows of the
 * bench's payloads into a one-column table, 1000 per transaction, three rounds each way:
 * `JSON.stringify` bound as text for `jsonb(?)` (what raw better-sqlite3 does in `pnpm bench`)
 * against the adapter's `JsonbWriter` bound as a blob; then each encoder alone. It first checks
 * that both store the same bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { JsonbWriter } from '../../packages/sqlite/src/jsonb.js';
import { makeEvents } from './workload.js';

const N = Number(process.env.N ?? 300_000);
const payloads = makeEvents(0, N).map((e) => e.data);
const dir = mkdtempSync(join(tmpdir(), 'prof-jsonb-'));
const db = new Database(join(dir, 'j.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, p BLOB)');
const writer = new JsonbWriter();
let sink = 0;

const sqliteJsonb = db.prepare('SELECT jsonb(?)').pluck();
for (const payload of payloads.slice(0, 1000)) {
  writer.reset();
  const ours = Buffer.from(writer.encode(payload));
  if (!ours.equals(sqliteJsonb.get(JSON.stringify(payload)) as Buffer)) {
    throw new Error(`different bytes for ${JSON.stringify(payload)}`);
  }
}

const asText = db.prepare('INSERT INTO t (p) VALUES (jsonb(?))');
const asBlob = db.prepare('INSERT INTO t (p) VALUES (?)');
const perItem = (start: bigint) => (Number(process.hrtime.bigint() - start) / 1e3 / N).toFixed(3);

function inserts(label: string, insert: (i: number) => void): void {
  const start = process.hrtime.bigint();
  for (let k = 0; k < N; k += 1000) {
    db.transaction(() => {
      for (let i = k; i < Math.min(k + 1000, N); i++) insert(i);
    })();
  }
  console.log(`${label}: ${perItem(start)} µs per row`);
}

for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  inserts('  JSON.stringify + jsonb(?)', (i) => asText.run(JSON.stringify(payloads[i])));
  inserts('  JsonbWriter blob         ', (i) => {
    writer.reset();
    asBlob.run(writer.encode(payloads[i]));
  });
  let start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < N; i++) bytes += JSON.stringify(payloads[i]).length;
  console.log(`  JSON.stringify alone: ${perItem(start)} µs per payload`);
  start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    writer.reset();
    bytes += writer.encode(payloads[i]).length;
  }
  console.log(`  JsonbWriter alone:    ${perItem(start)} µs per payload`);
  sink += bytes;
}
console.log(`(${sink} bytes made, so no loop was optimized away)`);
db.close();
rmSync(dir, { recursive: true, force: true });
