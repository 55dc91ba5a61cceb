/**
 * Differential property tests: generated datasets appended through the facade, then generated
 * queries answered by the adapter and by the core evaluator (the oracle) over the records the
 * adapter returned. Results must agree exactly (sum/avg within 1e-9 relative).
 */

import {
  type AppendCondition,
  type Condition,
  type EventLog,
  EventLogError,
  type EventRecord,
  evaluateQuery,
  firstConditionMatch,
  type InstanceStats,
  type Limits,
  type NewEventInput,
  parseQuery,
  type Query,
  type QueryResult,
  type Retention,
  visibleEvents,
} from '@eventlog/core';
import fc from 'fast-check';
import {
  arbAppendCondition,
  arbEvents,
  arbQuery,
  queryFeatures,
  queryPool,
  sweepQueries,
} from './arbitraries.js';
import { compareResults, diffValues, show } from './compare-results.js';
import { uniqueName } from './context.js';
import type { DifferentialOptions } from './options.js';

/** The sweep's filters are split over this many datasets (each dataset runs one part). */
const SWEEP_PARTS = 4;

/** The fixed seed of the differential tests, unless overridden. */
export const DEFAULT_SEED = 20_240_119;

/** What a differential run did, for asserting coverage. */
export interface DifferentialReport {
  seed: number;
  /** Queries compared with the oracle (over all datasets). */
  queries: number;
  /** Queries whose oracle result had at least one event or a non-empty aggregation. */
  nonEmpty: number;
  /** Systematic type-strictness queries compared with the oracle (see `sweepQueries`). */
  sweepQueries: number;
  /** `readAfter` pages compared with the oracle. */
  readAfterChecks: number;
  /** Conditional appends whose outcome was compared with the oracle (`firstConditionMatch`). */
  conditionChecks: number;
  /** Of those, how many the oracle expected to fail with a condition `CONFLICT`. */
  conditionConflicts: number;
  /** How many queries exercised each feature (see `queryFeatures`). */
  features: Map<string, number>;
  /** Events appended over all datasets. */
  events: number;
}

/** Resolved differential options. */
export interface ResolvedDifferentialOptions extends Required<Omit<DifferentialOptions, 'seed'>> {
  seed: number;
}

/** Fills in defaults; the seed comes from `EVENTLOG_CONFORMANCE_SEED` when set. */
export function resolveDifferentialOptions(options: DifferentialOptions = {}): ResolvedDifferentialOptions {
  const fromEnv = Number(process.env.EVENTLOG_CONFORMANCE_SEED);
  return {
    seed:
      options.seed ??
      (Number.isSafeInteger(fromEnv) && process.env.EVENTLOG_CONFORMANCE_SEED ? fromEnv : DEFAULT_SEED),
    runs: options.runs ?? 8,
    queriesPerRun: options.queriesPerRun ?? 30,
    minEvents: options.minEvents ?? 60,
    maxEvents: options.maxEvents ?? 150,
    shrink: options.shrink ?? false,
    verbose: options.verbose ?? process.env.EVENTLOG_CONFORMANCE_VERBOSE === '1',
  };
}

/** A mismatch between the adapter and the oracle. */
export class DifferentialMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DifferentialMismatch';
  }
}

/**
 * Appends `events` through the facade in chunks (single `appendEvent`s and `appendEvents`
 * batches of varying size), and returns the stored records in position order.
 */
async function appendInChunks(
  log: EventLog,
  instanceId: string,
  events: NewEventInput[],
  chunkSizes: number[],
): Promise<EventRecord[]> {
  const stored: EventRecord[] = [];
  let i = 0;
  let c = 0;
  while (i < events.length) {
    const size = Math.max(1, chunkSizes[c++ % chunkSizes.length] ?? 1);
    const chunk = events.slice(i, i + size);
    i += chunk.length;
    if (chunk.length === 1) {
      const res = await log.appendEvent({ instanceId, ...(chunk[0] as NewEventInput) });
      if (!res.success)
        throw new DifferentialMismatch(`appendEvent of a generated event failed: ${res.code} ${res.error}`);
      stored.push(res.data.event);
    } else {
      const res = await log.appendEvents({ instanceId, events: chunk });
      if (!res.success)
        throw new DifferentialMismatch(`appendEvents of generated events failed: ${res.code} ${res.error}`);
      stored.push(...res.data.events);
    }
  }
  return stored.sort((a, b) => a.global_position - b.global_position);
}

/** The oracle's answer: a result, or the error code parsing/evaluating raises. */
function oracle(
  stored: readonly EventRecord[],
  query: unknown,
  limits: Limits,
): { result: QueryResult } | { code: string; message: string } {
  try {
    return { result: evaluateQuery(stored as EventRecord[], parseQuery(query, limits), limits) };
  } catch (error) {
    if (EventLogError.isInstance(error)) return { code: error.code, message: error.message };
    throw error;
  }
}

/** Compares the adapter with the oracle on one query; throws a {@link DifferentialMismatch}. */
export async function checkQuery(
  log: EventLog,
  stored: readonly EventRecord[],
  query: Query,
  limits: Limits,
): Promise<QueryResult | undefined> {
  const expected = oracle(stored, query, limits);
  const actual = await log.queryEvents(query);
  const head = `Query ${JSON.stringify(query)}\n`;
  if ('code' in expected) {
    if (actual.success || actual.code !== expected.code) {
      throw new DifferentialMismatch(
        `${head}The oracle rejects it with ${expected.code} (${expected.message}); the adapter gave ${
          actual.success ? 'success' : `${actual.code}: ${actual.error}`
        }.`,
      );
    }
    return undefined;
  }
  if (!actual.success) {
    throw new DifferentialMismatch(
      `${head}The oracle answers it; the adapter failed with ${actual.code}: ${actual.error}`,
    );
  }
  const diffs = compareResults(expected.result, actual.data.result);
  if (diffs.length > 0) {
    throw new DifferentialMismatch(`${head}Adapter differs from the oracle:\n  ${diffs.join('\n  ')}`);
  }
  return expected.result;
}

/** Compares `readAfter` with the oracle: the query `global_position > after` in position order. */
async function checkReadAfter(
  log: EventLog,
  stored: readonly EventRecord[],
  instance: string,
  params: { after: number; stream?: string; where?: Condition[]; limit: number },
  limits: Limits,
): Promise<void> {
  const query: Query = {
    from: params.stream === undefined ? { instance } : { instance, stream: params.stream },
    where: [...(params.where ?? []), { field: 'global_position', operator: 'gt', value: params.after }],
    limit: params.limit,
  };
  const expected = oracle(stored, query, limits);
  if ('code' in expected) throw new DifferentialMismatch(`readAfter oracle failed: ${expected.message}`);
  let actual: EventRecord[];
  try {
    actual = await log.store.readAfter({ instance, ...params });
  } catch (error) {
    throw new DifferentialMismatch(`readAfter ${JSON.stringify(params)} failed: ${String(error)}`);
  }
  const diffs = compareResults(
    { ...expected.result, total: 0, limit: 0, offset: 0 },
    { events: actual, total: 0, limit: 0, offset: 0 },
  );
  if (diffs.length > 0) {
    throw new DifferentialMismatch(`readAfter ${JSON.stringify(params)} differs:\n  ${diffs.join('\n  ')}`);
  }
}

/** Conditional appends checked per dataset. */
const CONDITIONS_PER_RUN = 8;

/**
 * Appends a probe event under `condition` and compares the outcome with the oracle: a condition
 * `CONFLICT` at the first matching position, or success (the probe then joins `stored`). Returns
 * whether the oracle expected a conflict.
 */
async function checkCondition(
  log: EventLog,
  stored: EventRecord[],
  instanceId: string,
  condition: AppendCondition,
  index: number,
): Promise<boolean> {
  const after = condition.after ?? 0;
  const expected = firstConditionMatch({ items: condition.failIfEventsMatch, after }, stored);
  const res = await log.appendEvent({
    instanceId,
    streamId: 'probe',
    eventType: 'probe',
    payload: { probe: index },
    condition,
  });
  const head = `Condition ${JSON.stringify(condition)}\n`;
  if (expected === null) {
    if (!res.success) {
      throw new DifferentialMismatch(
        `${head}No stored event matches it, so the append must succeed; the adapter gave ${res.code}: ${res.error} ${JSON.stringify(res.details ?? {})}`,
      );
    }
    stored.push(res.data.event);
    return false;
  }
  if (res.success || res.code !== 'CONFLICT') {
    throw new DifferentialMismatch(
      `${head}The event at position ${expected} matches it, so the append must be a CONFLICT; the adapter gave ${res.success ? 'success' : `${res.code}: ${res.error}`}.`,
    );
  }
  const details = diffValues({ condition: true, after, position: expected }, res.details, 'details');
  if (details.length > 0)
    throw new DifferentialMismatch(`${head}CONFLICT details differ:\n  ${details.join('\n  ')}`);
  return true;
}

/** Stats computed by hand from the stored records. */
function expectedStats(
  stored: readonly EventRecord[],
): Pick<InstanceStats, 'eventCount' | 'streamCount' | 'eventTypes' | 'firstEventAt' | 'lastEventAt'> {
  const eventTypes: Record<string, number> = {};
  for (const e of stored) eventTypes[e.event_type] = (eventTypes[e.event_type] ?? 0) + 1;
  const stamps = stored.map((e) => e.timestamp).sort();
  return {
    eventCount: stored.length,
    streamCount: new Set(stored.map((e) => e.stream_id)).size,
    eventTypes,
    firstEventAt: stamps[0] ?? null,
    lastEventAt: stamps[stamps.length - 1] ?? null,
  };
}

function nonEmpty(result: QueryResult | undefined): boolean {
  if (result === undefined) return false;
  if (result.events !== undefined) return result.events.length > 0;
  const agg = result.aggregation;
  if (agg?.groups !== undefined) return agg.groups.length > 0;
  return agg?.value !== null && !(Array.isArray(agg?.value) && agg.value.length === 0) && agg?.value !== 0;
}

/**
 * Runs the differential property: `runs` generated datasets, each in a fresh instance, each
 * checked with `queriesPerRun` generated queries, a few `readAfter` pages, the stats and a few
 * conditional appends. Throws on
 * the first mismatch with the seed, the query and every difference; returns a coverage report.
 *
 * @example
 * const report = await runDifferential(createEventLog({ adapter }), { seed: 42 });
 * expect(report.queries).toBeGreaterThanOrEqual(200);
 */
export async function runDifferential(
  log: EventLog,
  options: DifferentialOptions = {},
): Promise<DifferentialReport> {
  const opts = resolveDifferentialOptions(options);
  const limits = log.store.limits;
  const report: DifferentialReport = {
    seed: opts.seed,
    queries: 0,
    nonEmpty: 0,
    readAfterChecks: 0,
    conditionChecks: 0,
    conditionConflicts: 0,
    sweepQueries: 0,
    features: new Map(),
    events: 0,
  };
  let lastDataset: EventRecord[] = [];
  let runIndex = 0;

  const property = fc.asyncProperty(
    arbEvents({ minLength: opts.minEvents, maxLength: opts.maxEvents }),
    fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
    fc.gen(),
    async (events, chunkSizes, g) => {
      const name = uniqueName('diff');
      const created = await log.createInstance(name, 'differential dataset');
      if (!created.success) throw new DifferentialMismatch(`createInstance failed: ${created.error}`);
      const instance = created.data.instance;
      const stored = await appendInChunks(log, instance.id, events, chunkSizes);
      lastDataset = stored;
      report.events += stored.length;
      const ref = () => (g(fc.boolean) ? instance.id : instance.name);

      // The whole dataset, as stored, comes back through an unfiltered query.
      await checkQuery(log, stored, { from: { instance: instance.id }, limit: limits.maxQueryLimit }, limits);

      const stats = await log.getInstanceStats(instance.id);
      if (!stats.success) throw new DifferentialMismatch(`getInstanceStats failed: ${stats.error}`);
      const { eventCount, streamCount, eventTypes, firstEventAt, lastEventAt } = stats.data;
      const statDiffs = diffValues(
        expectedStats(stored),
        { eventCount, streamCount, eventTypes, firstEventAt, lastEventAt },
        'stats',
      );
      if (statDiffs.length > 0) throw new DifferentialMismatch(`Stats differ:\n  ${statDiffs.join('\n  ')}`);

      for (const query of sweepQueries(ref(), runIndex, SWEEP_PARTS)) {
        await checkQuery(log, stored, query, limits);
        report.sweepQueries += 1;
      }
      runIndex += 1;

      for (let i = 0; i < opts.queriesPerRun; i++) {
        const query = g(arbQuery, stored, ref());
        const result = await checkQuery(log, stored, query, limits);
        report.queries += 1;
        if (nonEmpty(result)) report.nonEmpty += 1;
        for (const f of queryFeatures(query)) report.features.set(f, (report.features.get(f) ?? 0) + 1);
      }

      const positions = [0, ...stored.map((e) => e.global_position)];
      const pool = queryPool(stored);
      for (let i = 0; i < 4; i++) {
        const after = g(() => fc.constantFrom(...positions));
        const stream = g(() => fc.option(fc.constantFrom(...pool.streams), { nil: undefined }));
        const whereQuery = g(arbQuery, stored, instance.id);
        const where = whereQuery.where;
        const limit = g(fc.integer, { min: 1, max: 60 });
        const params: { after: number; stream?: string; where?: Condition[]; limit: number } = {
          after,
          limit,
        };
        if (stream !== undefined) params.stream = stream;
        if (where !== undefined) params.where = where;
        await checkReadAfter(log, stored, instance.id, params, limits);
        report.readAfterChecks += 1;
      }

      // Conditional appends last: a probe that succeeds adds an event (of a type no item names).
      for (let i = 0; i < CONDITIONS_PER_RUN; i++) {
        const condition = g(
          arbAppendCondition,
          stored.map((e) => e.global_position),
        );
        const conflict = await checkCondition(log, stored, instance.id, condition, i);
        report.conditionChecks += 1;
        if (conflict) report.conditionConflicts += 1;
      }

      // Clean up only on success: a failing dataset stays in the store for inspection.
      const deleted = await log.deleteInstance(instance.id);
      if (!deleted.success || deleted.data.deletedEvents !== stored.length) {
        throw new DifferentialMismatch(
          `deleteInstance reported ${show(deleted.success ? deleted.data.deletedEvents : deleted.error)}, expected ${stored.length} events`,
        );
      }
    },
  );

  const details = await fc.check(property, {
    seed: opts.seed,
    numRuns: opts.runs,
    endOnFailure: !opts.shrink,
  });
  if (details.failed) {
    const cause = details.errorInstance;
    const reason = cause instanceof Error ? cause.message : String(cause);
    const dataset = opts.verbose
      ? `\nDataset (${lastDataset.length} events):\n${JSON.stringify(lastDataset, null, 1)}`
      : '';
    throw new DifferentialMismatch(
      `Differential test failed (seed ${details.seed}, path "${details.counterexamplePath}", after ${details.numRuns} runs).\n` +
        `Replay with EVENTLOG_CONFORMANCE_SEED=${details.seed}; set EVENTLOG_CONFORMANCE_VERBOSE=1 to print the dataset.\n\n${reason}${dataset}`,
    );
  }
  return report;
}

/** Options of {@link runRetentionDifferential}. */
export interface RetentionDifferentialOptions {
  seed?: number;
  /** Generated datasets with generated rules. Default 6. */
  runs?: number;
  /** Generated queries per moment checked. Default 12. */
  queriesPerMoment?: number;
}

/** What {@link runRetentionDifferential} compared. */
export interface RetentionDifferentialReport {
  seed: number;
  queries: number;
  readAfterChecks: number;
  statsChecks: number;
  /** Events the generated rules expired, over all datasets and moments. */
  expired: number;
  /** Events still visible, over all datasets and moments. */
  visible: number;
  /** Events physically removed by pruning. */
  pruned: number;
}

/** A clock the differential run moves: the facade's `now` option reads it. */
export interface MovableClock {
  ms: number;
}

/** Generated retention rules: at least one of the two. */
function arbRetention(ageChoices: number[]): fc.Arbitrary<Retention> {
  const age = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ageChoices) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 * 365 * 86_400_000 }) },
  );
  return fc
    .record({
      maxAgeMs: fc.option(age, { nil: undefined }),
      maxEventsPerStream: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
    })
    .filter((r) => r.maxAgeMs !== undefined || r.maxEventsPerStream !== undefined)
    .map((r) => {
      const out: Retention = {};
      if (r.maxAgeMs !== undefined) out.maxAgeMs = r.maxAgeMs;
      if (r.maxEventsPerStream !== undefined) out.maxEventsPerStream = r.maxEventsPerStream;
      return out;
    });
}

/**
 * The differential test of retention (SPEC §9): generated datasets, generated rules (ages cut
 * at stored timestamps, exactly and one millisecond either side, and per-stream counts), read at
 * generated moments of a movable clock; queries, `readAfter` pages and stats must equal the core
 * evaluator over {@link visibleEvents}. Then pruning must change nothing visible, and after the
 * rules are removed exactly the events that were visible remain.
 *
 * @param log a facade whose `now` option reads `clock.ms`
 */
export async function runRetentionDifferential(
  log: EventLog,
  clock: MovableClock,
  options: RetentionDifferentialOptions = {},
): Promise<RetentionDifferentialReport> {
  const seed = options.seed ?? resolveDifferentialOptions().seed;
  const queriesPerMoment = options.queriesPerMoment ?? 12;
  const limits = log.store.limits;
  const report: RetentionDifferentialReport = {
    seed,
    queries: 0,
    readAfterChecks: 0,
    statsChecks: 0,
    expired: 0,
    visible: 0,
    pruned: 0,
  };

  const check = async (
    stored: EventRecord[],
    retention: Retention,
    instanceId: string,
    g: fc.GeneratorValue,
  ) => {
    const now = new Date(clock.ms).toISOString();
    const visible = visibleEvents(stored, retention, now);
    report.visible += visible.length;
    report.expired += stored.length - visible.length;
    const at = `At now = ${now} with retention ${JSON.stringify(retention)}: `;
    try {
      await checkQuery(log, visible, { from: { instance: instanceId }, limit: limits.maxQueryLimit }, limits);
      for (let i = 0; i < queriesPerMoment; i++) {
        await checkQuery(log, visible, g(arbQuery, stored, instanceId), limits);
        report.queries += 1;
      }
      const pool = queryPool(stored);
      for (let i = 0; i < 2; i++) {
        const after = g(() => fc.constantFrom(0, ...stored.map((e) => e.global_position)));
        const stream = g(() => fc.option(fc.constantFrom(...pool.streams), { nil: undefined }));
        const limit = g(fc.integer, { min: 1, max: 40 });
        await checkReadAfter(
          log,
          visible,
          instanceId,
          stream === undefined ? { after, limit } : { after, stream, limit },
          limits,
        );
        report.readAfterChecks += 1;
      }
      const stats = await log.getInstanceStats(instanceId);
      if (!stats.success) throw new DifferentialMismatch(`getInstanceStats failed: ${stats.error}`);
      const { eventCount, streamCount, eventTypes, firstEventAt, lastEventAt } = stats.data;
      const diffs = diffValues(
        expectedStats(visible),
        { eventCount, streamCount, eventTypes, firstEventAt, lastEventAt },
        'stats',
      );
      if (diffs.length > 0) throw new DifferentialMismatch(`Stats differ:\n  ${diffs.join('\n  ')}`);
      report.statsChecks += 1;
    } catch (error) {
      if (error instanceof DifferentialMismatch) throw new DifferentialMismatch(`${at}${error.message}`);
      throw error;
    }
    return visible;
  };

  const property = fc.asyncProperty(
    arbEvents({ minLength: 30, maxLength: 90 }),
    fc.gen(),
    async (events, g) => {
      const appendedAt = Date.UTC(2026, 5, 1);
      clock.ms = appendedAt;
      const created = await log.createInstance(uniqueName('retention-diff'), 'retention differential');
      if (!created.success) throw new DifferentialMismatch(`createInstance failed: ${created.error}`);
      const instanceId = created.data.instance.id;
      const stored = await appendInChunks(log, instanceId, events, [1, 7, 30]);

      // Moments and ages that cut the data at stored timestamps, exactly and 1 ms either side.
      const instants = stored.map((e) => Date.parse(e.timestamp));
      // Moments stay well inside the clock's range (years 0001–9999).
      const moments = instants.filter((t) => t < Date.UTC(9000, 0, 1)).map((t) => t + 60_000);
      const nowMs = g(() => fc.constantFrom(appendedAt, ...moments));
      const ages = instants
        .map((t) => nowMs - t)
        .filter((d) => d >= 2)
        .flatMap((d) => [d - 1, d, d + 1]);
      const retention = g(() => arbRetention(ages.length > 0 ? ages : [1]));
      const set = await log.setRetention({ instanceId, ...retention });
      if (!set.success) throw new DifferentialMismatch(`setRetention failed: ${set.error}`);

      clock.ms = nowMs;
      await check(stored, retention, instanceId, g);
      // Later, more has expired.
      clock.ms = nowMs + g(fc.integer, { min: 1, max: 400 * 86_400_000 });
      const visible = await check(stored, retention, instanceId, g);

      // Pruning removes exactly what is invisible, and changes nothing visible.
      const pruned = await log.pruneExpired({ instanceId });
      if (!pruned.success) throw new DifferentialMismatch(`pruneExpired failed: ${pruned.error}`);
      if (pruned.data.deletedEvents !== stored.length - visible.length) {
        throw new DifferentialMismatch(
          `pruneExpired removed ${pruned.data.deletedEvents} events; ${stored.length - visible.length} were expired.`,
        );
      }
      report.pruned += pruned.data.deletedEvents;
      await checkQuery(log, visible, { from: { instance: instanceId }, limit: limits.maxQueryLimit }, limits);
      const cleared = await log.setRetention({ instanceId, maxAgeMs: null, maxEventsPerStream: null });
      if (!cleared.success) throw new DifferentialMismatch(`setRetention(null) failed: ${cleared.error}`);
      await checkQuery(log, visible, { from: { instance: instanceId }, limit: limits.maxQueryLimit }, limits);
      await log.deleteInstance(instanceId);
    },
  );

  const details = await fc.check(property, { seed, numRuns: options.runs ?? 6, endOnFailure: true });
  if (details.failed) {
    const cause = details.errorInstance;
    throw new DifferentialMismatch(
      `Retention differential test failed (seed ${details.seed}, after ${details.numRuns} runs). Replay with EVENTLOG_CONFORMANCE_SEED=${details.seed}.\n\n${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  return report;
}
