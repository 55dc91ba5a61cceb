/**
 * PostgreSQL: ours (through the facade) vs raw postgres.js vs Emmett. Every run gets a database of
 * its own; queries run on the databases the last batch run left.
 */

import {
  batchesOf,
  describeRuns,
  medianOf,
  type Opener,
  outcomeMismatches,
  repeat,
  runBatches,
  runConcurrentSingles,
  runQueries,
  runSingles,
} from '../cases.js';
import type { BenchConfig } from '../config.js';
import type { EmmettPostgresModule, Loaded } from '../emmett.js';
import type { Table, TargetCheck, ThroughputRow } from '../report.js';
import { throughputTable } from '../report.js';
import type { BenchSide, SideName } from '../side.js';
import { makeEvents, QUERY_LABELS, type QueryName } from '../workload.js';
import { PgDatabases } from './databases.js';
import { openEmmettPostgres } from './emmett.js';
import { openOurPostgres } from './ours.js';
import { openRawPostgres } from './raw.js';

const QUERIES: readonly QueryName[] = ['payloadFilter', 'typeFilter', 'readStream', 'countByType'];
const QUERY_TARGET = 0.8;

export interface PostgresSectionResult {
  tables: Table[];
  /** Why the section did not run. */
  skipped?: string;
}

export async function runPostgresSection(
  config: BenchConfig,
  emmett: Loaded<EmmettPostgresModule> | undefined,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<PostgresSectionResult> {
  if (config.pgUrl === undefined) {
    const reason = 'no PostgreSQL URL (set EVENTLOG_BENCH_PG_URL or EVENTLOG_TEST_PG_URL)';
    log(`postgres: skipped: ${reason}`);
    return { tables: [], skipped: reason };
  }
  const dbs = new PgDatabases(config.pgUrl);
  const problem = await dbs.problem();
  if (problem !== undefined) {
    await dbs.close().catch(() => undefined);
    const reason = `PostgreSQL at ${redact(config.pgUrl)} is not usable: ${problem}`;
    log(`postgres: skipped: ${reason}`);
    return { tables: [], skipped: reason };
  }
  const serverSettings = await dbs.settings();
  const emmettMissing = emmett === undefined ? 'BENCH_EMMETT=0' : emmett.ok ? undefined : 'unavailable';

  /** Opens a side on a new database, dropped when the side closes. */
  const onFreshDatabase =
    (open: (url: string) => Promise<BenchSide>): Opener =>
    async () => {
      const url = await dbs.create();
      const side = await open(url);
      return {
        ...side,
        database: url,
        close: async () => {
          await side.close();
          await dbs.drop(url);
        },
      };
    };
  const openers: Partial<Record<SideName, Opener>> = {
    ours: onFreshDatabase(openOurPostgres),
    raw: onFreshDatabase(openRawPostgres),
  };
  if (emmett?.ok) openers.emmett = onFreshDatabase((url) => openEmmettPostgres(emmett.module, url));

  const batches = batchesOf(config.events, config.batchSize);
  const singles = makeEvents(config.events, config.singleAppends);
  const concurrent = makeEvents(config.events, config.concurrentAppends);
  const settings: Partial<Record<SideName, string>> = {};
  let querySides: Partial<Record<SideName, BenchSide>> = {};
  const tables: Table[] = [];

  try {
    log('postgres: warming up');
    for (const [name, open] of Object.entries(openers)) {
      const side = await (open as Opener)();
      settings[name as SideName] = side.settings;
      await runBatches(side, batches.slice(0, Math.min(10, batches.length)));
      await runSingles(side, singles.slice(0, 300));
      await runConcurrentSingles(side, concurrent.slice(0, 320), config.concurrency);
      for (const q of QUERIES) await side.queries[q]?.();
      await side.close();
      log(`postgres: warmed up ${name}`);
    }

    log(`postgres: appendEvents, ${config.events} events in batches of ${config.batchSize}`);
    const batch = await repeat(
      openers,
      config.reps,
      (side) => runBatches(side, batches),
      () => true,
    );
    querySides = batch.kept;
    log(`postgres: ${describeRuns('batch', batch.runs)}`);

    log(`postgres: ${config.singleAppends} sequential single appends`);
    const single = await repeat(openers, config.reps, (side) => runSingles(side, singles));
    log(`postgres: ${describeRuns('single', single.runs)}`);

    log(`postgres: ${config.concurrency} concurrent appenders, ${config.concurrentAppends} single appends`);
    const conc = await repeat(openers, config.reps, (side) =>
      runConcurrentSingles(side, concurrent, config.concurrency),
    );
    log(`postgres: ${describeRuns('concurrent', conc.runs)}`);

    const rows: ThroughputRow[] = [
      {
        label: `appendEvents, batches of ${config.batchSize}`,
        unit: 'events/s',
        ours: medianOf(batch.runs, 'ours', undefined),
        raw: medianOf(batch.runs, 'raw', undefined),
        emmett: medianOf(batch.runs, 'emmett', emmettMissing),
        target: { vsRaw: 0.8, vsEmmett: 1.5 },
      },
      {
        label: 'appendEvent, one at a time (sequential)',
        unit: 'events/s',
        ours: medianOf(single.runs, 'ours', undefined),
        raw: medianOf(single.runs, 'raw', undefined),
        emmett: medianOf(single.runs, 'emmett', emmettMissing),
        target: { vsRaw: 0.8 },
      },
      {
        label: `appendEvent, ${config.concurrency} concurrent appenders (one stream each)`,
        unit: 'events/s',
        ours: medianOf(conc.runs, 'ours', undefined),
        raw: medianOf(conc.runs, 'raw', undefined),
        emmett: medianOf(conc.runs, 'emmett', emmettMissing),
        target: { vsRaw: 0.7, vsEmmett: 2 },
      },
    ];
    const notes = [
      `server: ${serverSettings}`,
      ...(['ours', 'raw', 'emmett'] as const)
        .filter((s) => settings[s] !== undefined)
        .map((s) => `${s}: ${settings[s]}`),
      `median of ${config.reps} runs, each in a new database; ${describeRuns('batch', batch.runs)}; ${describeRuns('single', single.runs)}; ${describeRuns('concurrent', conc.runs)}`,
    ];
    if (emmett !== undefined && !emmett.ok) notes.push(`Emmett unavailable: ${emmett.reason}`);
    tables.push(
      throughputTable(
        'postgres',
        `PostgreSQL appends (${config.events.toLocaleString('en-US')} events)`,
        rows,
        notes,
        checks,
      ),
    );

    log(`postgres: VACUUM ANALYZE of the query databases, then queries over ${config.events} events`);
    for (const side of Object.values(querySides))
      if (side?.database !== undefined) await dbs.vacuum(side.database);
    const q = await runQueries(querySides, QUERIES, config.reps, config.queryMs);
    const queryRows: ThroughputRow[] = QUERIES.map((query) => ({
      label: QUERY_LABELS[query],
      unit: 'queries/s',
      ours: medianOf(q.runs[query] ?? {}, 'ours', undefined),
      raw: medianOf(q.runs[query] ?? {}, 'raw', undefined),
      emmett: medianOf(
        q.runs[query] ?? {},
        'emmett',
        emmettMissing ?? (query === 'readStream' ? undefined : 'no query API'),
      ),
      target: { vsRaw: QUERY_TARGET },
    }));
    tables.push(
      throughputTable(
        'postgres-queries',
        'PostgreSQL queries',
        queryRows,
        [
          `the databases of the last batch run (${config.events.toLocaleString('en-US')} events, ${batches.length} streams), each after VACUUM ANALYZE; queries/s = sequential calls, median of ${config.reps} runs of ≥ ${config.queryMs} ms`,
          'ours: log.queryEvents(...) (validation, instance resolution by id or name, compiled SQL, events decoded); raw: the equivalent hand-written SQL (the page and its count pipelined in one REPEATABLE READ snapshot), rows mapped to the same event objects; Emmett: readStream (it has no query API)',
          "'within 1.25× of hand-written SQL' is the target ≥ 0.8× raw (in queries/s)",
          ...QUERIES.map((query) => describeRuns(query, q.runs[query] ?? {})),
          ...outcomeMismatches(q.outcomes),
        ],
        checks,
      ),
    );
  } finally {
    for (const side of Object.values(querySides)) await side?.close().catch(() => undefined);
    await dbs.close().catch(() => undefined);
  }
  return { tables };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
