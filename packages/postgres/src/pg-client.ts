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

/** What postgres.js is given for a URL: the URL it can parse, and the host when the URL named it apart. */
export interface ConnectionTarget {
  url: string;
  /** A socket directory (starts with `/`) or a host name, given to postgres.js as `host`. */
  host?: string;
}

/**
 * Reads libpq's ways of naming the server that postgres.js does not: a `host` (and `port`) query
 * parameter, whose value wins over the URL's host and may be a Unix-socket directory
 * (`postgres://u:p@/db?host=/var/run/postgresql`, Cloud SQL's `?host=/cloudsql/…`), and a
 * percent-encoded socket directory as the host (`postgres://u:p@%2Fvar%2Frun%2Fpostgresql/db`).
 * postgres.js would send the parameters to the server as settings (which it refuses), fail to parse
 * an empty host, or look the encoded directory up as a host name. The URL it gets back names
 * `localhost` (or its own host) with the port; the directory goes as `host`, and postgres.js
 * connects to its `.s.PGSQL.<port>`. Any other URL is returned as it is.
 *
 * @throws TypeError for a port that is not a number
 */
export function connectionTarget(url: string): ConnectionTarget {
  const start = url.indexOf('://') + 3;
  const tail = url.slice(start).search(/[/?#]/);
  const end = tail < 0 ? url.length : start + tail;
  const authority = url.slice(start, end);
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  let rest = url.slice(end);
  let host: string | undefined;
  let port: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(rest.slice(q + 1));
    host = params.get('host') ?? undefined;
    port = params.get('port') ?? undefined;
    params.delete('host');
    params.delete('port');
    const query = params.toString();
    rest = rest.slice(0, q) + (query === '' ? '' : `?${query}`);
  }
  // `[::1]:5432`, `db:5432`, `%2Fvar%2Frun%2Fpostgresql:5432`, or empty.
  const parts = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(hostPort);
  let name = parts?.[1] ?? hostPort;
  if (/^%2F/i.test(name)) {
    host ??= decodeURIComponent(name);
    name = '';
  }
  if (host === undefined && port === undefined && name !== '') return { url };
  port ??= parts?.[2] ?? '';
  if (!/^\d*$/.test(port)) {
    throw new TypeError(`postgresAdapter: the URL's port must be a number, got ${JSON.stringify(port)}.`);
  }
  const target = `${url.slice(0, start)}${userinfo}${name === '' ? 'localhost' : name}${port === '' ? '' : `:${port}`}${rest}`;
  return host === undefined ? { url: target } : { url: target, host };
}

/** A postgres.js client for a URL in any of the forms {@link connectionTarget} reads. */
export function openPostgres<T extends Record<string, postgres.PostgresType>>(
  url: string,
  options: postgres.Options<T>,
): PgClient {
  const target = connectionTarget(url);
  const client = postgres(
    target.url,
    target.host === undefined ? options : { ...options, host: target.host },
  );
  return client as unknown as PgClient;
}

/**
 * Creates a postgres.js client for the adapter's options.
 *
 * - `int8` and `numeric` are parsed to JS numbers: positions, counts and sequence numbers stay
 *   below 2^53, and SPEC wants numbers, never strings or bigints.
 * - Notices (`… already exists, skipping`) are dropped instead of printed.
 * - `statement_timeout` is a connection parameter, so it covers every statement, lock waits included.
 */
export function createPgClient(options: ResolvedOptions, overrides: { max?: number } = {}): PgClient {
  return openPostgres(options.url, {
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
  });
}
