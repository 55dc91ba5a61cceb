/**
 * Test environment of the PostgreSQL tests: the database URL comes from `EVENTLOG_TEST_PG_URL`
 * (see `scripts/pg-setup.sh`). Without it the tests are skipped with a loud title, except under
 * `CI=true`, where a missing database is a failure. Each test file uses its own schema and drops
 * it afterwards, so tests never depend on an empty database.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import type { AppendRequest, Instance, NewEvent, StorageAdapter } from '@eventlog/core';
import postgres from 'postgres';
import { describe, it } from 'vitest';
import { type PostgresAdapter, type PostgresAdapterOptions, postgresAdapter } from '../index.js';
import { quoteIdent } from '../sql-names.js';

/** The test database URL, when configured. */
export const PG_URL: string | undefined = process.env.EVENTLOG_TEST_PG_URL || undefined;

const MISSING =
  'set EVENTLOG_TEST_PG_URL to a PostgreSQL URL to run these tests (eval "$(bash scripts/pg-setup.sh)" prepares a local server)';

/**
 * `describe` that needs PostgreSQL: `fn` receives the URL. Skipped loudly without a database;
 * under `CI=true` it registers a failing test instead.
 */
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

/** A fresh schema name for one test file or test. */
export function uniqueSchema(prefix = 'el_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** An adapter on a schema of its own (default: a fresh one). */
export function testAdapter(url: string, options: Partial<PostgresAdapterOptions> = {}): PostgresAdapter {
  return postgresAdapter({ url, schema: uniqueSchema(), max: 10, ...options });
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A plain postgres.js client for test assertions (close it with `end()`). */
export function rawClient(url: string, max = 2): postgres.Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    types: {
      int8: {
        to: 20,
        from: [20, 1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  }) as unknown as postgres.Sql;
}

/** A valid new event for `append` (the facade normally builds these). */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id: randomUUID(),
    streamId: 's1',
    eventType: 'Happened',
    payload: {},
    metadata: {},
    timestamp: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** An append request for `instance`. */
export function appendRequest(
  instance: string,
  events: NewEvent[],
  options: Partial<AppendRequest> = {},
): AppendRequest {
  return { instance, autoCreate: false, now: '2024-01-01T00:00:00.000Z', events, ...options };
}

/** `expectedVersion` of a request, as the facade normalizes it. */
export function expectVersion(version: number): AppendRequest['expectedVersion'] {
  return { check: { kind: 'exact', version }, raw: version };
}

/** Creates an instance with a fresh name and returns it. */
export async function freshInstance(adapter: StorageAdapter, prefix = 'inst'): Promise<Instance> {
  return adapter.createInstance({
    id: randomUUID(),
    name: `${prefix}-${randomBytes(4).toString('hex')}`,
    createdAt: '2024-01-01T00:00:00.000Z',
  });
}

/**
 * Records the statements an adapter sends on the connections it reserves (appends, multi-statement
 * queries), whitespace collapsed, in order. With `replies`, a `(reply)` entry marks each time a
 * statement's result arrived, so round trips show. `stop()` restores the pool.
 */
export function recordStatements(
  adapter: PostgresAdapter,
  options: { replies?: boolean } = {},
): { statements: string[]; stop(): void } {
  const sql = adapter.sql as postgres.Sql & { reserve: postgres.Sql['reserve'] };
  const reserve = sql.reserve;
  const statements: string[] = [];
  sql.reserve = async () => {
    const conn = await reserve.call(sql);
    const unsafe = conn.unsafe.bind(conn);
    conn.unsafe = ((text: string, ...rest: unknown[]) => {
      statements.push(text.trim().replace(/\s+/g, ' '));
      const query = (unsafe as (...args: unknown[]) => postgres.PendingQuery<postgres.Row[]>)(text, ...rest);
      if (options.replies) {
        const execute = query.execute.bind(query);
        query.execute = () => {
          const executed = execute();
          void executed.then(
            () => statements.push('(reply)'),
            () => statements.push('(reply)'),
          );
          return executed;
        };
      }
      return query;
    }) as typeof conn.unsafe;
    return conn;
  };
  return {
    statements,
    stop: () => {
      sql.reserve = reserve;
    },
  };
}
