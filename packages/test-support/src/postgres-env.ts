/**
 * The PostgreSQL test database, for every package's tests. The URL comes from
 * `EVENTLOG_TEST_PG_URL` (`eval "$(bash scripts/pg-setup.sh)"` prepares a local server). Without it
 * the tests are skipped with a loud title, except under `CI=true`, where a missing database is a
 * failing test, never a silent skip. Tests work in schemas of their own, dropped afterwards, so they
 * never depend on an empty database.
 *
 * @example
 * describePostgres('my adapter', () => {
 *   const pg = usePostgres();
 *   let adapter: PostgresAdapter;
 *   beforeAll(() => {
 *     adapter = pg.closeAfter(postgresAdapter({ url: pg.url, schema: pg.schema }));
 *   });
 *   it('counts rows', async () => {
 *     expect(await pg.sql.unsafe(`select 1 as n`)).toEqual([{ n: 1 }]);
 *   });
 * });
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';

/** The test database URL (`EVENTLOG_TEST_PG_URL`), when configured. */
export const PG_URL: string | undefined = process.env.EVENTLOG_TEST_PG_URL || undefined;

const MISSING =
  'set EVENTLOG_TEST_PG_URL to a PostgreSQL URL to run these tests (eval "$(bash scripts/pg-setup.sh)" prepares a local server)';

/** The URL `fn` gets in a skipped block: never connected to, since its tests and hooks do not run. */
const UNSET_URL = 'postgres://unset';

/**
 * `describe` that needs PostgreSQL: `fn` receives the URL. Skipped loudly without a database;
 * under `CI=true` it registers a failing test instead (and `fn` is not called).
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
    describe.skip(`${title} — SKIPPED: ${MISSING}`, () => fn(UNSET_URL));
  }
}

/** A fresh name for a schema, an application name or an instance: `<prefix>_<10 hex digits>`. */
export function uniqueName(prefix = 'el_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A SQL identifier, quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A plain postgres.js client for test set-up and assertions, reading `bigint`/`numeric` as numbers
 * (as the adapter does). Close it with `end()`, or let {@link usePostgres} do it (`pg.sql`).
 */
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

/** Drops a schema with everything in it, over a connection of its own. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`drop schema if exists ${quoteIdent(schema)} cascade`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Something a test opens and must release: an adapter, an event log, a client. */
export interface Closable {
  close(): unknown;
}

/** Options of {@link usePostgres}. */
export interface UsePostgresOptions {
  /** Prefix of the schema names. Default `el_test`. */
  prefix?: string;
  /**
   * `file` (default): one schema for the enclosing `describe` block, dropped after it. `test`: a
   * fresh schema for each test, dropped after that test.
   */
  scope?: 'file' | 'test';
}

/** What {@link usePostgres} gives a block of tests. */
export interface PostgresTestEnv {
  /** The database URL. */
  readonly url: string;
  /** The block's schema (scope `file`) or the running test's (scope `test`). Not created: adapters migrate it. */
  readonly schema: string;
  /** Another fresh schema name, dropped after the running test (or, outside a test, after the block). */
  freshSchema(prefix?: string): string;
  /** A raw client ({@link rawClient}), opened on first use and ended after the block. */
  readonly sql: postgres.Sql;
  /**
   * Closes `resource` after the running test (or, outside a test, after the block), before the
   * schemas are dropped. Returns it, so creation and registration are one expression. Closing
   * twice must be harmless (adapters and logs are idempotent).
   */
  closeAfter<T extends Closable>(resource: T): T;
}

interface Bucket {
  closables: Closable[];
  schemas: string[];
}

const emptyBucket = (): Bucket => ({ closables: [], schemas: [] });

/**
 * Gives the enclosing `describe` block (call it inside {@link describePostgres}) a PostgreSQL
 * environment: a fresh schema, a raw client, and clean-up after the block — resources registered
 * with `closeAfter` are closed, then the schemas are dropped. Registers vitest hooks; connects
 * only when the tests run. Call it first in the block: vitest runs after-hooks in reverse order,
 * so the block's own `afterAll` hooks then run before this clean-up.
 */
export function usePostgres(options: UsePostgresOptions = {}): PostgresTestEnv {
  const prefix = options.prefix ?? 'el_test';
  const url = PG_URL ?? UNSET_URL;
  const block = emptyBucket();
  let test: Bucket | undefined;
  let testSchema: string | undefined;
  let sql: postgres.Sql | undefined;
  const blockSchema = uniqueName(prefix);
  block.schemas.push(blockSchema);

  const current = () => test ?? block;
  const freshSchema = (p = prefix) => {
    const schema = uniqueName(p);
    current().schemas.push(schema);
    return schema;
  };

  beforeEach(() => {
    test = emptyBucket();
    if (options.scope === 'test') testSchema = freshSchema();
  });
  afterEach(async () => {
    const bucket = test;
    test = undefined;
    testSchema = undefined;
    if (bucket !== undefined) await release(url, bucket);
  });
  afterAll(async () => {
    const client = sql;
    sql = undefined;
    await release(url, block, client);
  });

  return {
    url,
    get schema() {
      if (options.scope !== 'test') return blockSchema;
      if (testSchema === undefined) {
        throw new Error('usePostgres({ scope: "test" }): the schema exists only while a test runs.');
      }
      return testSchema;
    },
    freshSchema,
    get sql() {
      sql ??= rawClient(url);
      return sql;
    },
    closeAfter(resource) {
      current().closables.push(resource);
      return resource;
    },
  };
}

/** Closes a bucket's resources (all of them, even when one fails), then drops its schemas. */
async function release(url: string, bucket: Bucket, client?: postgres.Sql): Promise<void> {
  const closed = await Promise.allSettled([
    ...bucket.closables.reverse().map(async (resource) => resource.close()),
    ...(client === undefined ? [] : [client.end({ timeout: 5 })]),
  ]);
  for (const schema of bucket.schemas) await dropSchema(url, schema);
  const failures = closed.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((f) => f.reason),
      'usePostgres: closing test resources failed',
    );
  }
}

/**
 * The store URLs an example or a cross-backend test runs on: `memory:`, a SQLite file of its own,
 * and (when `EVENTLOG_TEST_PG_URL` is set) PostgreSQL in a fresh schema. Files and schemas are
 * removed after the file's tests. Under `CI=true` a missing PostgreSQL is an error: CI must cover
 * every backend.
 *
 * @example
 * const URLS = storeUrlsForTests('order_example');
 * it.each(URLS)('given %s, when run, then …', async (url) => { … });
 */
export function storeUrlsForTests(prefix = 'el_example'): string[] {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const urls = ['memory:', `sqlite:${join(dir, 'events.db')}`];
  const schemas: string[] = [];
  if (PG_URL !== undefined) {
    const schema = uniqueName(prefix);
    schemas.push(schema);
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    urls.push(url.toString());
  } else if (process.env.CI === 'true') {
    throw new Error(`No PostgreSQL database under CI=true: ${MISSING}.`);
  }
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const schema of schemas) await dropSchema(PG_URL as string, schema);
  });
  return urls;
}
