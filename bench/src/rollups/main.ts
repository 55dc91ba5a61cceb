/**
 * `pnpm bench:rollups`: dashboards from rollups (issue 10) on one store.
 *
 * Loads `ROLLUP_EVENTS` events (default 1,000,000; batches of 1000, 5 event types, 100 streams,
 * timestamps spread evenly over January 2024) into two instances: one without rollups, one with an
 * hourly rollup (`event_type` × hour, count and sum of `payload.amount`) defined before the load,
 * and reports both load rates (the rollup's cost on appends). Then it defines the same rollup on
 * the first instance (a backfill) and times it, and compares, on the same instance, the month's
 * "count per day" and "sum of amount per day and type" answered by the scan and by the rollup
 * (median of `ROLLUP_RUNS` runs each, default 5), checking both give the same result; then again
 * with a daily rollup beside it (the coarsest covering rollup answers: 31 days × 5 types cells).
 *
 * Knobs: `ROLLUP_URL` (default a fresh SQLite file in a temporary directory; `memory:`), or
 * `ROLLUP_EVENTS`, `ROLLUP_RUNS`.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, type EventLog, type Query } from '@eventlog/core';
import { openEventLog } from 'eventlog';
import { now } from '../measure.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-rollups-'));
const url = process.env.ROLLUP_URL ?? `sqlite:${join(dir, 'rollups.db')}`;
const total = Number(process.env.ROLLUP_EVENTS ?? 1_000_000);
const runs = Number(process.env.ROLLUP_RUNS ?? 5);
const MONTH_START = Date.UTC(2024, 0, 1);
const MONTH_MS = 31 * 86_400_000;
const TYPES = ['PageViewed', 'CartUpdated', 'OrderPlaced', 'PaymentCaptured', 'OrderShipped'];
const say = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);

const HOURLY = {
  name: 'hourly',
  groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }] as const,
  measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }] as const,
};

async function load(log: EventLog, instanceId: string): Promise<number> {
  const start = now();
  for (let i = 0; i < total; i += 1000) {
    await log.store.appendEvents({
      instanceId,
      streamId: `stream-${(i / 1000) % 100}`,
      events: Array.from({ length: Math.min(1000, total - i) }, (_, k) => {
        const n = i + k;
        return {
          eventType: TYPES[n % TYPES.length] as string,
          payload: { n, amount: (n * 7919) % 1000, note: 'x'.repeat(40) },
          timestamp: MONTH_START + Math.floor((n / total) * MONTH_MS),
        };
      }),
    });
  }
  return now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function time(log: EventLog, query: Query): Promise<{ ms: number; result: unknown }> {
  const times: number[] = [];
  let result: unknown;
  for (let r = 0; r < runs; r++) {
    const start = now();
    const res = await log.queryEvents(query);
    times.push(now() - start);
    if (!res.success) throw new Error(res.error);
    result = res.data.result;
  }
  return { ms: median(times), result };
}

const log = await openEventLog(url);
const scan = createEventLog({ adapter: log.store.adapter, useRollups: false });
try {
  say(`store ${url}, ${total} events over January 2024, ${runs} runs per query (median)`);
  const plain = await log.store.createInstance(`plain-${Date.now()}`);
  const loadPlain = await load(log, plain.id);
  say(`load without rollup: ${fmt(loadPlain)} (${Math.round(total / (loadPlain / 1000))} events/s)`);
  const rolled = await log.store.createInstance(`rolled-${Date.now()}`);
  await log.store.defineRollup({ instanceId: rolled.id, ...structuredClone(HOURLY) } as never);
  const loadRolled = await load(log, rolled.id);
  say(
    `load with an hourly rollup: ${fmt(loadRolled)} (${Math.round(total / (loadRolled / 1000))} events/s, ${(((loadRolled - loadPlain) / loadPlain) * 100).toFixed(0)}% slower)`,
  );
  await log.store.deleteInstance(rolled.id);

  let start = now();
  await log.store.defineRollup({ instanceId: plain.id, ...structuredClone(HOURLY) } as never);
  say(`defineRollup backfill of ${total} events: ${fmt(now() - start)}`);

  const month = [
    { field: 'timestamp', operator: 'gte', value: '2024-01-01T00:00:00.000Z' },
    { field: 'timestamp', operator: 'lt', value: '2024-02-01T00:00:00.000Z' },
  ];
  const queries: Array<[string, Query]> = [
    [
      'count per day over the month',
      {
        from: { instance: plain.id },
        where: month,
        reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day' }] },
      } as Query,
    ],
    [
      'sum of amount per day and type',
      {
        from: { instance: plain.id },
        where: month,
        reduce: {
          type: 'sum',
          field: 'payload.amount',
          groupBy: ['event_type', { field: 'timestamp', interval: 'day' }],
        },
      } as Query,
    ],
  ];
  /** Each query by scan and from the rollup that answers it: times, speed-up, same result. */
  const compare = async () => {
    for (const [label, query] of queries) {
      const plan = await log.store.explainQuery(query);
      const scanned = await time(scan, query);
      const fromRollup = await time(log, query);
      const same = JSON.stringify(scanned.result) === JSON.stringify(fromRollup.result);
      say(
        `${label}: scan ${fmt(scanned.ms)}, rollup ${fmt(fromRollup.ms)} (${plan.rollup}) → ${(scanned.ms / fromRollup.ms).toFixed(0)}× faster; same result: ${same}`,
      );
    }
  };
  await compare();
  // A dashboard over months reads fewer cells from a day rollup: the coarsest covering one answers.
  start = now();
  await log.store.defineRollup({
    instanceId: plain.id,
    name: 'daily',
    groupBy: ['event_type', { field: 'timestamp', interval: 'day' }],
    measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
  } as never);
  say(`defineRollup (daily) backfill: ${fmt(now() - start)}`);
  await compare();
  start = now();
  await log.store.deleteInstance(plain.id);
  say(`deleteInstance with its rollup: ${fmt(now() - start)}`);
} finally {
  await scan.close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}
