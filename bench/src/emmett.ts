/**
 * Loads Emmett, an optional dependency of the benchmark: when it is not installed or its native
 * SQLite driver did not build, the bench reports "Emmett unavailable: <reason>" and goes on.
 *
 * The modules are imported by a computed name and typed by the small interfaces below (the parts
 * of Emmett 0.42's API the bench uses), so the bench typechecks without Emmett installed.
 */

import { createRequire } from 'node:module';

/** An event as Emmett takes it. */
export interface EmmettEvent {
  type: string;
  data: Record<string, unknown>;
}

/** The part of an Emmett event store the bench uses. */
export interface EmmettEventStore {
  appendToStream(
    streamName: string,
    events: EmmettEvent[],
  ): Promise<{ nextExpectedStreamVersion: bigint; lastEventGlobalPosition: bigint }>;
  readStream(streamName: string): Promise<{ events: unknown[]; currentStreamVersion: bigint }>;
  schema: { migrate(): Promise<void> };
}

/** An Emmett SQLite connection (node-sqlite3 underneath). */
export interface EmmettSqliteConnection {
  close(): void;
  command(sql: string, params?: unknown[]): Promise<unknown>;
  querySingle<T>(sql: string, params?: unknown[]): Promise<T | null>;
}

/** `@event-driven-io/emmett-sqlite`. */
export interface EmmettSqliteModule {
  getSQLiteEventStore(options: { fileName: string; pool?: unknown }): EmmettEventStore;
  SQLiteConnectionPool(options: {
    fileName: string;
    connectionOptions?: { connection: EmmettSqliteConnection; singleton: true };
  }): unknown;
  sqliteConnection(options: { fileName: string }): EmmettSqliteConnection;
}

/** `@event-driven-io/emmett-postgresql`, with dumbo's pool registry (its pools are shared by URL). */
export interface EmmettPostgresModule {
  getPostgreSQLEventStore(
    connectionString: string,
    options?: Record<string, unknown>,
  ): EmmettEventStore & { close(): Promise<void> };
  /**
   * Ends every `pg` pool Emmett opened for a URL. Emmett's `close()` leaves some open (dumbo shares pools per
   * URL and counts their users; after concurrent appends a pool of idle connections remains), and
   * dropping the database under them would crash the process on their unhandled 'error' event.
   */
  endPools(connectionString: string): Promise<void>;
}

/** A loaded module, or why it could not be loaded. */
export type Loaded<T> = { ok: true; module: T } | { ok: false; reason: string };

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim().slice(0, 200);
}

async function load<T>(specifier: string, check: (m: T) => boolean): Promise<Loaded<T>> {
  try {
    const module = (await import(specifier)) as T;
    if (!check(module)) return { ok: false, reason: `${specifier} does not have the API the bench expects` };
    return { ok: true, module };
  } catch (error) {
    return { ok: false, reason: `${specifier}: ${firstLine(error)}` };
  }
}

/** `@event-driven-io/emmett-sqlite`, if it loads. */
export function loadEmmettSqlite(): Promise<Loaded<EmmettSqliteModule>> {
  // Its driver, node-sqlite3, is a native build that may have failed. Probe it with a plain
  // require first: importing Emmett over a driver without its binary fails once more, uncaught,
  // after the import itself was rejected.
  try {
    createRequire(import.meta.url)('sqlite3');
  } catch (error) {
    return Promise.resolve({
      ok: false,
      reason: `sqlite3 (Emmett's SQLite driver, a native build): ${firstLine(error)}`,
    });
  }
  return load<EmmettSqliteModule>(
    '@event-driven-io/emmett-sqlite',
    (m) => typeof m.getSQLiteEventStore === 'function' && typeof m.sqliteConnection === 'function',
  );
}

/** `@event-driven-io/emmett-postgresql`, if it loads. */
export async function loadEmmettPostgres(): Promise<Loaded<EmmettPostgresModule>> {
  const store = await load<Pick<EmmettPostgresModule, 'getPostgreSQLEventStore'>>(
    '@event-driven-io/emmett-postgresql',
    (m) => typeof m.getPostgreSQLEventStore === 'function',
  );
  if (!store.ok) return store;
  const pg = await load<{ default: PgModule }>('pg', (m) => typeof m.default?.Pool === 'function');
  if (!pg.ok) return pg;
  return {
    ok: true,
    module: {
      getPostgreSQLEventStore: store.module.getPostgreSQLEventStore,
      endPools: trackPools(pg.module.default),
    },
  };
}

interface PgPool {
  options?: { connectionString?: string };
  on(event: 'error', listener: (error: unknown) => void): unknown;
  end(): Promise<void>;
}
interface PgModule {
  Pool: new (...args: unknown[]) => PgPool;
}

/**
 * Makes every pool created through `pg.Pool` (dumbo calls `new pg.Pool(...)` on the shared module
 * object) known to the bench and tolerant of its connections being terminated; returns a function
 * that ends those of a URL.
 */
function trackPools(pg: PgModule): (connectionString: string) => Promise<void> {
  const pools = new Set<PgPool>();
  const Base = pg.Pool;
  pg.Pool = class TrackedPool extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      this.on('error', () => {});
      pools.add(this);
    }
  };
  return async (connectionString) => {
    const open = [...pools].filter((pool) => pool.options?.connectionString === connectionString);
    for (const pool of open) pools.delete(pool);
    await Promise.all(open.map((pool) => pool.end().catch(() => undefined)));
  };
}
