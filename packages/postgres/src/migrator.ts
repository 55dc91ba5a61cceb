/**
 * Applies the committed drizzle-kit migrations (`drizzle/`) inside the adapter's schema.
 *
 * Opening is safe when several processes open at once: the work runs under a session-level
 * advisory lock, and whoever gets the lock second finds the migrations applied. A schema migrated
 * by a newer version of this package (a migration this version does not know) refuses to open.
 *
 * drizzle-kit writes unqualified SQL (`CREATE TABLE "events"`); it runs with `search_path` set to
 * the target schema, which is how one set of migrations serves any schema name.
 */

import { fileURLToPath } from 'node:url';
import { EventLogError, storageError } from '@eventlog/core';
import { loadMigrations as loadFolder, type Migration, pendingMigrations } from '@eventlog/sql';
import type { PgClient } from './pg-client.js';
import { findPgError, wrapDriverError } from './pg-errors.js';
import { quoteIdent } from './sql-names.js';

export type { Migration } from '@eventlog/sql';

/** The table recording applied migrations, inside the adapter's schema. */
export const MIGRATIONS_TABLE = '__eventlog_migrations';

/**
 * The migrations folder, next to `src/` and `dist/` alike (`../drizzle` from this module), so the
 * adapter finds it when run from sources and when installed from npm.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle/', import.meta.url));

/** The migrations shipped with this package, oldest first (read once per process). */
export function loadMigrations(): Migration[] {
  return loadFolder(MIGRATIONS_FOLDER);
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  schema: string;
  /** Apply pending migrations; when false, only check the schema is current. */
  apply: boolean;
  migrations: Migration[];
}

/** The migrations applied to the schema, in order; none when the schema or table does not exist. */
async function applied(sql: PgClient, schema: string): Promise<Array<{ hash: string; label: string }>> {
  try {
    const rows = await sql.unsafe<Array<{ tag: string; hash: string }>>(
      `select tag, hash from ${quoteIdent(schema)}.${quoteIdent(MIGRATIONS_TABLE)} order by idx`,
    );
    return rows.map((r) => ({ hash: r.hash, label: r.tag }));
  } catch (error) {
    const code = findPgError(error)?.code;
    // 42P01 undefined_table, 3F000 invalid_schema_name: nothing applied yet.
    if (code === '42P01' || code === '3F000') return [];
    throw error;
  }
}

/** Which migrations remain, or throws when the schema is newer than this package. */
async function pending(sql: PgClient, schema: string, known: Migration[]): Promise<Migration[]> {
  return pendingMigrations(await applied(sql, schema), known, {
    store: `The PostgreSQL schema "${schema}"`,
    packageName: '@eventlog/postgres',
  });
}

/**
 * Brings `schema` up to date (or checks it is, with `apply: false`).
 *
 * @throws EventLogError `STORAGE_ERROR` when the schema is newer than this package, not current
 *   with `apply: false`, or PostgreSQL fails.
 */
export async function migrate(sql: PgClient, options: MigrateOptions): Promise<void> {
  const { schema, migrations } = options;
  try {
    // Fast path without the lock: a current schema is the common case on open.
    if ((await pending(sql, schema, migrations)).length === 0) return;
    if (!options.apply) {
      throw storageError(
        `The PostgreSQL schema "${schema}" is not up to date and the adapter was opened with migrate: false. Open it once with migrate: true (the default) to apply the migrations.`,
      );
    }
    const conn = await sql.reserve();
    try {
      // Session-level lock on a dedicated connection: held across the whole migration.
      await conn.unsafe(`select pg_advisory_lock(hashtext('eventlog.migrate'), hashtext($1))`, [schema]);
      try {
        await applyPending(conn as unknown as PgClient, schema, migrations);
      } finally {
        await conn.unsafe(`select pg_advisory_unlock(hashtext('eventlog.migrate'), hashtext($1))`, [schema]);
      }
    } finally {
      conn.release();
    }
  } catch (error) {
    if (EventLogError.isInstance(error)) throw error;
    throw wrapDriverError(error, `migrating the schema "${schema}"`);
  }
}

async function applyPending(conn: PgClient, schema: string, migrations: Migration[]): Promise<void> {
  const s = quoteIdent(schema);
  await conn.unsafe('begin');
  try {
    await conn.unsafe(`create schema if not exists ${s}`);
    await conn.unsafe(
      `create table if not exists ${s}.${quoteIdent(MIGRATIONS_TABLE)} (idx integer primary key, tag text not null, hash text not null, applied_at timestamptz not null default now())`,
    );
    // Re-read under the lock: another process may have migrated while we waited for it.
    const todo = await pending(conn, schema, migrations);
    // A long index build must not hit the adapter's statement timeout.
    await conn.unsafe(`set local statement_timeout = 0`);
    await conn.unsafe(`set local search_path to ${s}`);
    for (const migration of todo) {
      for (const statement of migration.statements) await conn.unsafe(statement);
      await conn.unsafe(
        `insert into ${s}.${quoteIdent(MIGRATIONS_TABLE)} (idx, tag, hash) values ($1, $2, $3)`,
        [migration.idx, migration.tag, migration.hash],
      );
    }
    await conn.unsafe('commit');
  } catch (error) {
    await conn.unsafe('rollback').catch(() => {});
    throw error;
  }
}
