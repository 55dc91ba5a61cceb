/**
 * `pnpm bench:scale`: how each cost grows with the store. It loads one store up to each size of
 * `SCALE_SIZES` in turn (default 100k and 1M events; add 10M with `SCALE_SIZES=100000,1000000,10000000`),
 * and at each size measures the costs a user pays, on SQLite and on PostgreSQL, reporting each as a
 * time and as a ratio to its figure at the first size. Loading goes through `appendEvents` in
 * batches of 1000 (our fastest path), and its time is recorded.
 *
 * Knobs: `SCALE_SIZES`, `SCALE_ONLY=sqlite|postgres`, `SCALE_STREAMS` (default 10,000),
 * `SCALE_DELETE_EVENTS` (events of the instance deleted at each size, default 100,000),
 * `SCALE_REPS` (runs of each query, median shown; default 5), `SCALE_OUT` (markdown, default
 * `bench/results/scale.md`), `EVENTLOG_BENCH_PG_URL` or `EVENTLOG_TEST_PG_URL` (PostgreSQL, a role
 * with CREATEDB).
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScale, type ScaleBackend, type ScaleResult } from './run-scale.js';

const here = dirname(fileURLToPath(import.meta.url));
const started = Date.now();
const log = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);

function ints(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isSafeInteger(v) || v <= 0))
    throw new Error(`${name}: positive integers, comma-separated`);
  return values;
}

const sizes = ints('SCALE_SIZES', [100_000, 1_000_000]).sort((a, b) => a - b);
const only = new Set((process.env.SCALE_ONLY ?? 'sqlite,postgres').split(',').map((s) => s.trim()));
const settings = {
  sizes,
  streams: ints('SCALE_STREAMS', [10_000])[0] as number,
  deleteEvents: ints('SCALE_DELETE_EVENTS', [100_000])[0] as number,
  reps: ints('SCALE_REPS', [5])[0] as number,
  pgUrl: process.env.EVENTLOG_BENCH_PG_URL ?? process.env.EVENTLOG_TEST_PG_URL,
};

const results: ScaleResult[] = [];
const skipped: string[] = [];
for (const backend of ['sqlite', 'postgres'] as ScaleBackend[]) {
  if (!only.has(backend)) continue;
  if (backend === 'postgres' && settings.pgUrl === undefined) {
    skipped.push(
      'PostgreSQL skipped: set EVENTLOG_BENCH_PG_URL or EVENTLOG_TEST_PG_URL (eval "$(bash scripts/pg-setup.sh)")',
    );
    continue;
  }
  results.push(await runScale(backend, settings, log));
}

const lines: string[] = ['## Scale: costs as the store grows', ''];
const cpu = cpus();
lines.push(
  `- date: ${new Date().toISOString()}; machine: ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`,
  `- sizes: ${sizes.map((s) => s.toLocaleString('en-US')).join(', ')} events; ${settings.streams.toLocaleString('en-US')} streams; ~300-byte payloads; batches of 1000; median of ${settings.reps} runs per query`,
  '',
);
for (const result of results) lines.push(...result.markdown, '');
lines.push(...skipped.map((s) => `- ${s}`));
const text = lines.join('\n');
process.stdout.write(`${text}\n`);
const out = resolve(process.env.SCALE_OUT ?? join(here, '..', '..', 'results', 'scale.md'));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${text}\n`);
log(`wrote ${out}`);
