/**
 * `describeAdapter`: registers the whole StorageAdapter contract as vitest tests, one `describe`
 * per group, so an adapter's conformance test is a few lines.
 */

import {
  createEventLog,
  type EventRecord,
  type Instance,
  type InstanceStats,
  type Limits,
  type StorageAdapter,
} from '@eventlog/core';
import { afterAll, beforeAll, describe } from 'vitest';
import {
  type ConformanceContext,
  type ContextHolder,
  expectOk,
  TIGHT_LIMITS,
  uniqueName,
} from './context.js';
import { registerAppendTests } from './groups/append.js';
import { registerArchiveTests } from './groups/archive.js';
import { registerConcurrencyTests } from './groups/concurrency.js';
import { registerConditionTests } from './groups/conditions.js';
import { registerDecisionTests } from './groups/decisions.js';
import { registerDifferentialTests } from './groups/differential.js';
import { registerEnvelopeTests } from './groups/envelopes.js';
import { registerErrorTests } from './groups/errors.js';
import { registerExpectedVersionTests } from './groups/expected-version.js';
import { registerExpectedVersionsTests } from './groups/expected-versions.js';
import { registerIdempotencyTests } from './groups/idempotency.js';
import { registerInstanceTests } from './groups/instances.js';
import { registerIsolationTests } from './groups/isolation.js';
import { registerKvTests } from './groups/kv.js';
import { registerLifecycleTests } from './groups/lifecycle.js';
import { registerLiveTests } from './groups/live.js';
import { registerOrderByTests } from './groups/order-by.js';
import { registerPagingTests } from './groups/paging.js';
import { registerQueryFilterTests } from './groups/query-filters.js';
import { registerReduceTests } from './groups/reduce.js';
import { registerSelectTests } from './groups/select.js';
import { registerStatsTests } from './groups/stats.js';
import { registerStreamReadTests } from './groups/stream-reads.js';
import { registerTagTests } from './groups/tags.js';
import { registerTransactionTests } from './groups/transaction.js';
import { registerLiveSubscriptionTests } from './live/describe-live.js';
import { type DescribeAdapterOptions, GROUP_NAMES, type GroupName } from './options.js';

const REGISTRARS: Record<GroupName, (holder: ContextHolder) => void> = {
  instances: registerInstanceTests,
  append: registerAppendTests,
  idempotency: registerIdempotencyTests,
  expectedVersion: registerExpectedVersionTests,
  expectedVersions: registerExpectedVersionsTests,
  tags: registerTagTests,
  conditions: registerConditionTests,
  queryFilters: registerQueryFilterTests,
  select: registerSelectTests,
  orderBy: registerOrderByTests,
  paging: registerPagingTests,
  reduce: registerReduceTests,
  stats: registerStatsTests,
  errors: registerErrorTests,
  isolation: registerIsolationTests,
  envelopes: registerEnvelopeTests,
  concurrency: registerConcurrencyTests,
  live: registerLiveTests,
  kv: registerKvTests,
  transaction: registerTransactionTests,
  differential: registerDifferentialTests,
  decisions: registerDecisionTests,
  lifecycle: registerLifecycleTests,
  archive: registerArchiveTests,
  streamReads: registerStreamReadTests,
  liveSubscriptions: (holder) => {
    const rx = holder.options.rx;
    if (rx === undefined) return;
    registerLiveSubscriptionTests(
      () => {
        if (holder.current === undefined)
          throw new Error('The suite has no adapter: creating it failed in beforeAll.');
        return holder.current;
      },
      { rx },
    );
  },
};

/** Checks `disable`: known group names, each with a non-empty reason. */
function checkDisabled(options: DescribeAdapterOptions): void {
  for (const [group, reason] of Object.entries(options.disable ?? {})) {
    if (!(GROUP_NAMES as readonly string[]).includes(group)) {
      throw new TypeError(
        `describeAdapter: unknown group "${group}" in disable. Groups: ${GROUP_NAMES.join(', ')}.`,
      );
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new TypeError(`describeAdapter: disabling "${group}" needs a reason (a non-empty string).`);
    }
  }
}

function buildContext(options: DescribeAdapterOptions, adapter: StorageAdapter): ConformanceContext {
  const log = createEventLog({ adapter, limits: options.limits });
  const tight = createEventLog({ adapter, limits: TIGHT_LIMITS });
  const ctx: ConformanceContext = {
    options,
    adapter,
    log,
    limits: log.store.limits,
    tight,
    facade: (other: StorageAdapter = adapter, limits?: Partial<Limits>) =>
      createEventLog({ adapter: other, limits: limits ?? options.limits }),
    signalTimeoutMs: options.signalTimeoutMs ?? 2000,
    uniqueName,
    async newInstance(label: string, description?: string): Promise<Instance> {
      return expectOk(await log.createInstance(uniqueName(label), description)).instance;
    },
    async append(instanceId, events, streamId): Promise<EventRecord[]> {
      const params = streamId === undefined ? { instanceId, events } : { instanceId, events, streamId };
      return expectOk(await log.appendEvents(params)).events;
    },
    async readAll(instanceId: string): Promise<EventRecord[]> {
      const all: EventRecord[] = [];
      const limit = log.store.limits.maxQueryLimit;
      for (let offset = 0; ; offset += limit) {
        const { result } = expectOk(await log.queryEvents({ from: { instance: instanceId }, limit, offset }));
        const page = (result.events ?? []) as EventRecord[];
        all.push(...page);
        if (page.length < limit) return all;
      }
    },
    async stats(instanceId: string): Promise<InstanceStats> {
      return expectOk(await log.getInstanceStats(instanceId));
    },
  };
  return ctx;
}

/**
 * Registers the conformance suite for one storage adapter: every rule of SPEC §3, §4, §6 and §8
 * as example tests, differential property tests against the core evaluator, the decision
 * helpers of SPEC §10 (handleCommand, decide, snapshots, upcasting), the stream lifecycle and
 * retention of SPEC §9 (with a retention differential test) and archiving's import/remove.
 *
 * The adapter is created once (`beforeAll`) and closed after the suite (`afterAll`); each test
 * works in its own fresh instances, so the suite can run against a database that holds other data.
 * A group listed in `disable` is registered as `describe.skip` with the reason in its title.
 *
 * @example
 * // packages/sqlite/src/sqlite.conformance.test.ts
 * import { describeAdapter } from '@eventlog/conformance';
 * import { sqliteAdapter } from './index.js';
 *
 * describeAdapter({ name: 'sqlite', create: () => sqliteAdapter({ file: ':memory:' }) });
 */
export function describeAdapter(options: DescribeAdapterOptions): void {
  checkDisabled(options);
  describe(`conformance: ${options.name}`, () => {
    const holder: ContextHolder = { current: undefined, options };

    beforeAll(async () => {
      const adapter = await options.create();
      holder.current = buildContext(options, adapter);
    });

    afterAll(async () => {
      const ctx = holder.current;
      holder.current = undefined;
      try {
        if (ctx !== undefined) {
          await ctx.log.close();
          // close() is idempotent by contract; call it directly too in case the facade does not own it.
          await ctx.adapter.close();
        }
      } finally {
        await options.teardown?.();
      }
    });

    for (const group of GROUP_NAMES) {
      const reason =
        options.disable?.[group] ??
        (group === 'liveSubscriptions' && options.rx === undefined
          ? 'no rx option: pass { rx: { liveEvents, liveQuery, projection } } from @eventlog/rx to run it'
          : undefined);
      if (reason === undefined) {
        describe(group, () => REGISTRARS[group](holder));
      } else {
        describe.skip(`${group} — disabled for ${options.name}: ${reason}`, () => REGISTRARS[group](holder));
      }
    }
  });
}
