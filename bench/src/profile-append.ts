/**
 * A CPU profile of the SQLite append path: `tsx --conditions=@eventlog/source src/profile-append.ts`
 * (add `--cpu-prof`), or under `valgrind --tool=callgrind` for instruction counts. Not part of
 * `pnpm bench`: it isolates our per-event overhead over raw better-sqlite3 on :memory:-like files.
 * `N` events (default 100,000) in batches of 1000, or with `SINGLE=1` one per call (sequential
 * single appends, each its own transaction).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOurSqlite } from './sqlite/ours.js';
import { openRawSqlite } from './sqlite/raw.js';
import { makeEvents } from './workload.js';

const side = process.argv[2] ?? 'ours';
const events = Number(process.env.N ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const file = join(dir, 'p.db');
const bench = side === 'raw' ? await openRawSqlite(file, 'normal') : await openOurSqlite(file, 'normal');
const t0 = process.hrtime.bigint();
if (process.env.SINGLE === '1') {
  // Sequential single appends (one event per call, each its own transaction).
  for (let k = 0; k < events / 1000; k++) {
    for (const event of makeEvents(k * 1000, 1000)) await bench.appendOne(`order-${k}`, event);
  }
} else {
  for (let k = 0; k < events / 1000; k++) await bench.appendBatch(`order-${k}`, makeEvents(k * 1000, 1000));
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(
  `${side}: ${events} events in ${ms.toFixed(0)} ms = ${((ms * 1000) / events).toFixed(2)} µs/event`,
);
await bench.close();
rmSync(dir, { recursive: true, force: true });
