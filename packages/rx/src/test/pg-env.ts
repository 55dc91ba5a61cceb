/**
 * PostgreSQL test environment of the rx tests: the URL comes from `EVENTLOG_TEST_PG_URL` (see
 * `scripts/pg-setup.sh`). Without it the tests are skipped with a loud title, except under
 * `CI=true`, where a missing database fails the file. Every file works in a schema of its own and
 * drops it afterwards.
 */

import { randomBytes } from 'node:crypto';
import { type PostgresAdapter, type PostgresAdapterOptions, postgresAdapter } from '@eventlog/postgres';
import { describe, it } from 'vitest';

/** The test database URL, when configured. */
export const PG_URL: string | undefined = process.env.EVENTLOG_TEST_PG_URL || undefined;

const MISSING =
  'set EVENTLOG_TEST_PG_URL to a PostgreSQL URL to run these tests (eval "$(bash scripts/pg-setup.sh)" prepares a local server)';

/** `describe` that needs PostgreSQL: skipped loudly without a URL, failing under `CI=true`. */
export function describePostgres(title: string, fn: (url: string) => void): void {
  if (PG_URL !== undefined) {
    describe(title, () => fn(PG_URL));
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('has a PostgreSQL database (CI=true)', () => {
        throw new Error(`No PostgreSQL database under CI=true: ${MISSING}.`);
      });
    });
  } else {
    describe.skip(`${title} — SKIPPED: ${MISSING}`, () => fn('postgres://unset'));
  }
}

/** A fresh schema (or application) name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** An adapter on `schema` with small pools (tests run many adapters at once). */
export function pgAdapter(
  url: string,
  schema: string,
  options: Partial<PostgresAdapterOptions> = {},
): PostgresAdapter {
  return postgresAdapter({ url, schema, max: 4, ...options });
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const adapter = pgAdapter(url, uniqueName('rx_drop'), { max: 1, migrate: false });
  try {
    await adapter.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  } finally {
    await adapter.close();
  }
}
