/**
 * Rollups on SQLite (triggers on events): answered from the rollup exactly as by the scan, on a
 * file with read threads too (issue 10).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRollups, expectOk } from '@eventlog/conformance';
import { createEventLog } from '@eventlog/core';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqliteAdapter } from './sqlite-adapter.js';

describeRollups({ name: 'sqlite (:memory:)', create: () => sqliteAdapter({ file: ':memory:' }) });

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-rollups-'));
describeRollups({
  name: 'sqlite (file, read threads)',
  create: () => sqliteAdapter({ file: join(dir, 'rollups.db'), readWorkers: { threads: 1 } }),
  numRuns: 10,
  teardown: () => rmSync(dir, { recursive: true, force: true }),
});

describe('Given an instance with a rollup', () => {
  it('when the instance is deleted, then its rollup goes first in the same transaction: no trigger updates its cells event by event', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const log = createEventLog({ adapter });
    expectOk(await log.createInstance('counted'));
    const events = Array.from({ length: 300 }, (_, i) => ({
      eventType: i % 2 === 0 ? 'a' : 'b',
      streamId: 's',
      timestamp: '2024-01-01T10:00:00.000Z',
      payload: { amount: i },
    }));
    expectOk(await log.appendEvents({ instanceId: 'counted', events }));
    expectOk(
      await log.defineRollup({
        instanceId: 'counted',
        name: 'hourly',
        groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }],
        measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
      }),
    );
    const db = await adapter.transaction!(async (tx) => tx.driver as Database.Database);
    const changes = () => db.prepare('SELECT total_changes() AS n').pluck().get() as number;
    const before = changes();
    expect(expectOk(await log.deleteInstance('counted')).deletedEvents).toBe(300);
    // The rows deleted (events, counts, cells, definitions) count once each; with the triggers
    // still there, every event would add an update of its cell on top.
    expect(changes() - before).toBeLessThan(300 + 20);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).pluck().all()).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM rollup_cells').pluck().get()).toBe(0);
    await log.close();
  });
});
