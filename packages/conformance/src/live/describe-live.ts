/**
 * The live group of the conformance suite: `@eventlog/rx` (liveEvents, liveQuery, projections)
 * over an adapter, as vitest tests. Register it inside a suite that provides a context
 * ({@link registerLiveSubscriptionTests}), or on its own ({@link describeLiveSubscriptions}).
 */

import { createEventLog, type Limits, type StorageAdapter } from '@eventlog/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { registerLifecycleLiveTests } from './lifecycle-live-tests.js';
import { registerLiveEventsTests } from './live-events-tests.js';
import type { LiveGroupOptions, LiveTestContext } from './live-harness.js';
import { registerLiveQueryTests } from './live-query-tests.js';
import { registerProjectionTests } from './projection-tests.js';

/**
 * Registers the live tests in the current `describe`: `context()` is called inside each test (a
 * `ConformanceContext` fits), `options.rx` holds the functions under test.
 *
 * @example
 * import { liveEvents, liveQuery, projection } from '@eventlog/rx';
 * describe('live', () => registerLiveSubscriptionTests(() => useContext(holder), { rx: { liveEvents, liveQuery, projection } }));
 */
export function registerLiveSubscriptionTests(
  context: () => LiveTestContext,
  options: LiveGroupOptions,
): void {
  describe('liveEvents', () => registerLiveEventsTests(context, options));
  describe('liveQuery', () => registerLiveQueryTests(context, options));
  describe('projection', () => registerProjectionTests(context, options));
  describe('lifecycle', () => registerLifecycleLiveTests(context, options));
}

/** Options of {@link describeLiveSubscriptions}. */
export interface DescribeLiveOptions extends LiveGroupOptions {
  /** Names the suite: `live subscriptions: <name>`. */
  name: string;
  /** Creates the adapter under test, once for the suite; the suite closes it. */
  create: () => StorageAdapter | Promise<StorageAdapter>;
  /** Runs after the adapter is closed: drop a schema, delete a file. */
  teardown?: () => void | Promise<void>;
  /** How long a test waits for something that follows a commit. Default 2000. */
  signalTimeoutMs?: number;
  /** Limits of the facade under test. */
  limits?: Partial<Limits>;
}

/**
 * Registers the live group as a suite of its own over one adapter.
 *
 * @example
 * import { liveEvents, liveQuery, projection } from '@eventlog/rx';
 * describeLiveSubscriptions({
 *   name: 'memory',
 *   create: () => memoryAdapter(),
 *   rx: { liveEvents, liveQuery, projection },
 * });
 */
export function describeLiveSubscriptions(options: DescribeLiveOptions): void {
  describe(`live subscriptions: ${options.name}`, () => {
    let current: LiveTestContext | undefined;
    beforeAll(async () => {
      const adapter = await options.create();
      const log = createEventLog({ adapter, ...(options.limits ? { limits: options.limits } : {}) });
      await adapter.ready?.();
      current = { adapter, log, signalTimeoutMs: options.signalTimeoutMs ?? 2000 };
    });
    afterAll(async () => {
      try {
        await current?.log.close();
        await current?.adapter.close();
      } finally {
        current = undefined;
        await options.teardown?.();
      }
    });
    registerLiveSubscriptionTests(() => {
      if (current === undefined)
        throw new Error('The live suite has no adapter: creating it failed in beforeAll.');
      return current;
    }, options);
  });
}
