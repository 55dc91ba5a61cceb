import {
  createEventLog,
  type EventLog,
  type EventLogOptions,
  type EventMap,
  type StorageAdapter,
  validationError,
} from '@eventlog/core';
import type { SqliteAdapterOptions } from '@eventlog/sqlite';

/** The store URL used when none is given and `EVENTLOG_URL` is unset. */
export const DEFAULT_EVENTLOG_URL = 'sqlite:./eventlog.db';

/** Adapter options a store URL cannot carry, per adapter. */
export interface AdapterOptions {
  /** Options of `sqliteAdapter` besides the file, for `sqlite:` URLs (`readWorkers`, `durability`, …). */
  sqlite?: Omit<SqliteAdapterOptions, 'file'>;
}

/** Options of {@link openEventLog} besides the URL. */
export type OpenEventLogOptions = Omit<EventLogOptions, 'adapter'> & {
  /** Adapter options a store URL cannot carry (see {@link AdapterOptions}). */
  adapterOptions?: AdapterOptions;
};

/**
 * Creates the storage adapter a store URL names:
 * - `memory:` — in-memory (`@eventlog/memory`);
 * - `sqlite:<path>`, `sqlite::memory:` — embedded SQLite (`@eventlog/sqlite`);
 * - `postgres://…`, `postgresql://…` — PostgreSQL (`@eventlog/postgres`).
 *
 * Adapter packages are loaded on demand, so an SQLite user never loads the PostgreSQL driver.
 *
 * @throws EventLogError `VALIDATION_ERROR` for any other URL
 */
export async function adapterFromUrl(url: string, options: AdapterOptions = {}): Promise<StorageAdapter> {
  if (typeof url !== 'string' || url.trim() === '') {
    throw validationError('The store URL must be a non-empty string such as "sqlite:./eventlog.db".');
  }
  if (url === 'memory:' || url === 'memory://') {
    const { memoryAdapter } = await import('@eventlog/memory');
    return memoryAdapter();
  }
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '') {
      throw validationError(
        `The SQLite URL "${url}" names no file. Use "sqlite:<path>" (for example "sqlite:./eventlog.db") or "sqlite::memory:".`,
      );
    }
    const { sqliteAdapter } = await import('@eventlog/sqlite');
    return sqliteAdapter({ ...options.sqlite, file });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { postgresAdapter } = await import('@eventlog/postgres');
    return postgresAdapter({ url });
  }
  throw validationError(
    `Unsupported store URL "${url}". Use "memory:", "sqlite:<path>", "sqlite::memory:" or "postgres://user:password@host:port/database".`,
  );
}

/**
 * Opens an event log from a store URL (see {@link adapterFromUrl}). With no URL it reads
 * `EVENTLOG_URL`, else uses `sqlite:./eventlog.db`. Resolves once the store is ready (connected and
 * migrated); rejects with an `EventLogError` when it cannot be opened.
 *
 * @example
 * const log = await openEventLog('sqlite:./events.db');
 * await log.createInstance('audit-log');
 * await log.close();
 */
export async function openEventLog<E extends EventMap = EventMap>(
  url?: string,
  options: OpenEventLogOptions = {},
): Promise<EventLog<E>> {
  const target = url ?? process.env.EVENTLOG_URL ?? DEFAULT_EVENTLOG_URL;
  const { adapterOptions, ...logOptions } = options;
  const adapter = await adapterFromUrl(target, adapterOptions);
  try {
    await adapter.ready?.();
  } catch (error) {
    await adapter.close().catch(() => undefined);
    throw error;
  }
  return createEventLog<E>({ ...logOptions, adapter });
}
