/**
 * The driver contract: what one SQL database supplies to the shared store ({@link SqlStore}).
 * A driver knows its connection, its dialect, its transactions and locks, how it makes an append
 * atomic, and where its change feed comes from; it knows nothing of instances, keys and values,
 * queries or statistics, which the store does the same way on every database.
 */

import type {
  AdapterCapabilities,
  AdapterTransaction,
  AppendOutcome,
  AppendRequest,
  CommitSignal,
  Unsubscribe,
} from '@eventlog/core';
import type { CompiledStatement } from '../compiler/params.js';
import type { QueryCompiler } from '../compiler/query-compiler.js';
import type { StatementProgram } from '../compiler/query-program.js';
import type { StoreStatements } from './store-statements.js';

/** What a write transaction must hold while it runs. */
export type WriteLock =
  /** Instance creation and renames: the names and ids of all instances. */
  | { kind: 'catalog' }
  /** One instance's appends and deletes. */
  | { kind: 'instance'; id: string };

/**
 * A program whose every possible statement is announced up front (the query compiler's programs
 * are), so a driver can pipeline it: send the last one with its commit, or predict a count.
 */
export interface AnnouncedProgram<T> {
  readonly statements: Readonly<Record<string, CompiledStatement>>;
  /**
   * Statements the program will most likely ask for first (after `statements.guard`, when there
   * is one): a driver may send them ahead, in the same round trip.
   */
  readonly prefetch?: readonly CompiledStatement[];
  program(): StatementProgram<T>;
}

/** One SQL database, as the shared store uses it. */
export interface SqlDriver {
  /** `sqlite`, `postgres`, … */
  readonly name: string;
  readonly capabilities: Readonly<AdapterCapabilities>;
  /** The store's fixed statements, rendered for this database. */
  readonly statements: StoreStatements;
  /** The query compiler of this database's dialect and table layout. */
  readonly compiler: QueryCompiler;
  /**
   * True when the events table references instances by their public id; false when it holds a
   * private key the store reads from the instances table (`StoreStatements.instanceKeyById`).
   */
  readonly keyedById: boolean;

  /** Resolves once the store is usable (connected, migrated); rejects with `STORAGE_ERROR`. */
  ready(): Promise<void>;
  /** Runs a program with no transaction of its own: each statement sees the latest commits. */
  run<T>(doing: string, program: StatementProgram<T>): Promise<T>;
  /**
   * Runs a program in one read snapshot. With `replica`, a driver with read replicas may run it on
   * one that has replayed this process's writes (queries and statistics; live reads do not ask).
   */
  read<T>(doing: string, program: AnnouncedProgram<T>, options?: { replica?: boolean }): Promise<T>;
  /** Runs a program in one write transaction holding `lock`; it commits when the program returns. */
  write<T>(doing: string, lock: WriteLock, program: StatementProgram<T>): Promise<T>;
  /** Appends atomically (see core's `AppendRequest`), then signals watchers. */
  append(request: AppendRequest): Promise<AppendOutcome>;
  /**
   * Tells watchers of a write the store made through {@link write} (an instance deleted): at once,
   * or when the enclosing transaction commits; and other processes, if the driver notifies them.
   */
  committed(signal: CommitSignal): void;
  /** Calls `listener` after commits: this process's, and other processes' when it can see them. */
  watch(listener: (signal: CommitSignal) => void): Unsubscribe;
  /** Runs `fn` in one transaction; `tx.kv` and `tx.driver` writes commit together. */
  transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T>;
  /**
   * Makes deleted rows unrecoverable from the database's files (core's `StorageAdapter.scrub`);
   * only a driver that can promise it (`capabilities.secureDelete`) has it.
   */
  scrub?(): Promise<void>;
  /** Releases connections, timers and watchers. Idempotent. */
  close(): Promise<void>;
}
