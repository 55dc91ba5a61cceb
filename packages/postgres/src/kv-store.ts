/**
 * The key-value store (projection checkpoints, leases) in the `kv` table. `expectedVersion` makes
 * `put`/`delete` a compare-and-set decided by one statement, so it is atomic without locks.
 */

import { EventLogError, type JsonValue, type KeyValueStore, type StoredValue } from '@eventlog/core';
import { PREPARED } from './pg-client.js';
import { wrapDriverError } from './pg-errors.js';
import type { Statements } from './statements.js';

/** Anything that runs a statement: the pool, or a transaction. */
export interface StatementRunner {
  unsafe<T extends readonly object[]>(
    query: string,
    parameters?: unknown[],
    options?: { prepare?: boolean },
  ): PromiseLike<T>;
}

function kvConflict(
  namespace: string,
  key: string,
  expectedVersion: number | null,
  actualVersion: number | null,
): EventLogError {
  const expected = expectedVersion === null ? 'no value' : `version ${expectedVersion}`;
  const actual = actualVersion === null ? 'no value' : `version ${actualVersion}`;
  return new EventLogError(
    'CONFLICT',
    `Key "${key}" of namespace "${namespace}" has ${actual}, but ${expected} was expected. Read it again and retry.`,
    { details: { namespace, key, expectedVersion, actualVersion } },
  );
}

/** A {@link KeyValueStore} running its statements on `runner` (the pool or a transaction). */
export function createKvStore(runner: StatementRunner, S: Statements): KeyValueStore {
  async function run<T extends readonly object[]>(
    doing: string,
    query: string,
    params: unknown[],
  ): Promise<T> {
    try {
      return await runner.unsafe<T>(query, params, PREPARED);
    } catch (error) {
      throw wrapDriverError(error, doing, query);
    }
  }

  async function currentVersion(namespace: string, key: string): Promise<number | null> {
    const rows = await run<Array<{ version: number }>>('reading a key', S.kvVersion, [namespace, key]);
    return rows[0]?.version ?? null;
  }

  return {
    async get(namespace, key): Promise<StoredValue | undefined> {
      const rows = await run<Array<{ value: JsonValue; version: number }>>('reading a key', S.kvGet, [
        namespace,
        key,
      ]);
      const row = rows[0];
      return row === undefined ? undefined : { value: row.value, version: row.version };
    },

    async put(namespace, key, value, options = {}): Promise<StoredValue> {
      const text = JSON.stringify(value);
      const expected = options.expectedVersion;
      let rows: Array<{ version: number }>;
      if (expected === undefined) {
        rows = await run('writing a key', S.kvUpsert, [namespace, key, text]);
      } else if (expected === null) {
        rows = await run('writing a key', S.kvInsertNew, [namespace, key, text]);
      } else {
        rows = await run('writing a key', S.kvUpdateIf, [namespace, key, text, expected]);
      }
      const row = rows[0];
      if (row === undefined) {
        throw kvConflict(namespace, key, expected ?? null, await currentVersion(namespace, key));
      }
      // A copy, as the store holds it: the caller's object stays the caller's.
      return { value: JSON.parse(text) as JsonValue, version: row.version };
    },

    async delete(namespace, key, options = {}): Promise<boolean> {
      const expected = options.expectedVersion;
      if (expected === undefined) {
        const rows = await run<Array<{ version: number }>>('deleting a key', S.kvDelete, [namespace, key]);
        return rows.length > 0;
      }
      const rows = await run<Array<{ version: number }>>('deleting a key', S.kvDeleteIf, [
        namespace,
        key,
        expected,
      ]);
      if (rows.length > 0) return true;
      throw kvConflict(namespace, key, expected, await currentVersion(namespace, key));
    },

    async list(namespace): Promise<Array<{ key: string } & StoredValue>> {
      const rows = await run<Array<{ key: string; value: JsonValue; version: number }>>(
        'listing keys',
        S.kvList,
        [namespace],
      );
      return rows.map((r) => ({ key: r.key, value: r.value, version: r.version }));
    },
  };
}
