/**
 * `@eventlog/conformance`: the one test suite every Event Log storage adapter must pass.
 *
 * @example
 * import { describeAdapter } from '@eventlog/conformance';
 * import { memoryAdapter } from '@eventlog/memory';
 *
 * describeAdapter({ name: 'memory', create: () => memoryAdapter() });
 */

export {
  type ArbEventsOptions,
  arbAppendCondition,
  arbAwkwardNumber,
  arbAwkwardString,
  arbEvent,
  arbEvents,
  arbInstant,
  arbMetadata,
  arbMixed,
  arbPayload,
  arbQuery,
  arbScalar,
  arbTags,
  arbTimestampInput,
  arbTimestampSpelling,
  canonicalKey,
  DEEP_PATH,
  EVENT_TAGS,
  EVENT_TYPES,
  isoWithOffset,
  QUERY_FIELDS,
  type QueryPool,
  queryFeatures,
  queryPool,
  REQUIRED_FEATURES,
  STREAMS,
  SWEEP_FIELDS,
  sweepQueries,
  TWINS,
  toFieldNode,
} from './arbitraries.js';
export { type CompareOptions, closeTo, compareResults, diffValues, show } from './compare-results.js';
export {
  type ConformanceContext,
  expectFailure,
  expectOk,
  type LooseEventLog,
  loose,
  TIGHT_LIMITS,
} from './context.js';
export { describeAdapter } from './describe-adapter.js';
export {
  checkQuery,
  DEFAULT_SEED,
  DifferentialMismatch,
  type DifferentialReport,
  type ResolvedDifferentialOptions,
  resolveDifferentialOptions,
  runDifferential,
} from './differential.js';
export { ALL_FILTER_LABELS, FILTER_EVENTS, REDUCE_EVENTS } from './fixtures.js';
export { MIN_DIFFERENTIAL_QUERIES } from './groups/differential.js';
export { failingAdapter } from './groups/errors.js';
export * from './live/index.js';
export {
  type DescribeAdapterOptions,
  type DifferentialOptions,
  GROUP_NAMES,
  type GroupName,
} from './options.js';
export { describeRollups, type RollupSuiteOptions } from './rollups.js';
