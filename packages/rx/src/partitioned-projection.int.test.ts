/**
 * Partitioned projections across processes (SPEC §12): 3 processes share 4 partitions of a
 * projection over 5,000 events in 200 streams; one is killed mid-way; every event is handled
 * exactly once, each stream in order — on SQLite and on PostgreSQL.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEventLog, type EventLog } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('./test/partition-worker.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const STREAMS = 200;
const PER_STREAM = 25;
const TOTAL = STREAMS * PER_STREAM;

function spawnWorker(args: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=@eventlog/source', '--import', 'tsx', WORKER, ...args],
    {
      cwd: PACKAGE_DIR,
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

async function seed(log: EventLog): Promise<void> {
  await log.createInstance('orders');
  for (let round = 0; round < PER_STREAM; round++) {
    const appended = await log.appendEvents({
      instanceId: 'orders',
      events: Array.from({ length: STREAMS }, (_, s) => ({
        streamId: `s-${s}`,
        eventType: 'Step',
        payload: { round },
      })),
    });
    if (!appended.success) throw new Error(appended.error);
  }
}

/** Runs the scenario; `count` and `rows` read the handled table. */
async function scenario(
  workerArgs: (owner: string) => string[],
  count: () => Promise<number>,
  rows: () => Promise<Array<{ position: number; stream: string; seq: number }>>,
): Promise<void> {
  const workers = await Promise.all(['w1', 'w2', 'w3'].map((owner) => spawnWorker(workerArgs(owner))));
  try {
    const deadline = Date.now() + 60_000;
    while ((await count()) < TOTAL / 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    workers[0]?.kill('SIGKILL');
    while ((await count()) < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // A little longer: nothing more may arrive (no event twice).
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    for (const worker of workers.slice(1)) worker.kill('SIGTERM');
    await Promise.all(
      workers
        .slice(1)
        .map(
          (w) =>
            new Promise((resolve) => (w.exitCode !== null ? resolve(undefined) : w.once('exit', resolve))),
        ),
    );
  }
  const handled = await rows();
  expect(handled).toHaveLength(TOTAL);
  expect(new Set(handled.map((r) => Number(r.position))).size).toBe(TOTAL);
  const last = new Map<string, number>();
  for (const row of handled) {
    expect(Number(row.seq)).toBe((last.get(row.stream) ?? 0) + 1);
    last.set(row.stream, Number(row.seq));
  }
}

describe('Given a partitioned projection on SQLite shared by 3 processes, one killed mid-way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventlog-partitions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('then every event is handled exactly once, each stream in order', async () => {
    const file = join(dir, 'p.db');
    const log = createEventLog({ adapter: sqliteAdapter({ file }) });
    await seed(log);
    await log.close();
    const db = new Database(file, { timeout: 5000 });
    db.exec(
      'CREATE TABLE handled (id INTEGER PRIMARY KEY, position INTEGER, stream TEXT, seq INTEGER, owner TEXT)',
    );
    try {
      await scenario(
        (owner) => ['sqlite', file, 'orders', owner, '4'],
        async () => (db.prepare('SELECT count(*) AS n FROM handled').get() as { n: number }).n,
        async () => db.prepare('SELECT position, stream, seq FROM handled ORDER BY id').all() as never,
      );
    } finally {
      db.close();
    }
  }, 90_000);
});

describePostgres(
  'Given a partitioned projection on PostgreSQL shared by 3 processes, one killed mid-way',
  (url) => {
    const pg = usePostgres({ prefix: 'rx_partitions' });

    it('then every event is handled exactly once, each stream in order', async () => {
      const { schema } = pg;
      const log = pg.closeAfter(createEventLog({ adapter: postgresAdapter({ url, schema }) }));
      await seed(log);
      await pg.sql.unsafe(
        `create table "${schema}".handled (id bigserial primary key, position bigint, stream text, seq bigint, owner text)`,
      );
      await scenario(
        (owner) => ['postgres', url, schema, 'orders', owner, '4'],
        async () => Number((await pg.sql.unsafe(`select count(*) as n from "${schema}".handled`))[0]?.n ?? 0),
        async () =>
          (await pg.sql.unsafe(`select position, stream, seq from "${schema}".handled order by id`)) as never,
      );
    }, 90_000);
  },
);
