/**
 * @eventlog/postgres — the PostgreSQL storage adapter of Event Log (postgres.js + drizzle-orm),
 * the scale-out backend: many processes share one database, with a global order per instance that
 * never skips, group commit for concurrent appends, and LISTEN/NOTIFY wake-ups.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { postgresAdapter } from '@eventlog/postgres';
 * const log = createEventLog({ adapter: postgresAdapter({ url: 'postgres://localhost:5432/app' }) });
 */

export { MIGRATIONS_FOLDER, MIGRATIONS_TABLE } from './migrator.js';
export type {
  AppendCommitInfo,
  AppendTransactionInfo,
  PostgresAdapterHooks,
  PostgresAdapterOptions,
} from './options.js';
export { type PostgresAdapter, type PostgresTransaction, postgresAdapter } from './postgres-adapter.js';
export {
  EVENT_ID_KEY,
  events,
  instances,
  kv,
  STREAM_SEQUENCE_KEY,
  type Tables,
  tablesFor,
} from './schema.js';
