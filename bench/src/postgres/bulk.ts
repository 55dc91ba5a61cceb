/**
 * PostgreSQL bulk ingest: large batches through our `appendEvents` (the adapter writes batches of
 * ≥ 500 events with COPY) against the physical bar — a hand-written `COPY` of the same rows into
 * the same schema — and against the raw driver's `INSERT` (one `unnest` statement per batch, as in
 * the `postgres` section). Every run gets a database of its own.
 */

import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { batchesOf, describeRuns, medianOf, type Opener, repeat, runBatches } from '../cases.js';
import type { BenchConfig } from '../config.js';
import { formatRate, formatRatio, type Table, type TargetCheck } from '../report.js';
import type { BenchSide, SideName } from '../side.js';
import type { BenchEvent } from '../workload.js';
import { INSTANCE_NAME } from '../workload.js';
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
    const ours = medianOf(runs, 'ours', undefined);
    const copy = medianOf(runs, 'raw', undefined);
    const insert = medianOf(runs, 'emmett', undefined);
    const r = (a: typeof ours, b: typeof ours) =>
      typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : undefined;
    const vsCopy = r(ours, copy);
    const vsInsert = r(ours, insert);
    const label = `appendEvents, batches of ${config.bulkBatch}`;
    if (vsCopy !== undefined) {
      checks.push({
        section: 'postgres-bulk',
        label,
        target: `≥ ${COPY_TARGET}× hand-written COPY`,
        measured: formatRatio(vsCopy),
        met: vsCopy >= COPY_TARGET,
      });
    }
    return {
      tables: [
        {
          title: `PostgreSQL bulk ingest (${config.bulkEvents.toLocaleString('en-US')} events)`,
          header: ['case', 'unit', 'ours', 'hand COPY', 'raw INSERT', 'ours/COPY', 'ours/INSERT', 'target'],
          rows: [
            [
              label,
              'events/s',
              formatRate(ours),
              formatRate(copy),
              formatRate(insert),
              formatRatio(vsCopy),
              formatRatio(vsInsert),
              `≥ ${COPY_TARGET}× COPY ${vsCopy === undefined ? '?' : vsCopy >= COPY_TARGET ? '✓' : '✗'}`,
            ],
          ],
          notes: [
            'ours: log.appendEvents(...) through the facade (validation, the instance lock, version read, COPY, tags and type counts, positions returned); hand COPY: one COPY FROM STDIN per batch in a transaction, nothing else (the physical bar); raw INSERT: the postgres section’s raw side (lock, version read, one unnest INSERT)',
            `median of ${config.reps} runs, each in a new database; ${describeRuns('runs (raw = hand COPY, emmett = raw INSERT)', runs)}`,
          ],
        },
      ],
    };
  } finally {
    await dbs.close().catch(() => undefined);
  }
}
