import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAdapter } from '@eventlog/conformance';
import { liveEvents, liveQuery, projection } from '@eventlog/rx';
import { sqliteAdapter } from './sqlite-adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-conformance-'));
const threadsDir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-conformance-threads-'));

describeAdapter({
  name: 'sqlite (file)',
  create: () => sqliteAdapter({ file: join(dir, 'conformance.db') }),
  // Other processes' commits are seen by polling PRAGMA data_version every 50 ms.
  signalTimeoutMs: 3000,
  rx: { liveEvents, liveQuery, projection },
  teardown: () => rmSync(dir, { recursive: true, force: true }),
});

// Queries and statistics on read threads (what eventlog serve runs): the same contract.
describeAdapter({
  name: 'sqlite (file, read threads)',
  create: () => sqliteAdapter({ file: join(threadsDir, 'conformance.db'), readWorkers: { threads: 1 } }),
  signalTimeoutMs: 3000,
  rx: { liveEvents, liveQuery, projection },
  teardown: () => rmSync(threadsDir, { recursive: true, force: true }),
});

describeAdapter({
  name: 'sqlite (:memory:)',
  create: () => sqliteAdapter({ file: ':memory:' }),
});
