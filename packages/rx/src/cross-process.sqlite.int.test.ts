import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, type EventLog, type EventRecord } from '@eventlog/core';
import { sqliteAdapter } from '@eventlog/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveEvents } from './live-events.js';
import { liveQuery } from './live-query.js';
import { runAppendChild } from './test/child-process.js';

describe('live subscriptions across processes on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventlog-rx-xproc-'));
  const file = join(dir, 'shared.db');
  let log: EventLog;

  beforeAll(async () => {
    log = createEventLog({ adapter: sqliteAdapter({ file }) });
  });

  afterAll(async () => {
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('given a live subscriber, when a child process appends, then each event reaches the parent, once and in order', async () => {
    const { id } = await log.store.createInstance('xproc-sqlite');
    await log.store.appendEvent({ instanceId: id, eventType: 'before' });
    const arrivals: Array<{ event: EventRecord }> = [];
    let live!: () => void;
    const isLive = new Promise<void>((resolve) => {
      live = resolve;
    });
    const sub = liveEvents(log, { instance: id, onCaughtUp: () => live() }).subscribe((event) => {
      arrivals.push({ event });
    });
    const counts: unknown[] = [];
    const query = liveQuery(log, { from: { instance: id }, reduce: { type: 'count' } }).subscribe((r) =>
      counts.push(r.aggregation?.value),
    );
    try {
      await isLive;
      await runAppendChild(['sqlite', file, id, '20', '20']);
      await expect.poll(() => arrivals.length, { timeout: 10_000 }).toBe(21);
      const fromChild = arrivals.slice(1);
      expect(fromChild.map((a) => (a.event.payload as { n: number }).n)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const positions = arrivals.map((a) => a.event.global_position);
      expect([...new Set(positions)].sort((a, b) => a - b)).toEqual(positions);
      // A live query in the parent follows the child's commits too.
      await expect.poll(() => counts.at(-1), { timeout: 10_000 }).toBe(21);
    } finally {
      sub.unsubscribe();
      query.unsubscribe();
    }
  });
});
