/**
 * `BENCH_ONLY=decisions`: what consistency across streams and snapshots cost, on SQLite and
 * PostgreSQL (issue 11's figures).
 *
 * - **Conditional vs plain append**, with `BENCH_DCB_EVENTS` (default 1,000,000) tagged events
 *   stored: sequential `appendEvent`s with a condition on one tag (an index probe under the write
 *   lock) against the same appends without one, interleaved in rounds so drift hits both alike.
 * - **`handleCommand` on a 10,000-event stream**, with a snapshot every 100 events (the target)
 *   and every 10 against none, each side warmed up first, then in rounds of rotating order
 *   (medians); on PostgreSQL with the ceiling of that ratio: raw one-row commits per second (a
 *   command appends, so it cannot go faster) over commands per second without snapshots.
 * - **`decide` under 8 concurrent writers**, each booking a seat whose boundary is two tags (the
 *   course and the student): decisions per second and the retries they needed.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BoundaryDecider,
  createEventLog,
  decide,
  type EventLog,
  handleCommand,
  type StorageAdapter,
} from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import postgres from 'postgres';
import type { BenchConfig } from '../config.js';
import { median, now, rotate, settle } from '../measure.js';
import { PgDatabases } from '../postgres/databases.js';
import type { Table, TargetCheck } from '../report.js';
import { expectSuccess } from '../side.js';
import { appendCounted, counter } from './counter.js';

export interface DecisionsSectionResult {
  tables: Table[];
  skipped: string[];
}

const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const STORED = Number(process.env.BENCH_DCB_EVENTS ?? 1_000_000);
const ROUNDS = 5;
const PER_ROUND = 200;
const STREAM_EVENTS = 10_000;
/**
 * `handleCommand` with snapshots: the policies compared with none (the first one carries the
 * target), and commands per round and in the warm-up.
 */
const SNAPSHOT_EVERY = [100, 10] as const;
const WITH_PER_ROUND = 200;
const WARMUP_WITH = 200;
/** Without snapshots a command reads all 10,000 events: fewer make a round as long. */
const WITHOUT_PER_ROUND = 20;
const WARMUP_WITHOUT = 10;
/** Sequential raw commits timed for the ceiling. */
const COMMITS = 200;
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
 * The floor under any command's append on PostgreSQL: `COMMITS` sequential one-row inserts into
 * a table of their own, each its own transaction (a durable commit), by postgres.js.
 */
async function rawCommitRate(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE TABLE IF NOT EXISTS bench_commits (n integer NOT NULL)`;
    for (let k = 0; k < 20; k++) await sql`INSERT INTO bench_commits VALUES (${k})`;
    const start = now();
    for (let k = 0; k < COMMITS; k++) await sql`INSERT INTO bench_commits VALUES (${k})`;
    return (COMMITS * 1000) / (now() - start);
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

/** Commands per second of `handleCommand` on a 10,000-event stream: without snapshots, and with each policy. */
interface SnapshotRates {
  without: number;
  /** By `every`, in the order of {@link SNAPSHOT_EVERY}. */
  with: Map<number, number>;
}

async function snapshots(log: EventLog): Promise<SnapshotRates> {
  const instance = 'dcb-stream';
  expectSuccess(await log.createInstance(instance), 'createInstance');
  // A stream of its own for each side, so that one policy's snapshots never serve another.
  const streamOf = (every: number | undefined) => (every === undefined ? 'long' : `long-every-${every}`);
  for (const every of [undefined, ...SNAPSHOT_EVERY]) {
    await appendCounted(log, instance, streamOf(every), STREAM_EVENTS);
  }
  /** Commands per second over `count` sequential commands, with a snapshot every `every` events or none. */
  const rate = async (every: number | undefined, count: number) => {
    const start = now();
    for (let k = 0; k < count; k++) {
      await handleCommand(log, {
        instance,
        streamId: streamOf(every),
        decider: counter,
        command: { by: 1 },
        ...(every === undefined ? {} : { snapshot: { every } }),
      });
    }
    return (count * 1000) / (now() - start);
  };
  const sides = [undefined, ...SNAPSHOT_EVERY];
  // Unmeasured first: the first snapshotted command writes the snapshot, and every path runs long
  // enough for the JIT to have compiled it (a service handling commands runs warm).
  for (const every of sides) await rate(every, every === undefined ? WARMUP_WITHOUT : WARMUP_WITH);
  const rates = new Map<number | undefined, number[]>(sides.map((every) => [every, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const every of rotate(sides, round)) {
      await settle(20);
      rates.get(every)?.push(await rate(every, every === undefined ? WITHOUT_PER_ROUND : WITH_PER_ROUND));
    }
  }
  return {
    without: median(rates.get(undefined) ?? []),
    with: new Map(SNAPSHOT_EVERY.map((every) => [every, median(rates.get(every) ?? [])])),
  };
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
      for (const [every, rate] of snap.with) {
        const speedup = rate / snap.without;
        const target = every === SNAPSHOT_EVERY[0];
        rows.push([
          backend.name,
          `handleCommand on a ${nf.format(STREAM_EVENTS)}-event stream, snapshot every ${every} vs none`,
          `${nf.format(rate)} vs ${snap.without.toFixed(1)} commands/s`,
          `${speedup.toFixed(1)}×`,
          target ? '≥ 20×' : '—',
        ]);
        if (target) {
          checks.push({
            section: `decisions/${backend.name}`,
            label: `handleCommand with snapshots (every ${every}) / without`,
            target: '≥ 20×',
            measured: `${speedup.toFixed(1)}×`,
            met: speedup >= 20,
          });
        }
      }
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
          `handleCommand: a 10,000-event stream for each side; after a warm-up (${WARMUP_WITHOUT} commands without snapshots, ${WARMUP_WITH} with each policy, the first writing the snapshot), ${ROUNDS} rounds in rotating order of ${WITHOUT_PER_ROUND} sequential commands without and ${WITH_PER_ROUND} with each policy, median commands/s of each`,
          'ceiling: a command reads, then appends (a durable commit); raw commits per second over commands per second without snapshots bounds what snapshots can gain',
        ],
      },
    ],
    skipped,
  };
}
