/**
 * PostgreSQL bulk ingest: large batches through our `appendEvents` (the adapter writes batches of
 * ≥ 5000 events with COPY) against the physical bar — a hand-written `COPY` of the same rows into
 * the same schema — and against the raw driver's `INSERT` (one `unnest` statement per batch, as in
 * the `postgres` section). Every run gets a database of its own.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { batchesOf, describeRuns, medianOf, type Opener, repeat, runBatches } from '../cases.js';
import type { BenchConfig } from '../config.js';
import { median, settle, timed } from '../measure.js';
import { formatRate, formatRatio, type Table, type TargetCheck } from '../report.js';
import type { BenchSide, SideName } from '../side.js';
import { type BenchEvent, batchStream, INSTANCE_NAME } from '../workload.js';
import { PgDatabases } from './databases.js';
import { openOurPostgres } from './ours.js';
import { createSchemaWithAdapter, openRawPostgres } from './raw.js';

/** ours / hand-written COPY at least this (the target). */
const COPY_TARGET = 0.8;

/** COPY's text format: backslash, tab, newline and carriage return escaped. */
const esc = (s: string) =>
  s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));

/**
 * Hand-written COPY: per batch one transaction with one `COPY events (...) FROM STDIN` of the
 * batch's rows (a random UUID each, the same columns as ours writes; the sequence numbers are known,
 * since each batch writes a new stream), then commit. No lock, no version read, no tags or counts:
 * the physical bar.
 */
async function openHandCopy(url: string): Promise<BenchSide> {
  await createSchemaWithAdapter(url);
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const instanceId = randomUUID();
  const created = new Date().toISOString();
  await sql`insert into eventlog.instances (id, name, created_at, updated_at)
    values (${instanceId}, ${INSTANCE_NAME}, ${created}, ${created})`;
  const copy = `copy eventlog.events (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp) from stdin`;
  return {
    name: 'raw',
    settings: 'one COPY per batch in its own transaction',
    async appendBatch(stream, events) {
      const timestamp = new Date().toISOString();
      const prefix = `\t${esc(instanceId)}\t${esc(stream)}\t`;
      let text = '';
      events.forEach((e: BenchEvent, k) => {
        text += `${randomUUID()}${prefix}${k + 1}\t${esc(e.type)}\t${JSON.stringify(e.data).replaceAll('\\', '\\\\')}\t{}\t${timestamp}\n`;
      });
      await sql.begin(async (tx) => {
        const writable = await tx.unsafe(copy).writable();
        await new Promise<void>((resolve, reject) => {
          writable.on('error', reject);
          writable.end(text, resolve);
        });
      });
    },
    async appendOne() {
      throw new Error('not measured');
    },
    queries: {},
    close: () => sql.end({ timeout: 5 }),
  };
}

/** The CLI's program, from the sources (the bench runs under tsx with `@eventlog/source`). */
const PROGRAM = new URL('../../../packages/eventlog/src/cli/program.ts', import.meta.url).href;

/**
 * `eventlog import <file> -i bench --create --url <url>` run in this process (the CLI's own
 * program, so no process start is timed) on a database already migrated; events per second.
 */
async function runImport(url: string, file: string, events: number): Promise<number> {
  const { buildProgram } = (await import(PROGRAM)) as {
    buildProgram(): { parseAsync(argv: string[]): Promise<unknown> };
  };
  const write = process.stdout.write;
  // The command prints its JSON summary and progress; keep the bench's output readable.
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const stderr = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  let ms: number;
  try {
    ms = await timed(() =>
      buildProgram().parseAsync([
        'node',
        'eventlog',
        'import',
        file,
        '-i',
        INSTANCE_NAME,
        '--create',
        '--url',
        url,
      ]),
    );
  } finally {
    process.stdout.write = write;
    process.stderr.write = stderr;
  }
  if (process.exitCode !== undefined && process.exitCode !== 0) {
    process.exitCode = 0;
    throw new Error('eventlog import failed');
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [row] = await sql<Array<{ n: string }>>`select count(*)::text as n from eventlog.events`;
  await sql.end({ timeout: 5 });
  if (Number(row?.n) !== events) throw new Error(`eventlog import stored ${row?.n} events, not ${events}`);
  return (events * 1000) / ms;
}

export async function runBulkSection(
  config: BenchConfig,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<{ tables: Table[]; skipped?: string }> {
  if (config.pgUrl === undefined) return { tables: [], skipped: 'no PostgreSQL URL' };
  const dbs = new PgDatabases(config.pgUrl);
  const problem = await dbs.problem();
  if (problem !== undefined) {
    await dbs.close().catch(() => undefined);
    return { tables: [], skipped: `PostgreSQL is not usable: ${problem}` };
  }
  const onFreshDatabase =
    (open: (url: string) => Promise<BenchSide>): Opener =>
    async () => {
      const url = await dbs.create();
      const side = await open(url);
      return {
        ...side,
        close: async () => {
          await side.close();
          await dbs.drop(url);
        },
      };
    };
  // Three contenders in the two slots `repeat` knows besides ours: COPY as `raw`, INSERT as `emmett`.
  const openers: Partial<Record<SideName, Opener>> = {
    ours: onFreshDatabase(openOurPostgres),
    raw: onFreshDatabase(openHandCopy),
    emmett: onFreshDatabase(async (url) => ({ ...(await openRawPostgres(url)), name: 'emmett' as const })),
  };
  const batches = batchesOf(config.bulkEvents, config.bulkBatch);
  try {
    log('bulk: warming up');
    for (const open of Object.values(openers)) {
      const side = await (open as Opener)();
      await runBatches(side, batches.slice(0, 2));
      await side.close();
    }
    log(`bulk: ${config.bulkEvents} events in batches of ${config.bulkBatch}`);
    const bulk = await repeat(
      openers,
      config.reps,
      (side) => runBatches(side, batches),
      () => false,
    );
    const runs = bulk.runs;
    log(`bulk: ${describeRuns('bulk', runs)}`);

    // The same rows as NDJSON lines (append inputs), one stream per batch as above.
    const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-import-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      batches
        .flatMap((batch, k) =>
          batch.map((e) => JSON.stringify({ streamId: batchStream(k), eventType: e.type, payload: e.data })),
        )
        .join('\n'),
    );
    const imports: number[] = [];
    try {
      log(`bulk: eventlog import of the same ${config.bulkEvents} events (default batch size)`);
      for (let rep = 0; rep < config.reps; rep++) {
        const url = await dbs.create();
        try {
          await createSchemaWithAdapter(url);
          await settle();
          imports.push(await runImport(url, file, config.bulkEvents));
        } finally {
          await dbs.drop(url);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const imported = imports.length === 0 ? { missing: 'not run' } : median(imports);
    log(`bulk: import runs: ${imports.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ')}`);
    const ours = medianOf(runs, 'ours', undefined);
    const copy = medianOf(runs, 'raw', undefined);
    const insert = medianOf(runs, 'emmett', undefined);
    const r = (a: typeof ours, b: typeof ours) =>
      typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : undefined;
    const cases = [
      { label: `appendEvents, batches of ${config.bulkBatch}`, value: ours },
      { label: 'eventlog import (NDJSON file, default batch size)', value: imported },
    ];
    const rows = cases.map(({ label, value }) => {
      const vsCopy = r(value, copy);
      const vsInsert = r(value, insert);
      if (vsCopy !== undefined) {
        checks.push({
          section: 'postgres-bulk',
          label,
          target: `≥ ${COPY_TARGET}× hand-written COPY`,
          measured: formatRatio(vsCopy),
          met: vsCopy >= COPY_TARGET,
        });
      }
      return [
        label,
        'events/s',
        formatRate(value),
        formatRate(copy),
        formatRate(insert),
        formatRatio(vsCopy),
        formatRatio(vsInsert),
        `≥ ${COPY_TARGET}× COPY ${vsCopy === undefined ? '?' : vsCopy >= COPY_TARGET ? '✓' : '✗'}`,
      ];
    });
    return {
      tables: [
        {
          title: `PostgreSQL bulk ingest (${config.bulkEvents.toLocaleString('en-US')} events)`,
          header: ['case', 'unit', 'ours', 'hand COPY', 'raw INSERT', 'ours/COPY', 'ours/INSERT', 'target'],
          rows,
          notes: [
            'import: `eventlog import <file> -i bench --create --url <url>` run in this process on a migrated database (NDJSON read and parsed, appendEvents in batches of 5000 through the facade); its COPY and INSERT columns are the batch case’s, same rows',
            'ours: log.appendEvents(...) through the facade (validation, the instance lock, version read, COPY, tags and type counts, positions returned); hand COPY: one COPY FROM STDIN per batch in a transaction, nothing else (the physical bar); raw INSERT: the postgres section’s raw side (lock, version read, one unnest INSERT)',
            `median of ${config.reps} runs, each in a new database; ${describeRuns('runs (raw = hand COPY, emmett = raw INSERT)', runs)}; import runs: ${imports.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ')}`,
          ],
        },
      ],
    };
  } finally {
    await dbs.close().catch(() => undefined);
  }
}
