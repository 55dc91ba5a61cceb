/**
 * Opening a SQLite file in the order that keeps concurrent openers of a new file safe: the busy
 * timeout, WAL, the durability setting, the functions the compiler needs, then the migrations.
 */

import { storageError } from '@eventlog/core';
import { canonicalJsonText, SQLITE_CANONICAL_JSON_FUNCTION } from '@eventlog/sql';
import Database from 'better-sqlite3';
import { migrate } from './migrator.js';
import type { ResolvedSqliteOptions } from './options.js';

/**
 * `PRAGMA journal_mode = WAL`, retried while another connection holds the lock. On a new file (still
 * in rollback mode) the switch reads first and then upgrades its lock, and SQLite answers a
 * contended upgrade with SQLITE_BUSY at once instead of calling the busy handler (waiting could
 * deadlock two upgraders). So several processes opening one new file together see "database is
 * locked" here unless someone retries: this waits (a few milliseconds, with jitter) and tries again,
 * for up to the busy timeout. It blocks the thread, but only while opening, and only under that race.
 */
function switchToWal(db: Database.Database, busyTimeoutMs: number): unknown {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return db.pragma('journal_mode = WAL', { simple: true });
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      sleepSync(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
    }
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (the constructor that opens the store is synchronous). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Opens the database and brings its schema up to date. */
export function openDatabase(options: ResolvedSqliteOptions): Database.Database {
  const db = new Database(options.file, { timeout: options.busyTimeoutMs });
  try {
    // 1. The busy timeout first, so everything after waits for other processes instead of failing.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    if (!options.memory) {
      // 2. WAL: readers never block the writer. The switch is persistent and takes the lock.
      const mode = switchToWal(db, options.busyTimeoutMs);
      if (mode !== 'wal') {
        throw storageError(`SQLite refused WAL mode for ${options.file} (journal_mode is ${String(mode)}).`);
      }
    }
    // 3. Durability of each commit.
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Freed cells are zeroed, so a deleted row (an erased subject's key) leaves no bytes in the
    // database file; `scrub()` then truncates the WAL, which still holds the old pages.
    db.pragma('secure_delete = ON');
    db.function(SQLITE_CANONICAL_JSON_FUNCTION, { deterministic: true }, canonicalJsonText);
    // 4. Migrations under BEGIN IMMEDIATE.
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
