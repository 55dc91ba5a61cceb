import postgres from 'postgres';
import type { ResolvedOptions } from './options.js';

/**
 * Query options for statements with parameters. postgres.js's `unsafe` does not prepare by
 * default, and an unprepared statement with parameters costs a Parse/Describe round trip before
 * every execution and stops pipelining. Prepared, it is parsed once per connection.
 */
export const PREPARED = { prepare: true } as const;

/** The postgres.js client type the adapter uses. */
export type PgClient = postgres.Sql;

/**
 * Creates a postgres.js client for the adapter's options.
 *
 * - `int8` and `numeric` are parsed to JS numbers: positions, counts and sequence numbers stay
 *   below 2^53, and SPEC wants numbers, never strings or bigints.
 * - Notices (`… already exists, skipping`) are dropped instead of printed.
 * - `statement_timeout` is a connection parameter, so it covers every statement, lock waits included.
 */
export function createPgClient(options: ResolvedOptions, overrides: { max?: number } = {}): PgClient {
  return postgres(options.url, {
    max: overrides.max ?? options.max,
    connect_timeout: options.connectTimeoutSeconds,
    ...(options.idleTimeoutSeconds > 0 ? { idle_timeout: options.idleTimeoutSeconds } : {}),
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
    onnotice: () => {},
    connection: {
      application_name: options.applicationName,
      statement_timeout: options.statementTimeoutMs,
    },
    types: {
      int8: {
        to: 20,
        from: [20, 1700],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  }) as unknown as PgClient;
}
