/**
 * SQLite: ours (through the facade) vs raw better-sqlite3 vs Emmett, at durability FULL and NORMAL.
 * Appends run on fresh database files; the queries run on the files the last FULL batch run left
 * (the batch case's events: `events` events in streams of `batchSize`).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import type { EmmettSqliteModule, Loaded } from '../emmett.js';
import { settle } from '../measure.js';
import { type Table, type TargetCheck, type ThroughputRow, throughputTable } from '../report.js';
import type { BenchSide, SideName } from '../side.js';
import { makeEvents, QUERY_LABELS, type QueryName } from '../workload.js';
import { openEmmettSqlite } from './emmett.js';
import { type Durability, openOurSqlite } from './ours.js';
import { openRawSqlite } from './raw.js';

const QUERIES: readonly QueryName[] = ['payloadFilter', 'typeFilter', 'readStream', 'countByType'];
const QUERY_TARGETS: Partial<Record<QueryName, number>> = { typeFilter: 0.8, countByType: 0.8 };

export async function runSqliteSection(
  config: BenchConfig,
  emmett: Loaded<EmmettSqliteModule> | undefined,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<Table[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-sqlite-'));
  let files = 0;
  const fresh = () => join(dir, `db-${files++}.db`);
  const emmettMissing = emmett === undefined ? 'BENCH_EMMETT=0' : emmett.ok ? undefined : 'unavailable';

  const openers = (durability: Durability): Partial<Record<SideName, Opener>> => {
    const o: Partial<Record<SideName, Opener>> = {
      ours: () => openOurSqlite(fresh(), durability),
      raw: () => openRawSqlite(fresh(), durability),
    };
    if (emmett?.ok) o.emmett = () => openEmmettSqlite(emmett.module, fresh(), { durability });
    return o;
  };

  const batches = batchesOf(config.events, config.batchSize);
  const singles = makeEvents(config.events, config.singleAppends);
  const concurrent = makeEvents(config.events, config.concurrentAppends);
  const tables: Table[] = [];
  const settings: Partial<Record<string, string>> = {};
  let querySides: Partial<Record<SideName, BenchSide>> = {};

  try {
    // Warm-up: every code path once on a throwaway database, so the measured runs are JIT-compiled.
    log('sqlite: warming up');
    for (const [name, open] of Object.entries(openers('normal'))) {
      const side = await (open as Opener)();
      await runBatches(side, batches.slice(0, Math.min(10, batches.length)));
      await runSingles(side, singles.slice(0, 500));
      await runConcurrentSingles(side, concurrent.slice(0, 320), config.concurrency);
      for (const q of QUERIES) await side.queries[q]?.();
      await side.close();
      log(`sqlite: warmed up ${name}`);
    }

    for (const durability of ['full', 'normal'] as const) {
      const o = openers(durability);
      log(`sqlite ${durability}: appendEvents, ${config.events} events in batches of ${config.batchSize}`);
      const batch = await repeat(
        o,
        config.reps,
        async (side) => {
          settings[`${durability}:${side.name}`] = side.settings;
          return runBatches(side, batches);
        },
        (name) => durability === 'full' && name in o,
      );
      if (durability === 'full') querySides = batch.kept;
      log(`sqlite ${durability}: ${describeRuns('batch', batch.runs)}`);

      log(`sqlite ${durability}: ${config.singleAppends} single appendEvent calls`);
      const single = await repeat(o, config.reps, (side) => runSingles(side, singles));
      log(`sqlite ${durability}: ${describeRuns('single', single.runs)}`);

      log(
        `sqlite ${durability}: ${config.concurrency} concurrent appenders, ${config.concurrentAppends} single appends`,
      );
      const conc = await repeat(o, config.reps, (side) =>
        runConcurrentSingles(side, concurrent, config.concurrency),
      );
      log(`sqlite ${durability}: ${describeRuns('concurrent', conc.runs)}`);

      let perCallNote: string | undefined;
      if (durability === 'full' && emmett?.ok) {
        const count = Math.min(1000, config.singleAppends);
        const side = await openEmmettSqlite(emmett.module, fresh(), { mode: 'per-call' });
        await settle();
        const rate = await runSingles(side, singles.slice(0, count));
        await side.close();
        perCallNote = `Emmett with its default pool (${side.settings}): ${Math.round(rate).toLocaleString('en-US')} events/s for ${count} single appends; the table gives it one shared connection, its faster set-up.`;
      }

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
          target: { vsRaw: 0.7 },
        },
        {
          label: `appendEvent, ${config.concurrency} concurrent appenders (one stream each)`,
          unit: 'events/s',
          ours: medianOf(conc.runs, 'ours', undefined),
          raw: medianOf(conc.runs, 'raw', undefined),
          emmett: medianOf(conc.runs, 'emmett', emmettMissing),
          target: { vsRaw: 1 },
        },
      ];
      const notes = [
        ...(['ours', 'raw', 'emmett'] as const)
          .filter((s) => settings[`${durability}:${s}`] !== undefined)
          .map((s) => `${s}: ${settings[`${durability}:${s}`]}`),
        `median of ${config.reps} runs, each on a fresh database file; ${describeRuns('batch', batch.runs)}; ${describeRuns('single', single.runs)}; ${describeRuns('concurrent', conc.runs)}`,
        'concurrent: ours coalesces the calls of this process that arrive together into one transaction (group commit); raw runs a transaction per call',
      ];
      if (perCallNote !== undefined) notes.push(perCallNote);
      if (emmett !== undefined && !emmett.ok) notes.push(`Emmett unavailable: ${emmett.reason}`);
      tables.push(
        throughputTable(
          `sqlite-${durability}`,
          `SQLite appends — durability ${durability.toUpperCase()} (${config.events.toLocaleString('en-US')} events)`,
          rows,
          notes,
          checks,
        ),
      );
    }

    log(`sqlite: queries over ${config.events} events`);
    const q = await runQueries(querySides, QUERIES, config.reps, config.queryMs);
    const rows: ThroughputRow[] = QUERIES.map((query) => ({
      label: QUERY_LABELS[query],
      unit: 'queries/s',
      ours: medianOf(q.runs[query] ?? {}, 'ours', undefined),
      raw: medianOf(q.runs[query] ?? {}, 'raw', undefined),
      emmett: medianOf(
        q.runs[query] ?? {},
        'emmett',
        emmettMissing ?? (query === 'readStream' ? undefined : 'no query API'),
      ),
      ...(QUERY_TARGETS[query] === undefined ? {} : { target: { vsRaw: QUERY_TARGETS[query] } }),
    }));
    const notes = [
      `the databases of the last FULL batch run (${config.events.toLocaleString('en-US')} events, ${batches.length} streams); queries/s = sequential calls, median of ${config.reps} runs of ≥ ${config.queryMs} ms`,
      'ours: log.queryEvents(...) (validation, instance resolution, compiled SQL, events decoded); raw: the equivalent hand-written SQL in a read transaction, rows decoded to the same event objects; Emmett: readStream (it has no query API)',
      "'within 1.25× of hand-written SQL' is the target ≥ 0.8× raw (in queries/s)",
      ...QUERIES.map((query) => describeRuns(query, q.runs[query] ?? {})),
      ...outcomeMismatches(q.outcomes),
    ];
    tables.push(throughputTable('sqlite-queries', 'SQLite queries', rows, notes, checks));
  } finally {
    for (const side of Object.values(querySides)) await side?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return tables;
}
