/**
 * `@eventlog/testing` — unit tests for Event Log domains, with vitest:
 * {@link deciderSpec} (given events, when a command, then events or an error) and
 * {@link runProjection} (given events, the read model a projection handler builds).
 *
 * @example
 * import { deciderSpec } from '@eventlog/testing';
 *
 * deciderSpec(cart).given([{ eventType: 'ItemAdded', payload: { sku: 'A1' } }])
 *   .when({ kind: 'checkout' })
 *   .then([{ eventType: 'CheckedOut', payload: {} }]);
 */

export {
  type AnyDecider,
  type DeciderSpec,
  type DeciderSpecGiven,
  type DeciderSpecOptions,
  type DeciderSpecWhen,
  deciderSpec,
  type ExpectedError,
  type ExpectedEvent,
  type Outcome,
} from './decider-spec.js';
export { type GivenDefaults, type GivenEvent, toRecords } from './given-events.js';
export {
  type KvContents,
  type RunProjectionOptions,
  runProjection,
  type TestProjectionContext,
  type TestProjectionHandler,
} from './run-projection.js';
