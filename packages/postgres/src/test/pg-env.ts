/**
 * Helpers of the PostgreSQL adapter's tests: adapters on the test schema and the statements an adapter
 * sends. The database itself (URL, `describePostgres`, schemas, clean-up) is
 * `usePostgres` of `@eventlog/test-support`.
 */

import type { PostgresTestEnv } from '@eventlog/test-support';
import type postgres from 'postgres';
import { type PostgresAdapter, type PostgresAdapterOptions, postgresAdapter } from '../index.js';

/** An adapter on the environment's schema (or `options.schema`), closed after the test or block. */
export function testAdapter(
  pg: PostgresTestEnv,
  options: Partial<PostgresAdapterOptions> = {},
): PostgresAdapter {
  return pg.closeAfter(postgresAdapter({ url: pg.url, schema: pg.schema, max: 10, ...options }));
}

/**
 * Records the statements an adapter sends on the pool and on the connections it reserves (appends,
 * multi-statement queries), whitespace collapsed, in order. With `replies`, a `(reply)` entry marks each time a
 * statement's result arrived, so round trips show. `stop()` restores the pool.
 */
export function recordStatements(
  adapter: PostgresAdapter,
  options: { replies?: boolean } = {},
): { statements: string[]; stop(): void } {
  const sql = adapter.sql as postgres.Sql & { reserve: postgres.Sql['reserve'] };
  const reserve = sql.reserve;
  const poolUnsafe = sql.unsafe;
  const statements: string[] = [];
  sql.reserve = async () => {
    const conn = await reserve.call(sql);
    conn.unsafe = recording(conn.unsafe.bind(conn));
    return conn;
  };
  // Statements sent on the pool itself (the one-statement append) are recorded too.
  sql.unsafe = recording(poolUnsafe.bind(sql));
  function recording(unsafe: postgres.Sql['unsafe']): postgres.Sql['unsafe'] {
    return ((text: string, ...rest: unknown[]) => {
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
    }) as postgres.Sql['unsafe'];
  }
  return {
    statements,
    stop: () => {
      sql.reserve = reserve;
      sql.unsafe = poolUnsafe;
    },
  };
}

/** Short names of the statements an append sends (see `recordStatements`). */
export function statementKinds(statements: string[]): string[] {
  return statements.map((s) => {
    if (/^select \* from "[^"]+"\.append_events\(/.test(s)) return 'append-one';
    if (s.startsWith('with instance as materialized') && s.includes('checks as materialized'))
      return 'insert-checked';
    if (s.startsWith('with instance as materialized')) return 'insert-unconditional';
    if (s.startsWith('select k.id')) return 'lock';
    if (s.startsWith('select i.id, s.stream')) return 'versions';
    if (s.startsWith('with ins as (insert into') || (/^insert into/i.test(s) && s.includes('events')))
      return 'insert';
    if (/^insert into/i.test(s) && s.includes('instances')) return 'create-instance';
    if (s.startsWith('select pg_advisory_xact_lock(hashtext(')) return 'lock-catalog';
    if (s.startsWith('select e."global_position"')) return 'events-by-event-id';
    if (s.startsWith('select coalesce((select e.global_position')) return 'head';
    // After a COPY: the statement adding the copied rows' tags and counts.
    if (s.startsWith('with ins as materialized')) return 'copied';
    return s.split(' ')[0] as string;
  });
}
