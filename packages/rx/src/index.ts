/**
 * `@eventlog/rx` — RxJS live subscriptions for Event Log: {@link liveEvents} (catch-up, then live),
 * {@link liveQuery} (a query's result, kept up to date) and {@link projection} (a resumable,
 * leased read-model builder with checkpoints in the same backend).
 *
 * @example
 * import { liveEvents, liveQuery, projection } from '@eventlog/rx';
 *
 * liveEvents(log, { instance: 'user-activity' }).subscribe((event) => console.log(event));
 */

export {
  isIncremental,
  mergeNewEvents,
} from './incremental-aggregation.js';
export { type LiveEventsOptions, liveEvents } from './live-events.js';
export { type LiveQueryOptions, liveQuery } from './live-query.js';
export { LiveReader, type LiveReaderEnd, type LiveReaderOptions } from './live-reader.js';
export { type LogSource, toEventStore } from './log-source.js';
export {
  inPartition,
  MEMBER_NAMESPACE,
  partitionName,
  partitionOf,
} from './partitioned-projection.js';
export {
  CHECKPOINT_NAMESPACE,
  type Projection,
  type ProjectionContext,
  ProjectionError,
  type ProjectionHandler,
  type ProjectionLeaseOptions,
  type ProjectionOptions,
  type ProjectionState,
  type ProjectionStatus,
  projection,
  type StreamRemovalHandler,
} from './projection.js';
export { LEASE_NAMESPACE, type LeaseOptions, type LeaseRecord, ProjectionLease } from './projection-lease.js';
