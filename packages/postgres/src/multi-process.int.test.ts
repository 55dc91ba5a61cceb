import { fileURLToPath } from 'node:url';
import type { CommitSignal } from '@eventlog/core';
import { describePostgres, freshInstance, runTypeScript, usePostgres } from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { testAdapter } from './test/pg-env.js';

const WORKER = fileURLToPath(new URL('./test/append-worker.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs the append worker in a child process and returns what it appended. */
async function runWorker(args: string[]): Promise<Array<{ sequence: number; position: number }>> {
  const out = await runTypeScript(WORKER, args, PACKAGE_DIR);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '[]');
}

describePostgres('postgres appends from several processes', (url) => {
  const pg = usePostgres();
  const { schema } = pg;
  let adapter: PostgresAdapter;

  beforeAll(async () => {
    adapter = testAdapter(pg, { pollIntervalMs: 60_000 });
    await adapter.ready();
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
