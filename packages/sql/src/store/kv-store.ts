/**
 * The key-value store (projection checkpoints, leases) on any SQL database. A compare-and-set is
 * one statement (`INSERT … ON CONFLICT DO NOTHING`, `UPDATE … WHERE version = ?`), so it is atomic
 * without a transaction of its own; the current version is read only to explain a conflict.
 */

import {
  EventLogError,
  type JsonValue,
  type KeyValueStore,
  kvConflict,
  type StoredValue,
} from '@eventlog/core';
import type { Row, StatementProgram } from '../compiler/query-program.js';
import type { SqlDialect } from '../compiler/sql-dialect.js';
import type { StoreStatements } from './store-statements.js';

/** Runs a program: on the connection, or inside a transaction. */
export type ProgramRunner = <T>(doing: string, program: StatementProgram<T>) => Promise<T>;

interface VersionRow extends Row {
  version: number | string;
}

function* currentVersion(
  S: StoreStatements,
  namespace: string,
  key: string,
): StatementProgram<number | null> {
  const [row] = (yield S.kvVersion(namespace, key)) as readonly VersionRow[];
  return row === undefined ? null : Number(row.version);
}

function jsonText(namespace: string, key: string, value: JsonValue): string {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new EventLogError('VALIDATION_ERROR', `The value of key "${key}" is not JSON: pass a JSON value.`, {
      details: { namespace, key },
    });
  }
  return text;
}

/**
 * A {@link KeyValueStore} whose programs run through `run` (the driver's connection, or a
 * transaction's); `dialect` decodes the stored JSON.
 */
export function createSqlKvStore(S: StoreStatements, dialect: SqlDialect, run: ProgramRunner): KeyValueStore {
  const decode = (value: unknown) => dialect.decodeJson(value);
  return {
    get: (namespace, key) =>
      run(
        'reading the key-value store',
        (function* (): StatementProgram<StoredValue | undefined> {
          const [row] = yield S.kvGet(namespace, key);
          return row === undefined ? undefined : { value: decode(row.value), version: Number(row.version) };
        })(),
      ),

    put: (namespace, key, value, options = {}) => {
      let text: string;
      try {
        text = jsonText(namespace, key, value);
      } catch (error) {
        return Promise.reject(error);
      }
      const expected = options.expectedVersion;
      return run(
        'writing the key-value store',
        (function* (): StatementProgram<StoredValue> {
          const [row] = (yield expected === undefined
            ? S.kvUpsert(namespace, key, text)
            : expected === null
              ? S.kvInsertNew(namespace, key, text)
              : S.kvUpdateIf(text, namespace, key, expected)) as readonly VersionRow[];
          if (row === undefined) {
            throw kvConflict(namespace, key, expected ?? null, yield* currentVersion(S, namespace, key));
          }
          // A copy, as the store holds it: the caller's object stays the caller's.
          return { value: JSON.parse(text) as JsonValue, version: Number(row.version) };
        })(),
      );
    },

    delete: (namespace, key, options = {}) => {
      const expected = options.expectedVersion;
      return run(
        'writing the key-value store',
        (function* (): StatementProgram<boolean> {
          if (expected === undefined) return (yield S.kvDelete(namespace, key)).length > 0;
          if ((yield S.kvDeleteIf(namespace, key, expected)).length > 0) return true;
          throw kvConflict(namespace, key, expected, yield* currentVersion(S, namespace, key));
        })(),
      );
    },

    list: (namespace) =>
      run(
        'reading the key-value store',
        (function* (): StatementProgram<Array<{ key: string } & StoredValue>> {
          const rows = yield S.kvList(namespace);
          return rows.map((r) => ({
            key: r.key as string,
            value: decode(r.value),
            version: Number(r.version),
          }));
        })(),
      ),
  };
}
