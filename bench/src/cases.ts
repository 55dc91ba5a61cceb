/**
 * The cases shared by the SQLite and PostgreSQL sections: each runs every side on a fresh database,
 * `reps` times, rotating which side goes first, and keeps every run so the report can show the
 * spread as well as the median.
 */

import { callsPerSecond, median, rotate, settle, timed } from './measure.js';
import type { Measured } from './report.js';
import type { BenchSide, SideName } from './side.js';
import {
  type BenchEvent,
  batchStream,
  makeEvents,
  type QueryName,
  type QueryOutcome,
  singleStream,
} from './workload.js';

/** Opens a side on a fresh database. */
export type Opener = () => Promise<BenchSide>;

/** Every run of a case, per side. */
export type Runs = Partial<Record<SideName, number[]>>;

/** The median of a side's runs, or why it has none. */
export function medianOf(runs: Runs, side: SideName, missing: string | undefined): Measured {
  const values = runs[side];
  if (values === undefined || values.length === 0) return { missing: missing ?? 'not run' };
  return median(values);
}

/** `ours 81,020 / 79,450 / 80,112 · raw …` */
export function describeRuns(label: string, runs: Runs): string {
  const parts: string[] = [];
  for (const [side, values] of Object.entries(runs)) {
    if (values === undefined || values.length === 0) continue;
    parts.push(`${side} ${values.map((v) => Math.round(v).toLocaleString('en-US')).join(' / ')}`);
  }
  return `${label} runs: ${parts.join(' · ')}`;
}

/** The events of the batch case, one array per batch. */
export function batchesOf(total: number, batchSize: number): BenchEvent[][] {
  const batches: BenchEvent[][] = [];
  for (let from = 0; from < total; from += batchSize) batches.push(makeEvents(from, batchSize));
  return batches;
}

/** Appends every batch (batch k to stream `order-<k>`); returns events per second. */
export async function runBatches(side: BenchSide, batches: readonly BenchEvent[][]): Promise<number> {
  let events = 0;
  const ms = await timed(async () => {
    for (let k = 0; k < batches.length; k++) {
      const batch = batches[k] as BenchEvent[];
      await side.appendBatch(batchStream(k), batch);
      events += batch.length;
    }
  });
  return (events * 1000) / ms;
}

/** Appends the events one at a time, round robin over the single-append streams; events per second. */
export async function runSingles(side: BenchSide, events: readonly BenchEvent[]): Promise<number> {
  const ms = await timed(async () => {
    for (let i = 0; i < events.length; i++) await side.appendOne(singleStream(i), events[i] as BenchEvent);
  });
  return (events.length * 1000) / ms;
}

/**
 * `workers` appenders, each appending its share of the events one at a time to its own stream,
 * all at once; events per second.
 */
export async function runConcurrentSingles(
  side: BenchSide,
  events: readonly BenchEvent[],
  workers: number,
): Promise<number> {
  const ms = await timed(() =>
    Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = w; i < events.length; i += workers)
          await side.appendOne(`worker-${w}`, events[i] as BenchEvent);
      }),
    ),
  );
  return (events.length * 1000) / ms;
}

/**
 * Runs `measure` on each side, `reps` times, each on a fresh database, rotating the order.
 * `keep` decides whether a side stays open after its last run (for the query cases).
 */
export async function repeat(
  openers: Partial<Record<SideName, Opener>>,
  reps: number,
  measure: (side: BenchSide) => Promise<number>,
  keep?: (name: SideName) => boolean,
): Promise<{ runs: Runs; kept: Partial<Record<SideName, BenchSide>> }> {
  const runs: Runs = {};
  const kept: Partial<Record<SideName, BenchSide>> = {};
  const names = Object.keys(openers) as SideName[];
  for (let rep = 0; rep < reps; rep++) {
    for (const name of rotate(names, rep)) {
      const side = await (openers[name] as Opener)();
      await settle();
      try {
        const value = await measure(side);
        runs[name] = [...(runs[name] ?? []), value];
      } finally {
        if (rep === reps - 1 && keep?.(name)) kept[name] = side;
        else await side.close();
      }
    }
  }
  return { runs, kept };
}

/** Query rates per side and query, plus what each returned (to check the sides agree). */
export interface QueryRuns {
  runs: Partial<Record<QueryName, Runs>>;
  outcomes: Partial<Record<QueryName, Partial<Record<SideName, QueryOutcome>>>>;
}

/** Runs every query case on every side that has it, `reps` times, rotating the order. */
export async function runQueries(
  sides: Partial<Record<SideName, BenchSide>>,
  queries: readonly QueryName[],
  reps: number,
  minMs: number,
): Promise<QueryRuns> {
  const result: QueryRuns = { runs: {}, outcomes: {} };
  const names = Object.keys(sides) as SideName[];
  for (const query of queries) {
    const runs: Runs = {};
    const outcomes: Partial<Record<SideName, QueryOutcome>> = {};
    for (const name of names) {
      const fn = sides[name]?.queries[query];
      if (fn === undefined) continue;
      outcomes[name] = await fn(); // also a warm-up
      for (let i = 0; i < 3; i++) await fn();
    }
    for (let rep = 0; rep < reps; rep++) {
      for (const name of rotate(names, rep)) {
        const fn = sides[name]?.queries[query];
        if (fn === undefined) continue;
        await settle(20);
        const value = await callsPerSecond(fn, minMs);
        runs[name] = [...(runs[name] ?? []), value];
      }
    }
    result.runs[query] = runs;
    result.outcomes[query] = outcomes;
  }
  return result;
}

/** Notes for query results that differ between sides (they should not). */
export function outcomeMismatches(outcomes: QueryRuns['outcomes']): string[] {
  const notes: string[] = [];
  for (const [query, bySide] of Object.entries(outcomes)) {
    const ours = bySide?.ours;
    if (ours === undefined) continue;
    for (const [side, outcome] of Object.entries(bySide ?? {})) {
      if (side === 'ours' || outcome === undefined) continue;
      if (outcome.returned !== ours.returned || (side !== 'emmett' && outcome.total !== ours.total)) {
        notes.push(
          `WARNING ${query}: ${side} returned ${outcome.returned} (total ${outcome.total}), ours ${ours.returned} (total ${ours.total})`,
        );
      }
    }
  }
  return notes;
}
