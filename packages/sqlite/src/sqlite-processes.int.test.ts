import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEventLog, type EventRecord } from '@eventlog/core';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteAdapter } from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a TypeScript worker of ./test with the workspace's source condition. */
function worker(script: string, args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=@eventlog/source', '--import', 'tsx', join(here, 'test', script), ...args],
    {
      cwd: join(here, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
}

async function readStream(file: string, instance: string, stream: string): Promise<EventRecord[]> {
  const log = createEventLog({ adapter: sqliteAdapter({ file }) });
  try {
    const res = await log.queryEvents({ from: { instance, stream }, limit: 10_000 });
    if (!res.success) throw new Error(res.error);
    return res.data.result.events as EventRecord[];
  } finally {
    await log.close();
  }
}

describe('Given 4 processes opening one new file at the same moment', () => {
  it('when each appends 100 events to one stream, then the stream holds sequences 1..400 and no process saw an error', async () => {
    const file = join(dir, 'shared.db');
    expect(existsSync(file)).toBe(false);
    // Far enough ahead that all four have loaded before the start instant.
    const startAt = Date.now() + 2500;
    const runs = await Promise.all(
      ['a', 'b', 'c', 'd'].map((label) =>
        finished(worker('append-worker.ts', [file, '100', String(startAt), label])),
      ),
    );
    for (const run of runs) {
      expect(run.out).not.toMatch(/BUSY|FAIL|Error/);
      expect(run.code, run.out).toBe(0);
    }
    const events = await readStream(file, 'shared', 'one-stream');
    expect(events).toHaveLength(400);
    expect(events.map((e) => e.sequence_number)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    const positions = events.map((e) => e.global_position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const perWorker = new Map<string, number>();
    for (const e of events)
      perWorker.set(String(e.payload.worker), (perWorker.get(String(e.payload.worker)) ?? 0) + 1);
    expect(Object.fromEntries(perWorker)).toEqual({ a: 100, b: 100, c: 100, d: 100 });
  }, 60_000);
});

describe('Given a process killed in the middle of a 10,000-event appendEvents', () => {
  it('when the store is reopened, then it holds none of the batch or all of it, and the next append works', async () => {
    const file = join(dir, 'crash.db');
    const wal = `${file}-wal`;
    let killedMidTransaction = false;
    let committedBatches = 0;
    // A few attempts in case a slow machine finishes the batch before the WAL is seen growing.
    for (let attempt = 0; attempt < 3 && !killedMidTransaction; attempt++) {
      const child = worker('crash-worker.ts', [file, '10000']);
      const done = finished(child);
      let out = '';
      child.stdout?.on('data', (d) => {
        out += String(d);
      });
      await new Promise<void>((resolve, reject) => {
        let baseline = -1;
        const timer = setInterval(() => {
          if (out.includes('committed') || out.includes('FAIL') || child.exitCode !== null) {
            clearInterval(timer);
            resolve();
            return;
          }
          if (!out.includes('started')) return;
          const size = existsSync(wal) ? statSync(wal).size : 0;
          if (baseline < 0) baseline = size;
          else if (size > baseline) {
            // Uncommitted pages are reaching the WAL: the batch's transaction is running.
            child.kill('SIGKILL');
            killedMidTransaction = true;
            clearInterval(timer);
            resolve();
          }
        }, 1);
        setTimeout(() => reject(new Error(`worker stuck: ${out}`)), 30_000).unref();
      });
      const run = await done;
      if (killedMidTransaction) expect(run.signal).toBe('SIGKILL');
      else expect(run.out).toContain('committed');

      if (!killedMidTransaction) committedBatches++;
      const events = await readStream(file, 'crash', 'batch');
      // All or nothing: only committed batches are there, whole; sequences have no gaps.
      expect(events.filter((e) => e.event_type === 'Big')).toHaveLength(10_000 * committedBatches);
      expect(events.map((e) => e.sequence_number)).toEqual(
        Array.from({ length: events.length }, (_, i) => i + 1),
      );
    }
    expect(killedMidTransaction, 'the batch was killed while its transaction ran').toBe(true);

    const log = createEventLog({ adapter: sqliteAdapter({ file }) });
    try {
      const before = await log.queryEvents({
        from: { instance: 'crash', stream: 'batch' },
        reduce: { type: 'count' },
      });
      expect(before.success).toBe(true);
      const next = await log.appendEvent({ instanceId: 'crash', streamId: 'batch', eventType: 'After' });
      expect(next.success).toBe(true);
      if (next.success && before.success) {
        expect(next.data.event.sequence_number).toBe(before.data.result.total + 1);
      }
    } finally {
      await log.close();
    }
  }, 120_000);
});
