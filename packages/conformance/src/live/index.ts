/**
 * The live group of the conformance suite (SPEC §5): `@eventlog/rx` over any adapter.
 *
 * @example
 * import { liveEvents, liveQuery, projection } from '@eventlog/rx';
 * describeLiveSubscriptions({ name: 'sqlite', create: () => sqliteAdapter({ file }), rx: { liveEvents, liveQuery, projection } });
 */

export {
  type DescribeLiveOptions,
  describeLiveSubscriptions,
  registerLiveSubscriptionTests,
} from './describe-live.js';
export {
  type AdapterCounters,
  instrument,
  type LiveGroupOptions,
  type LiveTestContext,
  type Recording,
  record,
} from './live-harness.js';
export type {
  LiveEventsTestOptions,
  LiveObserver,
  LiveProjection,
  LiveProjectionContext,
  LiveProjectionTestOptions,
  LiveRxApi,
  LiveSubscribable,
  LiveSubscription,
} from './live-rx-api.js';
