/**
 * @eventlog/sqlite — the SQLite storage adapter (better-sqlite3 + drizzle-orm), the embedded default.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { sqliteAdapter } from '@eventlog/sqlite';
 * const log = createEventLog({ adapter: sqliteAdapter({ file: './events.db' }) });
 */

export { bundledMigrations, MIGRATIONS_FOLDER, MIGRATIONS_TABLE, migrate } from './migrator.js';
export type { SqliteAdapterOptions } from './options.js';
export type { ReadWorkersOptions } from './read-workers.js';
export * as schema from './schema.js';
export { SQLITE_EVENT_LAYOUT, sqliteAdapter } from './sqlite-adapter.js';
