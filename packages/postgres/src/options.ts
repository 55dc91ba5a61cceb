import type { Options as PostgresJsOptions } from 'postgres';
import { connectionTarget } from './pg-client.js';

/** What an append transaction did, for instrumentation and tests. */
export interface AppendTransactionInfo {
  /** The instance's id. */
  instanceId: string;
  /** Calls coalesced into this transaction (inserting or not). */
  requests: number;
  /** Events inserted. */
  events: number;
}

/** What a committed append transaction did. */
export interface AppendCommitInfo extends AppendTransactionInfo {
  /** The highest global position it wrote. */
  position: number;
}

/**
 * Hooks into the adapter's work, for instrumentation, benchmarks and tests. They run on the append
 * path: keep them cheap.
 */
export interface PostgresAdapterHooks {
  /**
   * Called as soon as an append transaction's commit is acknowledged, before watchers are woken
   * and before its calls are settled (so a benchmark can time delivery from the commit). An error
   * it throws is ignored: the transaction has committed.
   */
  onAppendCommit?(info: AppendCommitInfo): void;
  /**
   * Awaited after an append transaction inserted its events and before it commits, while it holds
   * the instance's lock. Tests use it to hold a transaction open; it slows every append.
   */
  beforeAppendCommit?(info: AppendTransactionInfo): Promise<void> | void;
  /** Called for each read a replica could serve: where it ran (`primary` when none could). */
  onRead?(info: { server: 'primary' | 'replica'; url?: string; reason?: string }): void;
}

/**
 * Options of {@link postgresAdapter}.
 *
 * @example
 * postgresAdapter({ url: 'postgres://app:secret@db:5432/app', schema: 'events', max: 20 })
 */
export interface PostgresAdapterOptions {
  /** A PostgreSQL connection URL: `postgres://user:password@host:port/database`. */
  url: string;
  /**
   * The PostgreSQL schema holding Event Log's tables; created and migrated on open.
   * Default: the URL's `schema` query parameter (`postgres://…/db?schema=audit`), else `eventlog`.
   * A letter or underscore, then letters, digits or underscores (≤ 63).
   */
  schema?: string;
  /** Connections in the pool. Default 10. */
  max?: number;
  /** `statement_timeout` of every connection, in milliseconds; `0` disables it. Default 30,000. */
  statementTimeoutMs?: number;
  /** Seconds to wait for a connection. Default 30. */
  connectTimeoutSeconds?: number;
  /** Seconds before an idle pooled connection is closed; `0` keeps them. Default 0. */
  idleTimeoutSeconds?: number;
  /**
   * Coalesce concurrent appends to one instance into one transaction (group commit). Each call
   * keeps its own checks, result and error. Default `true`; `false` runs one transaction per call.
   */
  coalesce?: boolean;
  /** The most events one coalesced transaction inserts (a single call may exceed it). Default 10,000. */
  maxCoalescedEvents?: number;
  /**
   * Appends (a call, or a coalesced group) inserting at least this many events write them with
   * `COPY ... FROM STDIN` instead of an `INSERT`: the same checks, positions and results, less
   * work per row for large batches and imports. Below a few thousand events the insert is as fast
   * (the COPY costs round trips of its own). Default 5000.
   */
  copyMinEvents?: number;
  /**
   * While watchers exist, how often (ms) to check for commits a notification may have missed, so a
   * lost notification is a delay, never a loss. Default 1,000.
   */
  pollIntervalMs?: number;
  /** Apply pending migrations on open. With `false`, opening fails unless the schema is current. Default `true`. */
  migrate?: boolean;
  /** `application_name` of the connections. Default `eventlog`. */
  applicationName?: string;
  /** TLS settings, passed to postgres.js (`ssl`). Default: as the URL says (`sslmode`). */
  ssl?: PostgresJsOptions<Record<string, never>>['ssl'];
  /** Instrumentation hooks. */
  hooks?: PostgresAdapterHooks;
  /**
   * URLs of streaming replicas of the same database (SPEC §12). Queries and statistics are served
   * by them in turn, each after checking, in the same round trip, that the replica has replayed
   * this process's last write (else the primary answers: a read after an append in this process
   * always sees it). A replica that fails is skipped for `replicaRetryMs` and then tried again.
   * Live reads and everything that writes go to the primary. Default none.
   */
  replicas?: string[];
  /** How long a failed replica is left out, in ms. Default 5,000. */
  replicaRetryMs?: number;
}

/** Options with their defaults applied. */
export interface ResolvedOptions
  extends Required<Omit<PostgresAdapterOptions, 'ssl' | 'hooks' | 'replicas'>> {
  replicas: string[];
  ssl: PostgresAdapterOptions['ssl'];
  hooks: PostgresAdapterHooks;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`postgresAdapter: "${name}" must be an integer ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

/**
 * Takes the `schema` query parameter out of a URL (postgres.js would send it to the server as a
 * setting, which PostgreSQL refuses), so `openEventLog('postgres://…?schema=x')` can choose it.
 */
function splitSchemaParam(url: string): { url: string; schema: string | undefined } {
  const q = url.indexOf('?');
  if (q < 0) return { url, schema: undefined };
  const params = new URLSearchParams(url.slice(q + 1));
  const schema = params.get('schema') ?? undefined;
  if (schema === undefined) return { url, schema };
  params.delete('schema');
  const rest = params.toString();
  return { url: rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${rest}`, schema };
}

function replicasOf(replicas: unknown): string[] {
  if (replicas === undefined) return [];
  if (
    !Array.isArray(replicas) ||
    replicas.some((r) => typeof r !== 'string' || !/^postgres(ql)?:\/\//.test(r))
  ) {
    throw new TypeError(
      'postgresAdapter: "replicas" must be an array of PostgreSQL URLs such as postgres://user:password@replica:5432/db.',
    );
  }
  return replicas.map((r) => {
    const { url } = splitSchemaParam(r);
    connectionTarget(url);
    return url;
  });
}

/** Checks options and applies defaults; throws `TypeError` on a misconfiguration. */
export function resolveOptions(options: PostgresAdapterOptions): ResolvedOptions {
  if (typeof options?.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new TypeError(
      'postgresAdapter: "url" must be a PostgreSQL URL such as postgres://user:password@localhost:5432/db.',
    );
  }
  const { url, schema: urlSchema } = splitSchemaParam(options.url);
  // Refused here rather than at the first connection.
  connectionTarget(url);
  const schema = options.schema ?? urlSchema ?? 'eventlog';
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(
      `postgresAdapter: "schema" must be a letter or underscore followed by letters, digits or underscores (at most 63), got ${JSON.stringify(schema)}.`,
    );
  }
  return {
    url,
    schema,
    max: positiveInteger('max', options.max, 10),
    statementTimeoutMs: positiveInteger('statementTimeoutMs', options.statementTimeoutMs, 30_000, 0),
    connectTimeoutSeconds: positiveInteger('connectTimeoutSeconds', options.connectTimeoutSeconds, 30),
    idleTimeoutSeconds: positiveInteger('idleTimeoutSeconds', options.idleTimeoutSeconds, 0, 0),
    coalesce: options.coalesce ?? true,
    maxCoalescedEvents: positiveInteger('maxCoalescedEvents', options.maxCoalescedEvents, 10_000),
    copyMinEvents: positiveInteger('copyMinEvents', options.copyMinEvents, 5000),
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs, 1000, 10),
    migrate: options.migrate ?? true,
    applicationName: options.applicationName ?? 'eventlog',
    ssl: options.ssl,
    hooks: options.hooks ?? {},
    replicas: replicasOf(options.replicas),
    replicaRetryMs: positiveInteger('replicaRetryMs', options.replicaRetryMs, 5000, 0),
  };
}
