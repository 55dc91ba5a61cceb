/**
 * Live latency, on SQLite and PostgreSQL, with the appender in the same process or in a child
 * process. Probes are appended one at a time, a few milliseconds apart; the first `WARM_UP` of each
 * configuration are not counted. Two latencies per probe, both ending when a subscriber in the
 * parent process holds the event:
 *
 * - **from the append**: from just before `appendEvent` was called — what a user waits for
 *   end to end, the commit (an fsync) included;
 * - **from the commit**: from the moment the commit was acknowledged (PostgreSQL: the adapter's
 *   `onAppendCommit` hook, before it wakes anyone; SQLite, which has no hook: when `appendEvent`
 *   returned) — the subscription's own latency.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Condition, EventLog, EventRecord } from '@eventlog/core';
import type { BenchConfig } from '../config.js';
import { epochMs, percentile, settle } from '../measure.js';
import { PgDatabases } from '../postgres/databases.js';
import { type LatencyRow, latencyTable, type Table, type TargetCheck } from '../report.js';
import { expectSuccess } from '../side.js';
import {
  appendProbes,
  type OpenedLog,
  openLog,
  type Probe,
  type ProbeTiming,
  type StoreSpec,
} from './probes.js';
import { primitivesFactory, type SubscriberFactory, subscriberFactory } from './subscriber.js';

const WARM_UP = 20;
/** The filter of the filtered rows: on event_type, as a dashboard's subscriber would be. */
const PROBE_FILTER: Condition[] = [{ field: 'event_type', operator: 'eq', value: 'Probe' }];
const CHILD = fileURLToPath(new URL('./child-appender.ts', import.meta.url));

export interface LatencySectionResult {
  tables: Table[];
  skipped: string[];
}

/**
 * Runs the child appender with the same loader and conditions as this process; resolves with the
 * timings of its probes.
 */
function runChild(args: object): Promise<ProbeTiming[]> {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--conditions=@eventlog/source', '--import', tsx, CHILD, JSON.stringify(args)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`the appending child exited with ${code ?? signal}`));
        return;
      }
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve((JSON.parse(line) as { timings: ProbeTiming[] }).timings);
      } catch {
        reject(new Error(`the appending child printed no timings: ${line.slice(0, 200)}`));
      }
    });
  });
}

/** Subscribes, runs `append`, and collects the latencies of every probe after the warm-up. */
async function measure(
  log: EventLog,
  instanceId: string,
  factory: SubscriberFactory,
  total: number,
  append: () => Promise<ProbeTiming[]>,
  where?: Condition[],
): Promise<Samples> {
  const head = await log.store.headPosition(instanceId);
  const receivedAt: number[] = new Array(total);
  let received = 0;
  let last = -1;
  let outOfOrder = 0;
  let resolveDone!: () => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined); // observed below; a failure while appending must not go unhandled
  const subscription = factory.subscribe(
    log,
    instanceId,
    head,
    (event: EventRecord) => {
      const at = epochMs();
      const probe = event.payload as unknown as Probe;
      if (probe.i <= last) outOfOrder++;
      last = probe.i;
      receivedAt[probe.i] = at;
      if (++received >= total) resolveDone();
    },
    rejectDone,
    where,
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await settle(100);
    const timings = await append();
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 15_000);
    });
    if ((await Promise.race([done, timeout])) === 'timeout') {
      throw new Error(
        `only ${received} of ${total} probes reached the subscriber within 15 s of the last append`,
      );
    }
    if (outOfOrder > 0) throw new Error(`${outOfOrder} probes arrived out of order or twice`);
    const samples: Samples = { fromAppend: [], fromCommit: [], append: [] };
    for (let i = WARM_UP; i < total; i++) {
      const t = timings[i] as ProbeTiming;
      const at = receivedAt[i] as number;
      samples.fromAppend.push(at - t.sentAt);
      samples.fromCommit.push(at - t.committedAt);
      samples.append.push(t.returnedAt - t.sentAt);
    }
    return samples;
  } finally {
    clearTimeout(timer);
    subscription.stop();
  }
}

/**
 * Per probe after the warm-up, in ms: subscriber latency from the append call and from the commit
 * acknowledgement, and the `appendEvent` call itself.
 */
interface Samples {
  fromAppend: number[];
  fromCommit: number[];
  append: number[];
}

/** Samples of one case, or why there are none. */
type CaseResult = Samples | { missing: string };

/**
 * Measures one case with the factory; when that subscriber fails (e.g. `liveEvents` while
 * `@eventlog/rx` is being written), says so in `notes` and measures again with the primitives.
 */
async function measureCase(
  label: string,
  factory: SubscriberFactory,
  notes: string[],
  log: (line: string) => void,
  run: (factory: SubscriberFactory) => Promise<Samples>,
): Promise<CaseResult> {
  try {
    return await run(factory);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`latency ${label}: failed with ${factory.mechanism}: ${message}`);
    if (factory.subscribe === fallback.subscribe) return { missing: message.slice(0, 120) };
    notes.push(`${label}: ${factory.mechanism} failed (${message}); measured with the primitives instead`);
    try {
      return await run(fallback);
    } catch (again) {
      return { missing: (again instanceof Error ? again.message : String(again)).slice(0, 120) };
    }
  }
}

const fallback = primitivesFactory('fallback after a failure');

/** In-process and cross-process latency on one store. */
async function measureStore(
  name: string,
  spec: StoreSpec,
  config: BenchConfig,
  factory: SubscriberFactory,
  notes: string[],
  log: (line: string) => void,
): Promise<{ inProcess: CaseResult; filtered: CaseResult; crossProcess: CaseResult }> {
  const opened: OpenedLog = openLog(spec);
  const eventLog = opened.log;
  try {
    const created = expectSuccess(await eventLog.createInstance('latency'), 'createInstance');
    const instanceId = created.data.instance.id;
    const total = WARM_UP + config.latencySamples;
    log(`latency ${name}: in-process, ${config.latencySamples} probes`);
    const inProcess = await measureCase(`${name} in-process`, factory, notes, log, (f) =>
      measure(eventLog, instanceId, f, total, () =>
        appendProbes(opened, instanceId, total, config.latencyIntervalMs),
      ),
    );
    // Every probe matches, but the subscriber reads through the filter path (the issue-12 case).
    log(`latency ${name}: in-process, filtered on event_type, ${config.latencySamples} probes`);
    const filtered = await measureCase(`${name} in-process filtered`, factory, notes, log, (f) =>
      measure(
        eventLog,
        instanceId,
        f,
        total,
        () => appendProbes(opened, instanceId, total, config.latencyIntervalMs),
        PROBE_FILTER,
      ),
    );
    log(`latency ${name}: across processes, ${config.latencySamples} probes`);
    const crossProcess = await measureCase(`${name} across processes`, factory, notes, log, (f) =>
      measure(eventLog, instanceId, f, total, () =>
        runChild({ store: spec, instanceId, count: total, intervalMs: config.latencyIntervalMs }),
      ),
    );
    return { inProcess, filtered, crossProcess };
  } finally {
    await eventLog.close();
  }
}

export async function runLatencySection(
  config: BenchConfig,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<LatencySectionResult> {
  const factory = await subscriberFactory();
  log(`latency: subscriber = ${factory.mechanism}`);
  const rows: LatencyRow[] = [];
  const skipped: string[] = [];
  const caseNotes: string[] = [];

  const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-latency-'));
  try {
    const sqlite = await measureStore(
      'sqlite',
      { kind: 'sqlite', file: join(dir, 'latency.db') },
      config,
      factory,
      caseNotes,
      log,
    );
    rows.push(
      { label: 'SQLite, in-process', samples: sqlite.inProcess, targetP99Ms: 5 },
      { label: 'SQLite, in-process, filtered on event_type', samples: sqlite.filtered, targetP99Ms: 5 },
      { label: 'SQLite, across processes', samples: sqlite.crossProcess, targetP99Ms: 100 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  let pgMissing: string | undefined;
  if (config.pgUrl === undefined)
    pgMissing = 'no PostgreSQL URL (set EVENTLOG_BENCH_PG_URL or EVENTLOG_TEST_PG_URL)';
  const dbs = config.pgUrl === undefined ? undefined : new PgDatabases(config.pgUrl);
  try {
    if (dbs !== undefined) pgMissing = await dbs.problem();
    if (dbs !== undefined && pgMissing === undefined) {
      const url = await dbs.create();
      const pg = await measureStore('postgres', { kind: 'postgres', url }, config, factory, caseNotes, log);
      await dbs.drop(url);
      rows.push(
        { label: 'PostgreSQL, in-process', samples: pg.inProcess, targetP99Ms: 5 },
        { label: 'PostgreSQL, in-process, filtered on event_type', samples: pg.filtered, targetP99Ms: 5 },
        { label: 'PostgreSQL, across processes', samples: pg.crossProcess, targetP99Ms: 20 },
      );
    }
  } finally {
    await dbs?.close().catch(() => undefined);
  }
  if (pgMissing !== undefined) {
    skipped.push(`PostgreSQL latency skipped: ${pgMissing}`);
    rows.push(
      { label: 'PostgreSQL, in-process', samples: { missing: 'skipped' }, targetP99Ms: 5 },
      {
        label: 'PostgreSQL, in-process, filtered on event_type',
        samples: { missing: 'skipped' },
        targetP99Ms: 5,
      },
      { label: 'PostgreSQL, across processes', samples: { missing: 'skipped' }, targetP99Ms: 20 },
    );
  }

  const notes = [
    `subscriber: ${factory.mechanism}`,
    `${config.latencySamples} probes per case (after ${WARM_UP} warm-up probes), appended one at a time ${config.latencyIntervalMs} ms apart with appendEvent; both processes read the same wall clock (performance.timeOrigin + performance.now())`,
    'append → subscriber: from just before appendEvent is called until the subscriber holds the event, so it includes the commit (an fsync); commit → subscriber: from the moment the commit is acknowledged until the subscriber holds the event — the subscription’s own latency. PostgreSQL times the commit with the adapter’s onAppendCommit hook (called before anyone is woken); SQLite has no such hook, so its commit is timed when appendEvent returns (its watchers are woken inside the call, so this can come after delivery and read as 0 or below)',
    'the appendEvent column is the append call alone, commit included',
    'adapters at their defaults: SQLite durability FULL, other processes’ commits noticed by polling PRAGMA data_version every 50 ms; PostgreSQL LISTEN/NOTIFY wake-ups',
    ...caseNotes,
  ];
  return {
    tables: [
      latencyTable(
        'latency',
        'Live latency: append → subscriber and commit → subscriber',
        rows,
        notes,
        checks,
        percentile,
      ),
    ],
    skipped,
  };
}
