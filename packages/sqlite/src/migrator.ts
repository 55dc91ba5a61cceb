/**
 * Applies the drizzle-kit migrations of `../drizzle/` on open, in `BEGIN IMMEDIATE`, recording
 * them in drizzle's own `__drizzle_migrations` table (so drizzle tooling reads the same history).
 * Which migrations are pending, and the refusal of a store written by a newer version, are the
 * shared rules of `@eventlog/sql`.
 *
 * drizzle's bundled migrator is not used because it reads the history outside its transaction and
 * opens a deferred one: processes opening a new file together would race. Here the history is
 * read, checked and extended under the write lock.
 */

import { fileURLToPath } from 'node:url';
import { type AppliedMigration, loadMigrations, type Migration, pendingMigrations } from '@eventlog/sql';
import type Database from 'better-sqlite3';

/** The history table, as drizzle names it. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** Where the generated migrations live: beside `src/` and `dist/`, so both resolve it. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle/', import.meta.url));

/** The migrations shipped with this package, oldest first (read once per process). */
export function bundledMigrations(): Migration[] {
  return loadMigrations(MIGRATIONS_FOLDER);
}

function historyExists(db: Database.Database): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE) !==
    undefined
  );
}

function pending(db: Database.Database, migrations: readonly Migration[]): Migration[] {
  const rows = db.prepare(`SELECT hash, created_at FROM "${MIGRATIONS_TABLE}"`).all() as Array<{
    hash: string;
    created_at: number | string;
  }>;
  const applied: AppliedMigration[] = rows.map((r) => ({
    hash: r.hash,
    label: `from ${new Date(Number(r.created_at)).toISOString()}`,
  }));
  return pendingMigrations(applied, migrations, {
    store: 'This SQLite store',
    packageName: '@eventlog/sqlite',
  });
}

/**
 * Brings the schema up to date. Safe when several processes open one new file at once: the
 * history is checked again under `BEGIN IMMEDIATE`, so exactly one of them applies each migration.
 *
 * @throws EventLogError `STORAGE_ERROR` when the store holds migrations from a newer version
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = bundledMigrations()): void {
  // Up to date already (every reopen): a plain read, no write lock.
  if (historyExists(db) && pending(db, migrations).length === 0) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    );
    const record = db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of pending(db, migrations)) {
      for (const statement of migration.statements) db.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
