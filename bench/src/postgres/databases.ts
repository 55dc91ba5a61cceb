/**
 * Fresh PostgreSQL databases for the bench: each case runs in a database of its own, created from
 * the admin URL (a role with CREATEDB) and dropped afterwards.
 */

import { createEventLog, type EventLog, type StorageAdapter } from '@eventlog/core';
import { type PostgresAdapter, type PostgresAdapterOptions, postgresAdapter } from '@eventlog/postgres';
import postgres from 'postgres';

export class PgDatabases {
  readonly #adminUrl: string;
  readonly #admin: postgres.Sql;
  readonly #prefix = `eventlog_bench_${process.pid}_`;
  readonly #live = new Set<string>();
  #count = 0;

  constructor(adminUrl: string) {
    this.#adminUrl = adminUrl;
    this.#admin = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  }

  /** Why PostgreSQL cannot be used, or undefined when it can (connects, and may create databases). */
  async problem(): Promise<string | undefined> {
    try {
      const [row] = await this.#admin<Array<{ createdb: boolean }>>`
        select rolcreatedb as createdb from pg_roles where rolname = current_user`;
      if (row?.createdb !== true) return 'the role of the URL may not create databases (CREATEDB)';
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Server settings that decide commit durability. */
  async settings(): Promise<string> {
    const rows = await this.#admin<Array<{ name: string; setting: string }>>`
      select name, setting from pg_settings
      where name in ('server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_connections')
      order by name`;
    return rows.map((r) => `${r.name}=${r.setting}`).join(', ');
  }

  /** Creates a new empty database; returns its URL. */
  async create(): Promise<string> {
    const name = `${this.#prefix}${this.#count++}`;
    await this.#admin.unsafe(`create database "${name}"`);
    this.#live.add(name);
    const url = new URL(this.#adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /**
   * `VACUUM ANALYZE` of a whole database: after a bulk load, so that every side's queries run on
   * statistics and visibility maps, and autovacuum does not start in the middle of a measurement.
   */
  async vacuum(url: string): Promise<void> {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`vacuum analyze`;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  /** Drops the database of a URL made by {@link create}. */
  async drop(url: string): Promise<void> {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (!this.#live.has(name)) return;
    await this.#dropDatabase(name);
    this.#live.delete(name);
  }

  /**
   * A plain DROP DATABASE stops autovacuum workers (busy after a bulk load) by itself and waits a
   * little for other sessions; `with (force)` ends the bench's own leftover sessions, but may not
   * end an autovacuum worker (`must be a member of the role…`). So: plain first, force when in use,
   * and retry a few times.
   */
  async #dropDatabase(name: string): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await this.#admin.unsafe(`drop database if exists "${name}"`);
        return;
      } catch (error) {
        last = error;
        if ((error as { code?: string }).code !== '55006') throw error; // 55006: in use by other sessions
      }
      try {
        await this.#admin.unsafe(`drop database if exists "${name}" with (force)`);
        return;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw last;
  }

  /** Drops every database still there, then disconnects. */
  async close(): Promise<void> {
    for (const name of [...this.#live]) {
      await this.#dropDatabase(name).catch((error: unknown) =>
        console.error(
          `could not drop the bench database ${name}:`,
          error instanceof Error ? error.message : error,
        ),
      );
      this.#live.delete(name);
    }
    await this.#admin.end({ timeout: 5 });
  }
}

/**
 * The databases of a profile script (`profile-*.ts`): from `EVENTLOG_BENCH_PG_URL`, else
 * `EVENTLOG_TEST_PG_URL`; throws saying how to get one when neither is set.
 */
export function profileDatabases(): PgDatabases {
  const url = process.env.EVENTLOG_BENCH_PG_URL ?? process.env.EVENTLOG_TEST_PG_URL;
  if (url === undefined) throw new Error('Set EVENTLOG_TEST_PG_URL (eval "$(bash scripts/pg-setup.sh)").');
  return new PgDatabases(url);
}

/** What {@link profileLog} opens. */
export interface ProfileLog {
  /** The database's URL. */
  url: string;
  adapter: PostgresAdapter;
  log: EventLog;
  /** Closes the log and drops the database. */
  done(): Promise<void>;
}

/**
 * A log on a database of its own for a profile script (no statement timeout; `options` for the
 * adapter, e.g. `max: 1`); `done()` closes it and drops the database.
 */
export async function profileLog(options: Partial<PostgresAdapterOptions> = {}): Promise<ProfileLog> {
  const databases = profileDatabases();
  const url = await databases.create();
  const adapter = postgresAdapter({ url, statementTimeoutMs: 0, ...options });
  const log = createEventLog({ adapter: adapter as StorageAdapter });
  return {
    url,
    adapter,
    log,
    async done() {
      await log.close();
      await databases.close();
    },
  };
}
