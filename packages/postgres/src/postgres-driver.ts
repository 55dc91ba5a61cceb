/**
 * The PostgreSQL driver of the shared SQL store: a postgres.js pool; reads in `REPEATABLE READ READ
 * ONLY` snapshots (`postgres-query-runner.ts`); writes in transactions that hold an advisory lock
 * (the catalog's, or the instance's); appends coalesced per instance into group commits
 * (`append-writer.ts`); wake-ups by LISTEN/NOTIFY (`commit-watcher.ts`, `commit-notifier.ts`). It
 * connects lazily: the first call (or `ready()`) connects and applies the migrations.
 */

import {
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  type CommitSignal,
  EventLogError,
  type EventRecord,
  storageError,
  type Unsubscribe,
} from '@eventlog/core';
import {
  type AnnouncedProgram,
  AppendCoalescer,
  buildStoreStatements,
  type CompiledStatement,
  createQueryCompiler,
  createSqlKvStore,
  type QueryCompiler,
  type Row,
  runProgram,
  type SqlDriver,
  type StatementProgram,
  type StoreStatement,
  type StoreStatements,
  type WriteLock,
} from '@eventlog/sql';
import type postgres from 'postgres';
import { AppendWriter, WAL_POSITION } from './append-writer.js';
import { CommitNotifier } from './commit-notifier.js';
import { CommitWatcher } from './commit-watcher.js';
import { loadMigrations, migrate } from './migrator.js';
import type { ResolvedOptions } from './options.js';
import { createPgClient, type PgClient, PREPARED } from './pg-client.js';
import { findPgError, wrapDriverError } from './pg-errors.js';
import { POSTGRES_DIALECT, postgresEventLayout, postgresStoreLayout } from './postgres-layout.js';
import { PostgresQueryRunner } from './postgres-query-runner.js';
import { buildStatements, type Statements } from './statements.js';

type Params = postgres.ParameterOrJSON<never>[];

/** Anything that runs a statement: the pool, or a transaction. */
interface StatementRunner {
  unsafe(
    query: string,
    parameters?: Params,
    options?: { prepare?: boolean },
  ): PromiseLike<postgres.RowList<Row[]>>;
}

/** Name of the NOTIFY channel of a schema (a channel name is at most 63 bytes, like schema names). */
function channelOf(schema: string): string {
  const channel = `eventlog_${schema}`;
  return channel.length <= 63 ? channel : `eventlog_${schema.slice(0, 40)}_${schema.length}`;
}

/** A PostgreSQL error, or a postgres.js connection error (`CONNECTION_CLOSED`, `CONNECT_TIMEOUT`, …). */
function isDriverError(error: unknown): boolean {
  if (findPgError(error) !== undefined) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^CONNECT/.test(code);
}

/**
 * Runs a program's statements on `runner` (`{ changes }` from the command's row count); a driver
 * error becomes `STORAGE_ERROR` with the failing statement.
 */
function runOn<T>(runner: StatementRunner, doing: string, program: StatementProgram<T>): Promise<T> {
  return runProgram(program, async (statement: CompiledStatement) => {
    let rows: postgres.RowList<Row[]>;
    try {
      rows = await runner.unsafe(statement.sql, statement.params as Params, PREPARED);
    } catch (error) {
      throw wrapDriverError(error, doing, statement.sql);
    }
    return (statement as StoreStatement).changes === true ? [{ changes: rows.count }] : rows;
  });
}

/** The PostgreSQL driver. */
export class PostgresDriver implements SqlDriver {
  readonly name = 'postgres';
  readonly capabilities = Object.freeze({
    persistent: true,
    crossProcess: true,
    transactions: true,
    queryPushdown: true,
    tags: true,
    conditionalAppends: true,
    appendKvWrites: true,
    lifecycle: true,
    archive: true,
    rollups: true,
    readRefs: true,
  });
  readonly keyedById = true;
  readonly statements: StoreStatements;
  readonly compiler: QueryCompiler;
  readonly schema: string;
  /** The pool. */
  readonly sql: PgClient;

  readonly #options: ResolvedOptions;
  readonly #S: Statements;
  readonly #watcher: CommitWatcher;
  readonly #notifier: CommitNotifier;
  readonly #coalescer: AppendCoalescer<AppendRequest, AppendOutcome>;
  readonly #reader: PostgresQueryRunner;
  /** Read replicas (SPEC §12): a pool and a runner each, and until when a failed one is left out. */
  readonly #replicas: Array<{ url: string; sql: PgClient; reader: PostgresQueryRunner; downUntil: number }>;
  #nextReplica = 0;
  /** The primary's WAL position after this process's last write: replicas must have replayed it. */
  #lsn: bigint | undefined;
  #lockSeed = 0;
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.schema = options.schema;
    this.statements = buildStoreStatements(POSTGRES_DIALECT, postgresStoreLayout(options.schema));
    this.compiler = createQueryCompiler(POSTGRES_DIALECT, { layout: postgresEventLayout(options.schema) });
    this.#S = buildStatements(options.schema);
    this.sql = createPgClient(options);
    const channel = channelOf(options.schema);
    this.#watcher = new CommitWatcher({
      options,
      sql: this.sql,
      channel,
      snapshotStatement: this.#S.snapshot,
      registerStatements: [this.#S.listenerLock, this.#S.listenerBarrier],
    });
    this.#notifier = new CommitNotifier({ options, channel, notifyStatement: this.#S.notifyMany });
    const writer = new AppendWriter({
      sql: this.sql,
      statements: this.#S,
      store: this.statements,
      dialect: POSTGRES_DIALECT,
      layout: postgresEventLayout(options.schema),
      schema: options.schema,
      lockSeed: () => this.#lockSeed,
      hooks: options.hooks,
      copyMinEvents: options.copyMinEvents,
      onLsn: options.replicas.length === 0 ? undefined : (lsn) => this.#wrote(lsn),
      onCommitted: (instanceId, listened, { withheld, ...committed }) => {
        const position = (committed.events[committed.events.length - 1] as EventRecord).global_position;
        this.#watcher.committed(
          withheld === true
            ? { kind: 'append', instanceId, position }
            : { kind: 'append', instanceId, position, committed },
        );
        if (listened) this.#notifier.append(instanceId, position);
      },
    });
    this.#coalescer = new AppendCoalescer(writer.run, {
      enabled: options.coalesce,
      maxWeight: options.maxCoalescedEvents,
      weight: (request) => request.events.length,
    });
    this.#reader = new PostgresQueryRunner(this.sql);
    this.#replicas = options.replicas.map((url) => {
      const sql = createPgClient({ ...options, url });
      return { url, sql, reader: new PostgresQueryRunner(sql), downUntil: 0 };
    });
  }

  /** Notes the primary's WAL position after a write (the greatest seen). */
  #wrote(lsn: string): void {
    const value = parseLsn(lsn);
    if (value !== undefined && (this.#lsn === undefined || value > this.#lsn)) this.#lsn = value;
  }

  /** After a write outside the append path: the primary's WAL position (only with replicas). */
  async #noteWalPosition(): Promise<void> {
    if (this.#replicas.length === 0) return;
    try {
      const [row] = await this.sql.unsafe<Array<{ lsn: string }>>(WAL_POSITION);
      if (row !== undefined) this.#wrote(row.lsn);
    } catch {
      // Without it, a replica may answer before it replayed this write; the next write retries.
    }
  }

  ready(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(storageError('The PostgreSQL adapter is closed; create a new one.'));
    }
    this.#opening ??= this.#connect().catch((error: unknown) => {
      // Let a later call try again (the database may come back).
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #connect(): Promise<void> {
    let migrations: ReturnType<typeof loadMigrations>;
    try {
      migrations = loadMigrations();
    } catch (error) {
      throw storageError(`Could not read the migrations of @eventlog/postgres: ${String(error)}`, error);
    }
    await migrate(this.sql, { schema: this.schema, apply: this.#options.migrate, migrations });
    try {
      const [row] = await this.sql.unsafe<Array<{ seed: number }>>(this.#S.lockSeed, [this.schema], PREPARED);
      this.#lockSeed = row?.seed ?? 0;
    } catch (error) {
      throw wrapDriverError(error, 'opening the adapter');
    }
  }

  async run<T>(doing: string, program: StatementProgram<T>): Promise<T> {
    await this.ready();
    return runOn(this.sql as unknown as StatementRunner, doing, program);
  }

  async read<T>(doing: string, program: AnnouncedProgram<T>, options?: { replica?: boolean }): Promise<T> {
    await this.ready();
    const onRead = this.#options.hooks.onRead;
    if (options?.replica === true && this.#replicas.length > 0) {
      const replica = this.#pickReplica();
      if (replica === undefined) {
        onRead?.({ server: 'primary', reason: 'every replica is down' });
      } else {
        try {
          const result = await replica.reader.read(doing, this.#afterReplay(program));
          onRead?.({ server: 'replica', url: replica.url });
          return result;
        } catch (error) {
          if (error instanceof ReplicaBehind) {
            onRead?.({ server: 'primary', reason: 'the replica has not replayed this process’s last write' });
          } else if (EventLogError.isInstance(error) && error.code === 'STORAGE_ERROR') {
            // The replica failed (down, or refusing): leave it out for a while; the primary answers.
            replica.downUntil = Date.now() + this.#options.replicaRetryMs;
            onRead?.({ server: 'primary', reason: `the replica failed: ${error.message}` });
          } else {
            throw error;
          }
        }
      }
    }
    return this.#reader.read(doing, program);
  }

  /** The next replica in turn that is not left out. */
  #pickReplica() {
    const now = Date.now();
    for (let k = 0; k < this.#replicas.length; k++) {
      const replica = this.#replicas[(this.#nextReplica + k) % this.#replicas.length];
      if (replica !== undefined && replica.downUntil <= now) {
        this.#nextReplica = (this.#nextReplica + k + 1) % this.#replicas.length;
        return replica;
      }
    }
    return undefined;
  }

  /** The program, first checking (in its first round trip) that the replica replayed our writes. */
  #afterReplay<T>(program: AnnouncedProgram<T>): AnnouncedProgram<T> {
    const lsn = this.#lsn;
    if (lsn === undefined) return program;
    const replay: CompiledStatement = {
      sql: 'select coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) as ok',
      params: [formatLsn(lsn)],
    };
    return {
      statements: { replay, ...program.statements },
      ...(program.prefetch === undefined ? {} : { prefetch: program.prefetch }),
      program: function* () {
        const [row] = yield replay;
        if (row?.ok !== true) throw new ReplicaBehind();
        return yield* program.program();
      },
    };
  }

  async write<T>(doing: string, lock: WriteLock, program: StatementProgram<T>): Promise<T> {
    const result = await this.#write(doing, lock, program);
    await this.#noteWalPosition();
    return result;
  }

  async #write<T>(doing: string, lock: WriteLock, program: StatementProgram<T>): Promise<T> {
    await this.ready();
    const [text, params] =
      lock.kind === 'catalog'
        ? [this.#S.lockCatalog, [this.schema]]
        : [this.#S.lockInstanceId, [lock.id, this.#lockSeed]];
    try {
      return (await this.sql.begin(async (tx) => {
        // Instance creation and renames serialize on the catalog's lock; an instance's delete on
        // the instance's append lock, so no append of it is between its checks and its commit.
        await tx.unsafe(text, params as Params, PREPARED);
        return runOn(tx as unknown as StatementRunner, doing, program);
      })) as T;
    } catch (error) {
      throw wrapDriverError(error, doing);
    }
  }

  async append(request: AppendRequest): Promise<AppendOutcome> {
    await this.ready();
    return this.#coalescer.submit(request.instance, request);
  }

  committed(signal: CommitSignal): void {
    this.#watcher.committed(signal);
    if (signal.instanceId === null) return;
    if (signal.kind === 'delete') this.#notifier.delete(signal.instanceId);
    else if (signal.kind === 'append' && signal.position !== undefined) {
      this.#notifier.append(signal.instanceId, signal.position);
    }
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    if (this.#closing !== undefined) return () => {};
    return this.#watcher.watch(listener);
  }

  async transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return (await this.sql.begin(async (driver) =>
        fn({
          kv: createSqlKvStore(this.statements, POSTGRES_DIALECT, (doing, program) =>
            runOn(driver as unknown as StatementRunner, doing, program),
          ),
          driver,
        }),
      )) as T;
    } catch (error) {
      // The caller's own errors pass through; driver errors become STORAGE_ERROR.
      if (EventLogError.isInstance(error) || !isDriverError(error)) throw error;
      throw wrapDriverError(error, 'running a transaction');
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Appends already queued finish; new ones are refused.
      await this.#coalescer.close();
      await this.#notifier.close();
      await this.#watcher.close();
      await Promise.all(this.#replicas.map((replica) => replica.sql.end({ timeout: 5 })));
      await this.sql.end({ timeout: 5 });
    })();
    return this.#closing;
  }
}

/** A replica has not replayed this process's last write: the primary answers instead. */
class ReplicaBehind extends EventLogError {
  constructor() {
    super('STORAGE_ERROR', 'The replica has not replayed the last write of this process yet.');
  }
}

/** A `pg_lsn` text (`16/B374D848`) as a number, or undefined. */
function parseLsn(text: string): bigint | undefined {
  const match = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (match === null) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

function formatLsn(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}
