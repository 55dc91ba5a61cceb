/**
 * `BENCH_ONLY=decisions`: what consistency across streams and snapshots cost, on SQLite and
 * PostgreSQL (issue 11's figures).
 *
 * - **Conditional vs plain append**, with `BENCH_DCB_EVENTS` (default 1,000,000) tagged events
 *   stored: sequential `appendEvent`s with a condition on one tag (an index probe under the write
 *   lock) against the same appends without one, interleaved in rounds so drift hits both alike.
 * - **`handleCommand` on a 10,000-event stream**, with a snapshot every 100 events against none;
 *   on PostgreSQL with the ceiling of that ratio: raw one-row commits per second (a command
 *   appends, so it cannot go faster) over commands per second without snapshots.
 * - **`decide` under 8 concurrent writers**, each booking a seat whose boundary is two tags (the
 *   course and the student): decisions per second and the retries they needed.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BoundaryDecider,
  createEventLog,
  type Decider,
  decide,
  type EventLog,
  handleCommand,
  type StorageAdapter,
} from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import postgres from 'postgres';
import type { BenchConfig } from '../config.js';
import { median, now, settle } from '../measure.js';
import { PgDatabases } from '../postgres/databases.js';
import type { Table, TargetCheck } from '../report.js';
import { expectSuccess } from '../side.js';

export interface DecisionsSectionResult {
  tables: Table[];
  skipped: string[];
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const STORED = Number(process.env.BENCH_DCB_EVENTS ?? 1_000_000);
const ROUNDS = 5;
const PER_ROUND = 200;
const STREAM_EVENTS = 10_000;
const COMMANDS = 200;
const WRITERS = 8;
const BOOKINGS = 400;

interface Backend {
  name: string;
  open(): Promise<{
    log: EventLog;
    close(): Promise<void>;
    /** Sequential one-row inserts, each its own commit, by the raw driver: commits per second. */
    rawCommits?(): Promise<number>;
  }>;
}

/**
 * The floor under any command's append on PostgreSQL: `COMMANDS` sequential one-row inserts into
 * a table of their own, each its own transaction (a durable commit), by postgres.js.
 */
async function rawCommitRate(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE TABLE IF NOT EXISTS bench_commits (n integer NOT NULL)`;
    for (let k = 0; k < 20; k++) await sql`INSERT INTO bench_commits VALUES (${k})`;
    const start = now();
    for (let k = 0; k < COMMANDS; k++) await sql`INSERT INTO bench_commits VALUES (${k})`;
    return (COMMANDS * 1000) / (now() - start);
  } finally {
    await sql`DROP TABLE IF EXISTS bench_commits`;
    await sql.end();
  }
}

/** Loads `count` events, a tenth of them tagged with one of 1000 course tags. */
async function load(log: EventLog, instance: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const events = Array.from({ length: Math.min(1000, count - done) }, (_, j) => {
      const i = done + j;
      return {
        streamId: `s-${i % 10_000}`,
        eventType: i % 10 === 0 ? 'StudentSubscribed' : 'Noise',
        payload: { i },
        ...(i % 10 === 0 ? { tags: [`course:c${i % 1000}`, `student:s${i % 5000}`] } : {}),
      };
    });
    expectSuccess(await log.appendEvents({ instanceId: instance, events }), 'appendEvents');
  }
}

async function conditionalVsPlain(log: EventLog): Promise<{ plain: number; conditional: number }> {
  const instance = 'dcb-append';
  expectSuccess(await log.createInstance(instance), 'createInstance');
  await load(log, instance, STORED);
  const head = expectSuccess(await log.getInstanceStats(instance), 'getInstanceStats').data.eventCount;
  const plain: number[] = [];
  const conditional: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? ['plain', 'conditional'] : ['conditional', 'plain']) {
      await settle(20);
      const start = now();
      for (let k = 0; k < PER_ROUND; k++) {
        const params = {
          instanceId: instance,
          streamId: `bench-${kind}-${k % 50}`,
          eventType: 'StudentSubscribed',
          payload: { k },
          tags: [`course:new${k}`],
          ...(kind === 'conditional'
            ? { condition: { failIfEventsMatch: [{ tags: [`course:c${k % 1000}`] }], after: head } }
            : {}),
        };
        expectSuccess(await log.appendEvent(params), 'appendEvent');
      }
      (kind === 'plain' ? plain : conditional).push((PER_ROUND * 1000) / (now() - start));
    }
  }
  return { plain: median(plain), conditional: median(conditional) };
}

interface Counter {
  n: number;
}
const counter: Decider<Counter, { by: number }> = {
  initialState: () => ({ n: 0 }),
  evolve: (state, event) => ({ n: state.n + ((event.payload as { by: number }).by ?? 0) }),
  decide: (command) => ({ eventType: 'Counted', payload: { by: command.by } }),
};

async function snapshots(log: EventLog): Promise<{ without: number; with: number }> {
  const instance = 'dcb-stream';
  expectSuccess(await log.createInstance(instance), 'createInstance');
  for (let done = 0; done < STREAM_EVENTS; done += 1000) {
    const events = Array.from({ length: 1000 }, () => ({ eventType: 'Counted', payload: { by: 1 } }));
    expectSuccess(await log.appendEvents({ instanceId: instance, streamId: 'long', events }), 'appendEvents');
  }
  const run = async (snapshot: boolean) => {
    const start = now();
    for (let k = 0; k < COMMANDS; k++) {
      await handleCommand(log, {
        instance,
        streamId: 'long',
        decider: counter,
        command: { by: 1 },
        ...(snapshot ? { snapshot: { every: 100 } } : {}),
      });
    }
    return (COMMANDS * 1000) / (now() - start);
  };
  // The first snapshotted command writes the snapshot; the rate counts the steady state after it.
  await handleCommand(log, {
    instance,
    streamId: 'long',
    decider: counter,
    command: { by: 1 },
    snapshot: { every: 100 },
  });
  await handleCommand(log, {
    instance,
    streamId: 'long',
    decider: counter,
    command: { by: 1 },
    snapshot: { every: 100 },
  });
  const without = await run(false);
  const withSnapshots = await run(true);
  return { without, with: withSnapshots };
}

interface Seats {
  taken: number;
  mine: number;
}
const booking: BoundaryDecider<Seats, { course: string; student: string }> = {
  boundary: (c) => [{ tags: [`course:${c.course}`] }, { tags: [`student:${c.student}`] }],
  initialState: () => ({ taken: 0, mine: 0 }),
  evolve: (state, event) => ({
    taken: state.taken + (event.tags?.some((t) => t.startsWith('course:')) ? 1 : 0),
    mine: state.mine + 1,
  }),
  decide: (c, state) => {
    if (state.taken >= 1_000_000) throw new Error('full');
    return {
      streamId: `course-${c.course}`,
      eventType: 'Booked',
      tags: [`course:${c.course}`, `student:${c.student}`],
    };
  },
};

async function concurrentDecisions(
  log: EventLog,
): Promise<{ rate: number; retries: number; decisions: number }> {
  const instance = 'dcb-decide';
  expectSuccess(await log.createInstance(instance), 'createInstance');
  let retries = 0;
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < BOOKINGS) {
        const k = next++;
        // 10 courses and 40 students: writers keep meeting on the same boundaries.
        const result = await decide(log, {
          instance,
          decider: booking,
          command: { course: `c${k % 10}`, student: `s${k % 40}` },
          retry: { maxRetries: 100 },
        });
        retries += result.retries;
      }
    }),
  );
  return { rate: (BOOKINGS * 1000) / (now() - start), retries, decisions: BOOKINGS };
}

export async function runDecisionsSection(
  config: BenchConfig,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<DecisionsSectionResult> {
  const backends: Backend[] = [
    {
      name: 'SQLite',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-dcb-'));
        const el = createEventLog({ adapter: sqliteAdapter({ file: join(dir, 'dcb.db') }) });
        return {
          log: el,
          async close() {
            await el.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      },
    },
  ];
  const skipped: string[] = [];
  if (config.pgUrl !== undefined) {
    const databases = new PgDatabases(config.pgUrl);
    backends.push({
      name: 'PostgreSQL',
      async open() {
        const url = await databases.create();
        const el = createEventLog({
          adapter: postgresAdapter({ url, statementTimeoutMs: 0 }) as StorageAdapter,
        });
        return {
          log: el,
          async close() {
            await el.close();
            await databases.drop(url);
          },
          rawCommits: () => rawCommitRate(url),
        };
      },
    });
  } else {
    skipped.push('Decisions on PostgreSQL skipped: no EVENTLOG_BENCH_PG_URL / EVENTLOG_TEST_PG_URL.');
  }

  const rows: string[][] = [];
  for (const backend of backends) {
    const opened = await backend.open();
    try {
      log(`decisions/${backend.name}: loading ${nf.format(STORED)} tagged events`);
      const appends = await conditionalVsPlain(opened.log);
      const ratio = appends.conditional / appends.plain;
      rows.push([
        backend.name,
        `appendEvent with a one-tag condition vs without (${nf.format(STORED)} events stored)`,
        `${nf.format(appends.conditional)} vs ${nf.format(appends.plain)} ev/s`,
        `${ratio.toFixed(2)}×`,
        '≥ 0.7×',
      ]);
      checks.push({
        section: `decisions/${backend.name}`,
        label: 'conditional / plain append',
        target: '≥ 0.7×',
        measured: `${ratio.toFixed(2)}×`,
        met: ratio >= 0.7,
      });
      log(`decisions/${backend.name}: handleCommand on a ${nf.format(STREAM_EVENTS)}-event stream`);
      const snap = await snapshots(opened.log);
      const speedup = snap.with / snap.without;
      rows.push([
        backend.name,
        `handleCommand on a ${nf.format(STREAM_EVENTS)}-event stream, snapshot every 100 vs none`,
        `${nf.format(snap.with)} vs ${snap.without.toFixed(1)} commands/s`,
        `${speedup.toFixed(1)}×`,
        '≥ 20×',
      ]);
      checks.push({
        section: `decisions/${backend.name}`,
        label: 'handleCommand with snapshots / without',
        target: '≥ 20×',
        measured: `${speedup.toFixed(1)}×`,
        met: speedup >= 20,
      });
      if (opened.rawCommits !== undefined) {
        // A command appends, so it cannot beat one durable commit: the ratio's ceiling here.
        const commits = await opened.rawCommits();
        rows.push([
          backend.name,
          'one-row INSERT, each its own commit, raw driver (the floor under a command: ceiling of the ratio above)',
          `${nf.format(commits)} commits/s`,
          `≤ ${(commits / snap.without).toFixed(1)}×`,
          '—',
        ]);
      }
      log(`decisions/${backend.name}: decide under ${WRITERS} writers`);
      const dec = await concurrentDecisions(opened.log);
      rows.push([
        backend.name,
        `decide, two-tag boundary, ${WRITERS} concurrent writers (${dec.decisions} decisions, 10 courses × 40 students)`,
        `${nf.format(dec.rate)} decisions/s`,
        `${dec.retries} retries (${(dec.retries / dec.decisions).toFixed(2)} per decision)`,
        '—',
      ]);
    } finally {
      await opened.close();
    }
  }
  return {
    tables: [
      {
        title: 'Decisions across streams and snapshots',
        header: ['backend', 'case', 'measured', 'ratio', 'target'],
        rows,
        notes: [
          'conditional vs plain: 5 interleaved rounds of 200 sequential appendEvent calls each, median; the condition matches nothing (after = the head), so every call writes',
          'handleCommand: 200 sequential commands each way after the first snapshot was written',
          'ceiling: a command reads, then appends (a durable commit); raw commits per second over commands per second without snapshots bounds what snapshots can gain',
        ],
      },
    ],
    skipped,
  };
}
