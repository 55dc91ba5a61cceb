/**
 * The benchmark's knobs, read once from the environment. Defaults keep a full run (SQLite,
 * PostgreSQL, latency) under about ten minutes on a 2-core machine.
 */

/** Which sections run. */
export type Section = 'sqlite' | 'postgres' | 'bulk' | 'latency' | 'decisions' | 'partitions' | 'server';

export interface BenchConfig {
  /** Events loaded by the batch case (and queried afterwards). `BENCH_EVENTS`, default 100000. */
  events: number;
  /** Events per `appendEvents` call. `BENCH_BATCH`, default 1000. */
  batchSize: number;
  /** Events of the bulk-ingest case (PostgreSQL). `BENCH_BULK_EVENTS`, default 100000. */
  bulkEvents: number;
  /** Events per `appendEvents` of the bulk-ingest case. `BENCH_BULK_BATCH`, default 5000. */
  bulkBatch: number;
  /** Sequential single appends per run. `BENCH_SINGLE`, default 5000. */
  singleAppends: number;
  /** Single appends per run of the 16-appender case (PostgreSQL). `BENCH_CONCURRENT_EVENTS`, default 4000. */
  concurrentAppends: number;
  /** Concurrent appenders. `BENCH_CONCURRENCY`, default 16. */
  concurrency: number;
  /** Repetitions of each case (median reported). `BENCH_REPS`, default 5. */
  reps: number;
  /** Minimum measuring time per query repetition, ms. `BENCH_QUERY_MS`, default 400. */
  queryMs: number;
  /** Latency samples per configuration. `BENCH_LATENCY_SAMPLES`, default 1000. */
  latencySamples: number;
  /** Milliseconds between two latency probes. `BENCH_LATENCY_INTERVAL_MS`, default 5. */
  latencyIntervalMs: number;
  /** Sections to run. `BENCH_ONLY=sqlite|postgres|latency` (comma-separated), default all. */
  sections: ReadonlySet<Section>;
  /** Whether Emmett runs. `BENCH_EMMETT=0` leaves it out. */
  emmett: boolean;
  /** PostgreSQL admin URL (a role with CREATEDB). `EVENTLOG_BENCH_PG_URL`, else `EVENTLOG_TEST_PG_URL`. */
  pgUrl: string | undefined;
  /** Where the markdown results go. `BENCH_OUT`, default `bench/results/latest.md`. */
  out: string | undefined;
  /** Concurrent clients of the server's request rows. `BENCH_SERVER_CLIENTS`, default 50. */
  serverClients: number;
  /** Seconds of each server request row. `BENCH_SERVER_SECONDS`, default 5. */
  serverSeconds: number;
  /** Stores of the server's request rows. `BENCH_SERVER_STORES` (sqlite,memory), default both. */
  serverStores: ReadonlyArray<'sqlite' | 'memory'>;
  /** SSE subscribers of the fan-out rows. `BENCH_SSE_SUBSCRIBERS`, default 100. */
  sseSubscribers: number;
  /** Events appended in each fan-out row. `BENCH_SSE_EVENTS`, default 1000. */
  sseEvents: number;
  /** Events the heavy aggregation reads. `BENCH_SERVER_HEAVY_EVENTS`, default 500000. */
  heavyEvents: number;
  /** `contains` conditions of the heavy aggregation (its cost). `BENCH_SERVER_HEAVY_CONDITIONS`, default 40. */
  heavyConditions: number;
  /** Seconds of each heavy-read row. `BENCH_SERVER_HEAVY_SECONDS`, default 10. */
  heavySeconds: number;
  /** SQLite durability of the heavy-read rows. `BENCH_SERVER_HEAVY_DURABILITY`, default normal. */
  heavyDurability: 'full' | 'normal';
}

function int(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const SECTIONS: readonly Section[] = [
  'sqlite',
  'postgres',
  'bulk',
  'latency',
  'decisions',
  'partitions',
  'server',
];

function sections(): Set<Section> {
  const raw = process.env.BENCH_ONLY?.trim();
  if (raw === undefined || raw === '' || raw === 'all') return new Set(SECTIONS);
  const chosen = new Set<Section>();
  for (const part of raw.split(',')) {
    const name = part.trim() as Section;
    if (!SECTIONS.includes(name)) {
      throw new Error(
        `BENCH_ONLY takes ${SECTIONS.join(', ')} (comma-separated), got ${JSON.stringify(raw)}`,
      );
    }
    chosen.add(name);
  }
  return chosen;
}

function serverStores(): Array<'sqlite' | 'memory'> {
  const raw = process.env.BENCH_SERVER_STORES?.trim();
  if (raw === undefined || raw === '') return ['sqlite', 'memory'];
  const stores = raw.split(',').map((s) => s.trim());
  for (const store of stores) {
    if (store !== 'sqlite' && store !== 'memory') {
      throw new Error(`BENCH_SERVER_STORES takes sqlite and/or memory, got ${JSON.stringify(raw)}`);
    }
  }
  return stores as Array<'sqlite' | 'memory'>;
}

/** Reads the configuration from `process.env`; throws on a malformed knob. */
export function readConfig(): BenchConfig {
  const events = int('BENCH_EVENTS', 100_000);
  const batchSize = int('BENCH_BATCH', 1000);
  const bulkBatch = int('BENCH_BULK_BATCH', 5000);
  return {
    events: Math.max(batchSize, Math.floor(events / batchSize) * batchSize),
    batchSize,
    singleAppends: int('BENCH_SINGLE', 5000),
    concurrentAppends: int('BENCH_CONCURRENT_EVENTS', 4000),
    bulkEvents: Math.max(bulkBatch, Math.floor(int('BENCH_BULK_EVENTS', 100_000) / bulkBatch) * bulkBatch),
    bulkBatch,
    concurrency: int('BENCH_CONCURRENCY', 16),
    reps: int('BENCH_REPS', 5),
    queryMs: int('BENCH_QUERY_MS', 400),
    latencySamples: int('BENCH_LATENCY_SAMPLES', 1000),
    latencyIntervalMs: int('BENCH_LATENCY_INTERVAL_MS', 5, 0),
    sections: sections(),
    emmett: process.env.BENCH_EMMETT !== '0',
    pgUrl: process.env.EVENTLOG_BENCH_PG_URL || process.env.EVENTLOG_TEST_PG_URL || undefined,
    out: process.env.BENCH_OUT || undefined,
    serverClients: int('BENCH_SERVER_CLIENTS', 50),
    serverSeconds: int('BENCH_SERVER_SECONDS', 5),
    serverStores: serverStores(),
    sseSubscribers: int('BENCH_SSE_SUBSCRIBERS', 100),
    sseEvents: int('BENCH_SSE_EVENTS', 1000),
    heavyEvents: int('BENCH_SERVER_HEAVY_EVENTS', 500_000),
    heavyConditions: int('BENCH_SERVER_HEAVY_CONDITIONS', 40),
    heavySeconds: int('BENCH_SERVER_HEAVY_SECONDS', 10),
    heavyDurability: process.env.BENCH_SERVER_HEAVY_DURABILITY === 'full' ? 'full' : 'normal',
  };
}
