/**
 * Driver errors: find the PostgreSQL error under wrappers (drizzle's `DrizzleQueryError` keeps it
 * in `cause`), recognise only the constraint a caller means, and wrap everything else as
 * `STORAGE_ERROR` with the statement.
 */

import type { EventLogError } from '@eventlog/core';
import { wrapDriverFailure } from '@eventlog/sql';

/** The fields of a PostgreSQL error (postgres.js `PostgresError`) the adapter reads. */
export interface PgErrorFields {
  /** SQLSTATE, e.g. `23505` (unique violation). */
  code: string;
  message: string;
  constraint_name?: string;
  severity?: string;
}

/** SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

/** The PostgreSQL error in `error` or its `cause` chain, or undefined for any other error. */
export function findPgError(error: unknown): PgErrorFields | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const candidate = current as Partial<PgErrorFields> & { cause?: unknown; name?: unknown };
    // postgres.js server errors are `PostgresError`s with a five-character SQLSTATE and a
    // severity; its client-side errors (CONNECTION_CLOSED, …) have longer codes.
    if (
      typeof candidate.code === 'string' &&
      /^[0-9A-Z]{5}$/.test(candidate.code) &&
      typeof candidate.severity === 'string'
    ) {
      return candidate as PgErrorFields;
    }
    current = candidate.cause;
  }
  return undefined;
}

/** True when `error` is a unique violation of the constraint `constraint`. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = findPgError(error);
  return pg?.code === UNIQUE_VIOLATION && pg.constraint_name === constraint;
}

/**
 * True when the server reported an error for a statement, so the transaction certainly rolled
 * back (as opposed to a lost connection, after which a COMMIT's outcome is unknown).
 */
export function isServerError(error: unknown): boolean {
  return findPgError(error) !== undefined;
}

/** Turns a driver error into `STORAGE_ERROR` (EventLogErrors pass through unchanged). */
export function wrapDriverError(error: unknown, doing: string, statement?: string): EventLogError {
  return wrapDriverFailure('PostgreSQL', error, doing, statement, (e) => {
    const pg = findPgError(e);
    if (pg === undefined) return { message: e instanceof Error ? e.message : String(e) };
    return { message: pg.message, code: `SQLSTATE ${pg.code}` };
  });
}
