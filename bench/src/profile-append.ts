/**
 * A CPU profile of the SQLite append path: `tsx --conditions=@eventlog/source src/profile-append.ts`
 * (add `--cpu-prof`), or under `valgrind --tool=callgrind` for instruction counts. Not part of
 * `pnpm bench`: it isolates our per-event overhead over raw better-sqlite3 on :memory:-like files.
 * `N` events (default 100,000) in batches of 1000, or with `SINGLE=1` one per call (sequential
 * single appends, each its own transaction). `PREBUILT=1` builds every batch's events first and
 * times the appends alone, as `pnpm bench` does (it reuses one set of events); run under
 * `node --expose-gc --import tsx/esm` it also prints what the appends left on the heap.
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
} else if (process.env.PREBUILT === '1') {
  const prebuilt = Array.from({ length: events / 1000 }, (_, k) => makeEvents(k * 1000, 1000));
  const gc = (globalThis as { gc?: () => void }).gc; // with --expose-gc
  gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const t1 = process.hrtime.bigint();
  for (let k = 0; k < events / 1000; k++)
    await bench.appendBatch(`order-${k}`, prebuilt[k] as ReturnType<typeof makeEvents>);
  console.log(`prebuilt: ${(Number(process.hrtime.bigint() - t1) / 1e3 / events).toFixed(2)} µs/event`);
  gc?.();
  console.log(`heap retained after gc: ${((process.memoryUsage().heapUsed - h0) / 1e6).toFixed(1)} MB`);
} else {
  for (let k = 0; k < events / 1000; k++) await bench.appendBatch(`order-${k}`, makeEvents(k * 1000, 1000));
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(
  `${side}: ${events} events in ${ms.toFixed(0)} ms = ${((ms * 1000) / events).toFixed(2)} µs/event`,
);
await bench.close();
rmSync(dir, { recursive: true, force: true });
