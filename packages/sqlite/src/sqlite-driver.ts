/**
 * The SQLite driver of the shared SQL store: one better-sqlite3 connection per adapter. Reads run
 * in one deferred transaction (a WAL snapshot), writes in `BEGIN IMMEDIATE` (the write lock, across
 * processes), `transaction(fn)` holds the connection across its `await`s (see `connection-lock.ts`),
 * and prepared statements are cached by text.
 */

import {
  type AdapterCapabilities,
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  type CommitSignal,
  EventLogError,
  type KeyValueStore,
  storageError,
  type Unsubscribe,
  versionConflict,
} from '@eventlog/core';
import {
  type AnnouncedProgram,
  AppendCoalescer,
  buildStoreStatements,
  type CompiledStatement,
  createQueryCompiler,
  createSqlKvStore,
  type PendingAppend,
  type QueryCompiler,
  type Row,
  runProgramSync,
  type SqlDriver,
  type StatementProgram,
  type StoreStatement,
  type StoreStatements,
  settleAppends,
  wrapDriverFailure,
} from '@eventlog/sql';
import Database from 'better-sqlite3';
import { ConnectionLock, type TransactionScope } from './connection-lock.js';
import type { ResolvedSqliteOptions } from './options.js';
import { ReadWorkerPool } from './read-workers.js';
import { NothingWritten, SqliteAppender, type WrittenGroup } from './sqlite-appender.js';
import { SqliteChangeFeed } from './sqlite-change-feed.js';
import { openDatabase } from './sqlite-connection.js';
import { SQLITE_EVENT_LAYOUT, SQLITE_STORE_LAYOUT, sqliteStoreDialect } from './sqlite-layout.js';

/** Prepared statements of compiled queries kept per connection. */
const STATEMENT_CACHE_SIZE = 256;
const SEQUENCE_KEY_VIOLATION = 'events.instance_pk, events.stream_id, events.sequence_number';
const HEAD_BEFORE =
  'SELECT max(e.global_position) FROM events AS e JOIN instances AS i ON i.pk = e.instance_pk WHERE i.id = ? AND e.global_position < ?';

/** The SQLite driver. */
export class SqliteDriver implements SqlDriver {
  readonly name = 'sqlite';
  readonly capabilities: Readonly<AdapterCapabilities>;
  readonly keyedById = false;
  readonly statements: StoreStatements;
  readonly compiler: QueryCompiler;

  private readonly options: ResolvedSqliteOptions;
  private readonly lock = new ConnectionLock<AdapterTransaction>();
  private readonly prepared = new Map<string, Database.Statement>();
  private readonly feed: SqliteChangeFeed;
  private readonly coalescer: AppendCoalescer<AppendRequest, AppendOutcome>;
  private db: Database.Database | undefined;
  private appender!: SqliteAppender;
  private openError: EventLogError | undefined;
  private writeTx!: Database.Transaction<(fn: () => unknown) => unknown>;
  private closing: Promise<void> | undefined;
  /** The statement being run, for STORAGE_ERROR details. */
  private statement: string | undefined;
  /** Read threads for `read` programs, when `readWorkers` is on (see `read-workers.ts`). */
  private readers: ReadWorkerPool | undefined;

  constructor(options: ResolvedSqliteOptions) {
    this.options = options;
    this.capabilities = Object.freeze({
      persistent: !options.memory,
      crossProcess: !options.memory,
      transactions: true,
      queryPushdown: true,
      tags: true,
      conditionalAppends: true,
      appendKvWrites: true,
      lifecycle: true,
      archive: true,
      secureDelete: true,
      rollups: true,
      readRefs: true,
    });
    const dialect = sqliteStoreDialect();
    this.statements = buildStoreStatements(dialect, SQLITE_STORE_LAYOUT);
    this.compiler = createQueryCompiler(dialect, { layout: SQLITE_EVENT_LAYOUT });
    this.coalescer = new AppendCoalescer(this.appendGroup, {
      enabled: options.coalesce,
      maxWeight: options.maxCoalescedEvents,
      weight: (request) => request.events.length,
    });
    this.feed = new SqliteChangeFeed({
      connection: () => (this.closing === undefined ? this.db : undefined),
      crossProcess: this.capabilities.crossProcess,
      pollIntervalMs: options.pollIntervalMs,
      onListenerError: options.onListenerError,
    });
    try {
      const db = openDatabase(options);
      this.db = db;
      this.appender = new SqliteAppender(
        db,
        this.statements,
        dialect,
        (sql) => {
          this.statement = sql;
        },
        (sql) => this.prepare(sql),
      );
      this.writeTx = db.transaction((fn: () => unknown) => fn());
      if (options.readWorkers !== undefined) {
        this.readers = new ReadWorkerPool(
          { file: options.file, busyTimeoutMs: options.busyTimeoutMs },
          options.readWorkers,
        );
      }
    } catch (error) {
      this.openError = this.wrap(error, `opening ${options.file}`);
    }
  }

  // ── the connection ───────────────────────────────────────────────────────────────────────────

  /** Turns anything thrown into an EventLogError. */
  private wrap(error: unknown, doing: string): EventLogError {
    return wrapDriverFailure('SQLite', error, doing, this.statement);
  }

  private closedError(): EventLogError {
    return storageError('The SQLite adapter is closed: create a new sqliteAdapter() to use the store again.');
  }

  /** The connection, for work that is running now (queued work may still run during close()). */
  private connection(): Database.Database {
    if (this.openError !== undefined) throw this.openError;
    const db = this.db;
    if (db === undefined) throw this.closedError();
    return db;
  }

  /** Checks a new call: refused once close() was called, except from inside a running transaction. */
  private admit(): void {
    if (this.openError !== undefined) throw this.openError;
    if (this.db === undefined || (this.closing !== undefined && this.lock.current() === undefined)) {
      throw this.closedError();
    }
  }

  /** Runs an operation on the connection (after a transaction in flight, if any). */
  private use<R>(doing: string, fn: () => R): Promise<R> {
    try {
      this.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lock.run(() => {
      try {
        this.connection();
        return fn();
      } catch (error) {
        throw this.wrap(error, doing);
      }
    });
  }

  private prepare(sql: string): Database.Statement {
    let prepared = this.prepared.get(sql);
    if (prepared === undefined) {
      prepared = this.connection().prepare(sql);
      if (this.prepared.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.prepared.keys().next().value as string;
        this.prepared.delete(oldest);
      }
      this.prepared.set(sql, prepared);
    }
    return prepared;
  }

  /** The rows of a statement (`[{ changes }]` for a store statement that asks for them). */
  private readonly all = (statement: CompiledStatement): Row[] => {
    this.statement = statement.sql;
    const prepared = this.prepare(statement.sql);
    if ((statement as StoreStatement).changes === true) {
      return [{ changes: prepared.run(...statement.params).changes }];
    }
    if (!prepared.reader) {
      prepared.run(...statement.params);
      return [];
    }
    return prepared.all(...statement.params) as Row[];
  };

  /** Runs several reads in one snapshot. */
  private snapshot<R>(fn: () => R): R {
    const db = this.connection();
    if (db.inTransaction) return fn();
    db.exec('BEGIN');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  // ── SqlDriver ────────────────────────────────────────────────────────────────────────────────

  async ready(): Promise<void> {
    this.admit();
  }

  run<T>(doing: string, program: StatementProgram<T>): Promise<T> {
    return this.use(doing, () => runProgramSync(program, this.all));
  }

  read<T>(doing: string, program: AnnouncedProgram<T>): Promise<T> {
    // On a read thread, unless inside transaction(fn), whose writes only this connection sees.
    const readers = this.readers;
    if (readers !== undefined && this.lock.current() === undefined && this.closing === undefined) {
      return readers.read(program).catch((error: unknown) => {
        throw wrapDriverFailure('SQLite', error, doing, (error as { statement?: string }).statement);
      });
    }
    return this.use(doing, () => this.snapshot(() => runProgramSync(program.program(), this.all)));
  }

  write<T>(doing: string, _lock: unknown, program: StatementProgram<T>): Promise<T> {
    // BEGIN IMMEDIATE is the one write lock: it covers the catalog and every instance.
    return this.use(doing, () => this.writeTx.immediate(() => runProgramSync(program, this.all)) as T);
  }

  append(request: AppendRequest): Promise<AppendOutcome> {
    try {
      this.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    // Inside `transaction(fn)`: part of that transaction, at once (a group would wait for its lock).
    if (this.lock.current() !== undefined) {
      return new Promise<AppendOutcome>((resolve, reject) => {
        const pending: PendingAppend = { request, resolve, reject };
        this.appendGroup(request.instance, [pending]).then((deferred) => {
          // Alone, a call is never deferred (no earlier call of its group claimed its eventIds).
          for (const p of deferred)
            p.reject(new EventLogError('STORAGE_ERROR', 'The append could not be decided.'));
        }, reject);
      });
    }
    // Concurrent appends of this process to one instance share a transaction (group commit): one
    // write lock and one fsync for all of them, each call keeping its own checks and outcome.
    return this.coalescer.submit(request.instance, request);
  }

  /** Appends a group in one `BEGIN IMMEDIATE`; settles its calls once it committed. */
  private readonly appendGroup = (ref: string, group: PendingAppend[]): Promise<PendingAppend[]> =>
    this.use('appending events', () => {
      let written: WrittenGroup & { previous?: number };
      try {
        written = this.writeGroup(ref, group);
      } catch (error) {
        if (error instanceof NothingWritten) {
          settleAppends(error.group.decisions, []);
          return error.group.deferred;
        }
        if (group.length > 1 && !EventLogError.isInstance(error)) {
          // The group failed as a whole: each call alone, so one call's failure stays its own.
          return this.appendAlone(ref, group);
        }
        const failure = this.appendError(error, (group[0] as PendingAppend).request);
        for (const pending of group) pending.reject(failure);
        return [];
      }
      this.afterCommit(written);
      return written.deferred;
    });

  /**
   * Decides and writes a group in one `BEGIN IMMEDIATE`. While something watches, it also reads the
   * instance's head before the group, under the write lock, so live readers can take the commit's
   * events without reading them back (CommittedEvents) — unless the instance has retention rules,
   * whose events may be expired the moment they commit.
   */
  private writeGroup(ref: string, group: PendingAppend[]): WrittenGroup & { previous?: number } {
    return this.writeTx.immediate(() => {
      const written: WrittenGroup & { previous?: number } = this.appender.appendGroup(ref, group);
      const first = written.records[0];
      if (first !== undefined && !written.retained && this.feed.watched) {
        written.previous = this.headBefore(written.instanceId, first.global_position);
      }
      return written;
    }) as WrittenGroup & { previous?: number };
  }

  /** Tells instrumentation and watchers of a committed group, then settles its calls. */
  private afterCommit(written: WrittenGroup & { previous?: number }): void {
    const { records } = written;
    const last = records[records.length - 1];
    if (last !== undefined) {
      try {
        this.options.onAppendCommit?.({
          instanceId: written.instanceId,
          requests: written.decisions.length,
          events: records.length,
          position: last.global_position,
        });
      } catch {
        // Instrumentation must not turn a committed append into a failed one.
      }
      if (this.feed.watched) {
        const previous = written.previous;
        this.committed({
          kind: 'append',
          instanceId: written.instanceId,
          position: last.global_position,
          ...(previous === undefined ? {} : { committed: { previous, events: written.records } }),
        });
      }
    }
    settleAppends(written.decisions, records);
  }

  /** Runs each call of a failed group in a transaction of its own. */
  private appendAlone(ref: string, group: PendingAppend[]): PendingAppend[] {
    const deferred: PendingAppend[] = [];
    for (const pending of group) {
      try {
        const written = this.writeGroup(ref, [pending]);
        this.afterCommit(written);
        deferred.push(...written.deferred);
      } catch (error) {
        pending.reject(this.appendError(error, pending.request));
      }
    }
    return deferred;
  }

  /** The instance's highest position below `position` (one backward step of its position index). */
  private headBefore(instanceId: string, position: number): number {
    this.statement = HEAD_BEFORE;
    return (this.prepare(HEAD_BEFORE).pluck().get(instanceId, position) as number | null) ?? 0;
  }

  /** Only the stream-sequence key is a CONFLICT; every other failure is a STORAGE_ERROR. */
  private appendError(error: unknown, request: AppendRequest): EventLogError {
    if (
      !EventLogError.isInstance(error) &&
      error instanceof Database.SqliteError &&
      error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
      error.message.includes(SEQUENCE_KEY_VIOLATION)
    ) {
      // Unreachable while every writer holds the write lock; kept so a broken invariant reads as a
      // conflict rather than a storage failure.
      const streamId = request.events[0]?.streamId ?? 'default';
      let actualVersion = 0;
      try {
        actualVersion = this.appender.currentVersion(request.instance, streamId);
      } catch {
        // Report the conflict with what is known.
      }
      const conflict = versionConflict({
        streamId,
        expectedVersion: request.versionChecks?.[0]?.raw ?? request.expectedVersion?.raw ?? 'any',
        actualVersion,
      });
      return new EventLogError('CONFLICT', conflict.message, { cause: error, details: conflict.details });
    }
    return this.wrap(error, 'appending events');
  }

  committed(signal: CommitSignal): void {
    if (!this.feed.watched) return;
    const scope = this.lock.current();
    if (scope !== undefined) scope.afterCommit.push(() => this.feed.emit(signal));
    else this.feed.emit(signal);
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    this.admit();
    return this.feed.watch(listener);
  }

  transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    const outer = this.lock.current();
    // Inside another transaction's callback: join it (its commit covers these writes too).
    if (outer !== undefined) return fn(outer.value);
    try {
      this.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lock.exclusive(async () => {
      const db = this.connection();
      const scope: TransactionScope<AdapterTransaction> = {
        active: true,
        afterCommit: [],
        value: { kv: this.transactionKv(() => scope.active), driver: db },
      };
      try {
        this.statement = 'BEGIN IMMEDIATE';
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        scope.active = false;
        throw this.wrap(error, 'starting a transaction');
      }
      let result: T;
      try {
        result = await this.lock.within(scope, () => fn(scope.value));
        this.statement = 'COMMIT';
        db.exec('COMMIT');
      } catch (error) {
        scope.active = false;
        if (db.inTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {
            // The original error says more than a failed rollback.
          }
        }
        throw EventLogError.isInstance(error) || !(error instanceof Database.SqliteError)
          ? error
          : this.wrap(error, 'running a transaction');
      }
      scope.active = false;
      for (const after of scope.afterCommit) after();
      return result;
    });
  }

  /** The key-value store handed to a transaction: direct calls on the open transaction. */
  private transactionKv(active: () => boolean): KeyValueStore {
    return createSqlKvStore(this.statements, this.compiler.dialect, (doing, program) => {
      if (!active()) {
        return Promise.reject(
          storageError('This transaction has finished: use its key-value store inside its callback only.'),
        );
      }
      try {
        return Promise.resolve(runProgramSync(program, this.all));
      } catch (error) {
        return Promise.reject(this.wrap(error, `${doing} in a transaction`));
      }
    });
  }

  /**
   * Checkpoints the WAL into the database file and truncates it (`secure_delete` already zeroed
   * the freed cells there), so no copy of a deleted row is left in either file. Another
   * connection's open read can hold the checkpoint back: it is retried for the busy timeout.
   */
  async scrub(): Promise<void> {
    if (this.options.memory) return;
    const deadline = Date.now() + this.options.busyTimeoutMs;
    for (;;) {
      const done = await this.use('scrubbing deleted rows', () => {
        this.statement = 'PRAGMA wal_checkpoint(TRUNCATE)';
        const [result] = this.connection().pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        return result?.busy === 0;
      });
      if (done) return;
      if (Date.now() >= deadline) {
        throw new EventLogError(
          'STORAGE_ERROR',
          `SQLite could not checkpoint the WAL of ${this.options.file} within ${this.options.busyTimeoutMs} ms: another connection keeps reading. Deleted rows may remain in the WAL until the next checkpoint; retry.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.feed.close();
    // Appends already queued finish first; new ones are refused (admit).
    const queued = this.coalescer.close();
    const readers = this.readers;
    this.readers = undefined;
    // Behind any transaction in flight, so it can finish (or fail) before the connection goes.
    this.closing = this.lock.exclusive(async () => {
      await queued;
      const db = this.db;
      this.db = undefined;
      this.prepared.clear();
      await readers?.close();
      if (db?.open) db.close();
    });
    return this.closing;
  }
}
