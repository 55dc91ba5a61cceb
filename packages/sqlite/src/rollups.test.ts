/**
 * Rollups on SQLite (triggers on events): answered from the rollup exactly as by the scan, on a
 * file with read threads too (issue 10).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRollups } from '@eventlog/conformance';
import { sqliteAdapter } from './sqlite-adapter.js';

describeRollups({ name: 'sqlite (:memory:)', create: () => sqliteAdapter({ file: ':memory:' }) });

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-rollups-'));
describeRollups({
  name: 'sqlite (file, read threads)',
  create: () => sqliteAdapter({ file: join(dir, 'rollups.db'), readWorkers: { threads: 1 } }),
  numRuns: 10,
  teardown: () => rmSync(dir, { recursive: true, force: true }),
});
