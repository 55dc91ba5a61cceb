/**
 * The key-value store (projection checkpoints, leases) over the `kv` table, with compare-and-set.
 * The operations are synchronous functions over the connection; the adapter wraps them with its
 * lock and a write transaction, and `transaction(fn)` hands them out bare, inside its own
 * `BEGIN IMMEDIATE`.
 */

import { EventLogError, type JsonValue, type KeyValueStore, type StoredValue } from '@eventlog/core';
import type Database from 'better-sqlite3';

interface KvRow {
  value: string;
  version: number;
}

function kvConflict(
  namespace: string,
  key: string,
  expected: number | null,
  actual: KvRow | undefined,
): EventLogError {
  const now = actual === undefined ? 'does not exist' : `is at version ${actual.version}`;
  const wanted = expected === null ? 'must not exist' : `was expected at version ${expected}`;
  return new EventLogError(
    'CONFLICT',
    `Key "${key}" in namespace "${namespace}" ${now}, but it ${wanted}. Read it again and retry.`,
    { details: { namespace, key, expectedVersion: expected, actualVersion: actual?.version ?? null } },
  );
}

/** Synchronous key-value operations on one connection (prepared once). */
export class SqliteKvOperations {
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly update: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly selectAll: Database.Statement;

  constructor(db: Database.Database) {
    this.select = db.prepare('SELECT value, version FROM kv WHERE namespace = ? AND key = ?');
    this.insert = db.prepare('INSERT INTO kv (namespace, key, value, version) VALUES (?, ?, ?, 1)');
    this.update = db.prepare('UPDATE kv SET value = ?, version = ? WHERE namespace = ? AND key = ?');
    this.remove = db.prepare('DELETE FROM kv WHERE namespace = ? AND key = ?');
    // BINARY collation: keys in code point order, as the memory adapter lists them.
    this.selectAll = db.prepare('SELECT key, value, version FROM kv WHERE namespace = ? ORDER BY key');
  }

  get(namespace: string, key: string): StoredValue | undefined {
    const row = this.select.get(namespace, key) as KvRow | undefined;
    return row === undefined
      ? undefined
      : { value: JSON.parse(row.value) as JsonValue, version: row.version };
  }

  /** Must run inside a write transaction. */
  put(namespace: string, key: string, value: JsonValue, expected: number | null | undefined): StoredValue {
    const current = this.select.get(namespace, key) as KvRow | undefined;
    if (
      expected !== undefined &&
      (expected === null ? current !== undefined : current?.version !== expected)
    ) {
      throw kvConflict(namespace, key, expected, current);
    }
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new EventLogError(
        'VALIDATION_ERROR',
        `The value of key "${key}" is not JSON: pass a JSON value.`,
        {
          details: { namespace, key },
        },
      );
    }
    let version = 1;
    if (current === undefined) this.insert.run(namespace, key, text);
    else {
      version = current.version + 1;
      this.update.run(text, version, namespace, key);
    }
    return { value: JSON.parse(text) as JsonValue, version };
  }

  /** Must run inside a write transaction. */
  delete(namespace: string, key: string, expected: number | undefined): boolean {
    const current = this.select.get(namespace, key) as KvRow | undefined;
    if (expected !== undefined && current?.version !== expected)
      throw kvConflict(namespace, key, expected, current);
    if (current === undefined) return false;
    this.remove.run(namespace, key);
    return true;
  }

  list(namespace: string): Array<{ key: string } & StoredValue> {
    const rows = this.selectAll.all(namespace) as Array<KvRow & { key: string }>;
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as JsonValue, version: r.version }));
  }
}

/**
 * A {@link KeyValueStore} over the operations: `read` runs a read, `write` runs a write (the
 * adapter decides locking and transactions).
 */
export function keyValueStore(
  ops: SqliteKvOperations,
  read: <R>(fn: () => R) => Promise<R>,
  write: <R>(fn: () => R) => Promise<R>,
): KeyValueStore {
  return {
    get: (namespace, key) => read(() => ops.get(namespace, key)),
    put: (namespace, key, value, options) =>
      write(() => ops.put(namespace, key, value, options?.expectedVersion)),
    delete: (namespace, key, options) => write(() => ops.delete(namespace, key, options?.expectedVersion)),
    list: (namespace) => read(() => ops.list(namespace)),
  };
}
