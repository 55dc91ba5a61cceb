import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommitSignal } from '@eventlog/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { describePostgres, dropSchema, freshInstance, testAdapter, uniqueSchema } from './test/pg-env.js';

const WORKER = fileURLToPath(new URL('./test/append-worker.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs the append worker in a child process and returns what it appended. */
function runWorker(args: string[]): Promise<Array<{ sequence: number; position: number }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@eventlog/source', '--import', 'tsx', WORKER, ...args],
      {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`append worker exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '[]'));
    });
  });
}

describePostgres('postgres appends from several processes', (url) => {
  const schema = uniqueSchema();
  let adapter: PostgresAdapter;

  beforeAll(async () => {
    adapter = testAdapter(url, { schema, pollIntervalMs: 60_000 });
    await adapter.ready();
  });

  afterAll(async () => {
    await adapter?.close();
    await dropSchema(url, schema);
  });

  it('given 4 processes appending 100 events each to one stream, when they finish, then the stream holds 1..400 without gaps', async () => {
    const instance = await freshInstance(adapter);
    const signals: CommitSignal[] = [];
    const stop = adapter.watch((s) => signals.push(s));
    try {
      const results = await Promise.all(
        Array.from({ length: 4 }, () => runWorker([url, schema, instance.id, 'shared', '100', '5'])),
      );
      const sequences = results.flat().map((r) => r.sequence);
      expect(sequences).toHaveLength(400);
      expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));

      const rows = await adapter.sql.unsafe<Array<{ sequence_number: number }>>(
        `select sequence_number from "${schema}".events where instance_id = $1 and stream_id = 'shared' order by global_position`,
        [instance.id],
      );
      // In position order the sequence numbers count up: positions follow commit order.
      expect(rows.map((r) => r.sequence_number)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));

      // The other processes' commits woke this one by NOTIFY (the poll is off: 60 s), up to the
      // last position they wrote.
      const head = await adapter.headPosition(instance.id);
      await expect
        .poll(
          () =>
            Math.max(
              0,
              ...signals
                .filter((s) => s.kind === 'append' && s.instanceId === instance.id)
                .map((s) => s.position ?? 0),
            ),
          { timeout: 5000 },
        )
        .toBe(head);
    } finally {
      stop();
    }
  });
});
