/**
 * `BENCH_ONLY=partitions`: a partitioned projection (`projection({ partitions: 4 })`) on
 * PostgreSQL run by 1, 2 and 4 processes (the rx test worker, which writes each event to a table
 * through the projection's transaction): events handled per second, from the workers' start until
 * every event is in the table. `BENCH_PARTITION_EVENTS` events (default 20,000) in 400 streams.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createEventLog, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import postgres from 'postgres';
import type { BenchConfig } from '../config.js';
import { now } from '../measure.js';
import { PgDatabases } from '../postgres/databases.js';
import type { Table } from '../report.js';
import { expectSuccess } from '../side.js';

const WORKER = fileURLToPath(new URL('../../../packages/rx/src/test/partition-worker.ts', import.meta.url));
const RX_DIR = fileURLToPath(new URL('../../../packages/rx/', import.meta.url));
const EVENTS = Number(process.env.BENCH_PARTITION_EVENTS ?? 20_000);
const STREAMS = 400;

function spawnWorker(args: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@eventlog/source', '--import', 'tsx', WORKER, ...args],
    {
      cwd: RX_DIR,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting`)));
  });
}

export async function runPartitionsSection(
  config: BenchConfig,
  log: (line: string) => void,
): Promise<{ tables: Table[]; skipped: string[] }> {
  if (config.pgUrl === undefined) {
    return {
      tables: [],
      skipped: ['Partitioned projections skipped: no EVENTLOG_BENCH_PG_URL / EVENTLOG_TEST_PG_URL.'],
    };
  }
  const databases = new PgDatabases(config.pgUrl);
  const rows: string[][] = [];
  let base: number | undefined;
  for (const processes of [1, 2, 4]) {
    const url = await databases.create();
    const schema = 'eventlog';
    const el = createEventLog({ adapter: postgresAdapter({ url, schema }) as StorageAdapter });
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expectSuccess(await el.createInstance('orders'), 'createInstance');
      for (let done = 0; done < EVENTS; done += 1000) {
        const events = Array.from({ length: 1000 }, (_, j) => ({
          streamId: `s-${(done + j) % STREAMS}`,
          eventType: 'Step',
          payload: { i: done + j },
        }));
        expectSuccess(await el.appendEvents({ instanceId: 'orders', events }), 'appendEvents');
      }
      await sql.unsafe(
        `create table "${schema}".handled (id bigserial primary key, position bigint, stream text, seq bigint, owner text)`,
      );
      log(`partitions: ${processes} process(es) over ${EVENTS} events`);
      const workers = await Promise.all(
        Array.from({ length: processes }, (_, k) =>
          spawnWorker(['postgres', url, schema, 'orders', `w${k}`, '4']),
        ),
      );
      // From the moment every process runs (their start-up is not the projection's cost).
      const counted = async () =>
        Number((await sql.unsafe(`select count(*) as n from "${schema}".handled`))[0]?.n ?? 0);
      const start = now();
      const before = await counted();
      let count = before;
      while (count < EVENTS) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        count = await counted();
      }
      const rate = ((EVENTS - before) * 1000) / (now() - start);
      base ??= rate;
      for (const worker of workers) worker.kill('SIGTERM');
      await Promise.all(
        workers.map(
          (w) => new Promise((resolve) => (w.exitCode !== null ? resolve(0) : w.once('exit', resolve))),
        ),
      );
      rows.push([
        String(processes),
        `${Math.round(rate).toLocaleString('en-US')} events/s`,
        `${(rate / base).toFixed(2)}×`,
      ]);
    } finally {
      await sql.end({ timeout: 5 });
      await el.close();
      await databases.drop(url);
    }
  }
  await databases.close();
  return {
    tables: [
      {
        title: `Partitioned projection on PostgreSQL: 4 partitions, ${EVENTS.toLocaleString('en-US')} events in ${STREAMS} streams`,
        header: ['processes', 'handled', 'vs 1 process'],
        rows,
        notes: [
          'each process runs projection({ partitions: 4 }) and writes every event of its partitions to a table in the projection transaction (exactly once); the rate counts the events handled from the moment every process is running until the table holds every event',
          "every partition reads every event and passes over the others' streams, so a process reading alone is the floor of the cost",
        ],
      },
    ],
    skipped: [],
  };
}
