/**
 * `@eventlog/test-support` (private): what the packages' tests share. `describePostgres` and
 * `usePostgres` for the PostgreSQL test database, builders of adapter requests, and a runner for
 * child processes, and a recorder standing in for an OpenTelemetry SDK.
 */

export * from './adapter-requests.js';
export * from './child-process.js';
export * from './postgres-env.js';
export * from './telemetry-recorder.js';
