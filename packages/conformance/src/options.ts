/**
 * Options of {@link describeAdapter} and the names of its test groups.
 */

import type { Limits, StorageAdapter } from '@eventlog/core';
import type { LiveRxApi } from './live/live-rx-api.js';

/** The test groups of the suite, in the order they run. Each is one `describe`. */
export const GROUP_NAMES = [
  'instances',
  'append',
  'idempotency',
  'expectedVersion',
  'expectedVersions',
  'tags',
  'conditions',
  'queryFilters',
  'select',
  'orderBy',
  'paging',
  'reduce',
  'stats',
  'errors',
  'isolation',
  'envelopes',
  'concurrency',
  'live',
  'kv',
  'transaction',
  'differential',
  'decisions',
  'lifecycle',
  'archive',
  'streamReads',
  'liveSubscriptions',
] as const;

/** One of {@link GROUP_NAMES}. */
export type GroupName = (typeof GROUP_NAMES)[number];

/** Options of the differential property tests (generated events and queries vs the oracle). */
export interface DifferentialOptions {
  /**
   * The fast-check seed. Default: `EVENTLOG_CONFORMANCE_SEED` from the environment, else a fixed
   * seed, so every run generates the same data and queries.
   */
  seed?: number;
  /** Generated datasets (one fresh instance each). Default 8. */
  runs?: number;
  /** Queries generated per dataset. Default 30 (8 × 30 = 240 queries). */
  queriesPerRun?: number;
  /** Events per dataset, at least. Default 60. */
  minEvents?: number;
  /** Events per dataset, at most. Default 150. */
  maxEvents?: number;
  /**
   * Let fast-check shrink a failing dataset. Default false: each shrink step appends a new
   * dataset, which is slow on a database, and the failure report already names the query and
   * every difference.
   */
  shrink?: boolean;
  /** Print the whole failing dataset in the failure report. Default false. */
  verbose?: boolean;
}

/** Options of {@link describeAdapter}. */
export interface DescribeAdapterOptions {
  /** Names the suite in the report (`conformance: sqlite`). */
  name: string;
  /**
   * Creates the adapter under test. Called once per suite in `beforeAll`; the suite closes it in
   * `afterAll`. Tests use fresh instance names, so the store may hold data from earlier runs.
   */
  create: () => StorageAdapter | Promise<StorageAdapter>;
  /**
   * Groups this adapter does not run, each with the reason. The group is still registered, as
   * `describe.skip` whose title carries the reason, so a gap is visible in every report.
   *
   * @example
   * disable: { transaction: 'transactions arrive in contract version 2' }
   */
  disable?: Partial<Record<GroupName, string>>;
  /** Limits of the facade under test. Default: SPEC's defaults. Tests read the effective values. */
  limits?: Partial<Limits>;
  /** Tuning of the differential property tests. */
  differential?: DifferentialOptions;
  /**
   * How long a test waits for a `watch` signal after a commit, in ms. Default 2000; raise it for
   * adapters that poll.
   */
  signalTimeoutMs?: number;
  /** Runs after the adapter is closed: drop a test schema, delete a file. */
  teardown?: () => void | Promise<void>;
  /**
   * `{ liveEvents, liveQuery, projection }` from `@eventlog/rx`, for the `liveSubscriptions` group
   * (SPEC §5 over this adapter). The suite takes them as an option so that it does not depend on
   * `@eventlog/rx` (whose own tests use the suite). Without it the group is reported as skipped,
   * with that reason.
   */
  rx?: LiveRxApi;
}
