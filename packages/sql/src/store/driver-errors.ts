/**
 * Driver errors become `STORAGE_ERROR`s with one wording on every database: what failed, while
 * doing what, the driver's message, and the failing statement in `details.statement` (drizzle's
 * `DrizzleQueryError` does the same). `EventLogError`s pass through unchanged.
 */

import { EventLogError, storageError } from '@eventlog/core';

/** How a driver describes an error of its own. */
export interface DriverErrorText {
  /** The driver's message. */
  message: string;
  /** A code worth showing (a PostgreSQL SQLSTATE, say), if any. */
  code?: string;
}

/**
 * Wraps a driver error.
 *
 * @param database `SQLite`, `PostgreSQL`, …
 * @param doing what the store was doing, as a gerund phrase: `appending to "orders"`
 */
export function wrapDriverFailure(
  database: string,
  error: unknown,
  doing: string,
  statement?: string,
  describe: (error: unknown) => DriverErrorText = defaultText,
): EventLogError {
  if (EventLogError.isInstance(error)) return error;
  const { message, code } = describe(error);
  const suffix = code === undefined ? '' : ` (${code})`;
  const text = `${message}${suffix}`.replace(/\.$/, '');
  return storageError(`${database} failed while ${doing}: ${text}.`, error, statement);
}

function defaultText(error: unknown): DriverErrorText {
  return { message: error instanceof Error ? error.message : String(error) };
}
