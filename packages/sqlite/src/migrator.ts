/**
 * Applies the drizzle-kit migrations of `../drizzle/` on open, in `BEGIN IMMEDIATE`, recording
 * them in drizzle's own `__drizzle_migrations` table (so drizzle tooling reads the same history).
 *
 * drizzle's bundled migrator is not used because it reads the history outside its transaction and
 * opens a deferred one: processes opening a new file together would race. Here the history is
 * read, checked and extended under the write lock, and a history holding migrations this version
 * does not know (a newer schema) refuses to open.
 */

import { fileURLToPath } from 'node:url';
import { storageError } from '@eventlog/core';
import type Database from 'better-sqlite3';
import { type MigrationMeta, readMigrationFiles } from 'drizzle-orm/migrator';

/** The history table, as drizzle names it. */
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** Where the generated migrations live: beside `src/` and `dist/`, so both resolve it. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle/', import.meta.url));

let cached: MigrationMeta[] | undefined;

/** The migrations shipped with this package, oldest first (read once per process). */
export function bundledMigrations(): MigrationMeta[] {
  cached ??= readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  return cached;
}

interface HistoryRow {
  hash: string;
  created_at: number | string;
}

function historyExists(db: Database.Database): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE) !==
    undefined
  );
}

function pending(db: Database.Database, migrations: readonly MigrationMeta[]): MigrationMeta[] {
  const rows = db.prepare(`SELECT hash, created_at FROM "${MIGRATIONS_TABLE}"`).all() as HistoryRow[];
  const known = new Set(migrations.map((m) => m.folderMillis));
  const unknown = rows.filter((r) => !known.has(Number(r.created_at)));
  if (unknown.length > 0) {
    const latest = Math.max(...unknown.map((r) => Number(r.created_at)));
    throw storageError(
      `This SQLite store was written by a newer version of @eventlog/sqlite: its schema history holds ${unknown.length} migration(s) this version does not know (the newest from ${new Date(latest).toISOString()}). Upgrade @eventlog/sqlite to open it; it was not modified.`,
    );
  }
  const applied = new Set(rows.map((r) => Number(r.created_at)));
  return migrations.filter((m) => !applied.has(m.folderMillis));
}

/**
 * Brings the schema up to date. Safe when several processes open one new file at once: the
 * history is checked again under `BEGIN IMMEDIATE`, so exactly one of them applies each migration.
 *
 * @throws EventLogError `STORAGE_ERROR` when the store holds migrations from a newer version
 */
export function migrate(
  db: Database.Database,
  migrations: readonly MigrationMeta[] = bundledMigrations(),
): void {
  // Up to date already (every reopen): a plain read, no write lock.
  if (historyExists(db) && pending(db, migrations).length === 0) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    );
    const record = db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of pending(db, migrations)) {
      for (const statement of migration.sql) if (statement.trim() !== '') db.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
