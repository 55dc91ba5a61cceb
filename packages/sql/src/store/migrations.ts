/**
 * Schema migrations, the same way on every SQL database: the migrations are drizzle-kit's files
 * (`drizzle/` beside each driver's `src/`), read with drizzle's own `readMigrationFiles`; a store
 * records the hash of each migration it applied; opening applies the missing ones under the
 * driver's lock, and a store holding a migration this version does not know (written by a newer
 * version) refuses to open, untouched.
 */

import { readFileSync } from 'node:fs';
import { storageError } from '@eventlog/core';
import { readMigrationFiles } from 'drizzle-orm/migrator';

/** One migration of a driver. */
export interface Migration {
  /** Position in the journal, from 0. */
  idx: number;
  /** drizzle-kit's name of the migration (`0000_init`). */
  tag: string;
  /** drizzle-kit's creation time of the migration, in epoch ms. */
  folderMillis: number;
  /** SHA-256 of the migration file, as drizzle computes it: the migration's identity. */
  hash: string;
  /** Its statements, without the empty ones. */
  statements: string[];
}

/** A migration a store recorded as applied. */
export interface AppliedMigration {
  hash: string;
  /** How a person recognises it in a message: its tag, or its date. */
  label: string;
}

interface Journal {
  entries: Array<{ idx: number; tag: string; when: number }>;
}

const cache = new Map<string, Migration[]>();

/**
 * The migrations in a drizzle-kit folder, oldest first (read once per process and folder).
 *
 * @param folder the folder holding `meta/_journal.json` and the `.sql` files
 */
export function loadMigrations(folder: string): Migration[] {
  let migrations = cache.get(folder);
  if (migrations === undefined) {
    const files = readMigrationFiles({ migrationsFolder: folder });
    // readMigrationFiles keeps the journal's order; the tags name them in messages and history.
    const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as Journal;
    migrations = files.map((file, idx) => ({
      idx,
      tag: journal.entries[idx]?.tag ?? String(idx),
      folderMillis: file.folderMillis,
      hash: file.hash,
      statements: file.sql.map((s) => s.trim()).filter((s) => s.length > 0),
    }));
    cache.set(folder, migrations);
  }
  return migrations;
}

/** What a message says about the store and its package. */
export interface StoreDescription {
  /** E.g. `This SQLite store`, `The PostgreSQL schema "app"`. */
  store: string;
  /** E.g. `@eventlog/sqlite`. */
  packageName: string;
}

/**
 * The migrations still to apply, in order.
 *
 * @throws EventLogError `STORAGE_ERROR` when the store holds a migration this version does not know
 */
export function pendingMigrations(
  applied: readonly AppliedMigration[],
  bundled: readonly Migration[],
  describe: StoreDescription,
): Migration[] {
  const known = new Set(bundled.map((m) => m.hash));
  const unknown = applied.filter((m) => !known.has(m.hash));
  if (unknown.length > 0) {
    throw storageError(
      `${describe.store} was written by a newer version of ${describe.packageName}: its schema history holds ${unknown.length} migration(s) this version does not know (${unknown.map((m) => m.label).join(', ')}). Upgrade ${describe.packageName} to open it; it was not modified.`,
    );
  }
  const done = new Set(applied.map((m) => m.hash));
  return bundled.filter((m) => !done.has(m.hash));
}
