/**
 * The SQLite StorageAdapter (better-sqlite3), the embedded default: the shared SQL store of
 * `@eventlog/sql` over the SQLite driver (`sqlite-driver.ts`).
 */

import type { StorageAdapter } from '@eventlog/core';
import { resolveOptions, type SqliteAdapterOptions } from './options.js';
import { SqliteDriver } from './sqlite-driver.js';
import { SqliteStore } from './sqlite-rollups.js';

export { SQLITE_EVENT_LAYOUT } from './sqlite-layout.js';

/**
 * Creates the SQLite storage adapter (better-sqlite3), the embedded default: a file (or
 * `':memory:'`) holding instances, events and the key-value store, shared safely by several
 * processes.
 *
 * On open it sets the busy timeout, switches to WAL, sets `synchronous` (FULL by default) and applies
 * the bundled drizzle migrations under `BEGIN IMMEDIATE`. Opening never throws for a store problem:
 * `ready()` and every method then reject with `STORAGE_ERROR` (for example, a store written by a
 * newer version). Invalid options throw a TypeError at once.
 *
 * Capabilities: `persistent` and `crossProcess` (both false for `':memory:'`), `transactions`
 * (`tx.driver` is the better-sqlite3 `Database`, inside `BEGIN IMMEDIATE`), `queryPushdown`.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { sqliteAdapter } from '@eventlog/sqlite';
 *
 * const log = createEventLog({ adapter: sqliteAdapter({ file: './events.db' }) });
 * const fast = sqliteAdapter({ file: './events.db', durability: 'normal', busyTimeoutMs: 10_000 });
 */
export function sqliteAdapter(options: SqliteAdapterOptions): StorageAdapter {
  return new SqliteStore(new SqliteDriver(resolveOptions(options)));
}
