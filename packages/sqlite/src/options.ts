/**
 * Options of {@link sqliteAdapter} and their defaults.
 */

import type { CommitSignal } from '@eventlog/core';
import { type ReadWorkersOptions, type ResolvedReadWorkers, resolveReadWorkers } from './read-workers.js';

/** Options of `sqliteAdapter`. */
export interface SqliteAdapterOptions {
  /** The database file (created when missing; its directory must exist), or `':memory:'`. */
  file: string;
  /**
   * `'full'` (default): `synchronous=FULL`, an acknowledged append survives a power loss.
   * `'normal'`: `synchronous=NORMAL`, faster commits; in WAL mode a power loss may lose the last
   * commits (never corrupts the file), a process crash loses nothing.
   */
  durability?: 'full' | 'normal';
  /** How long a statement waits for another process's lock before failing, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * How often, in ms, the adapter checks whether another process committed (`PRAGMA data_version`),
   * only while something watches. Default 50.
   */
  pollIntervalMs?: number;
  /**
   * Coalesce concurrent appends of this process to one instance into one transaction (group
   * commit: one fsync for all of them). Each call keeps its own checks, result and error. Default
   * `true`; `false` runs one transaction per call.
   */
  coalesce?: boolean;
  /** The most events one coalesced transaction inserts (a single call may exceed it). Default 10,000. */
  maxCoalescedEvents?: number;
  /** Instrumentation: called after each append transaction commits (before its calls settle). */
  onAppendCommit?: (info: { instanceId: string; requests: number; events: number; position: number }) => void;
  /**
   * Called when a `watch` listener throws. The commit already succeeded and other listeners still
   * run. Default: the error is ignored.
   */
  onListenerError?: (error: unknown, signal: CommitSignal) => void;
  /**
   * Runs queries and statistics on worker threads with read-only connections, so a heavy query
   * never blocks this thread (appends, other requests, timers), each with a time budget (see
   * `read-workers.ts`). `true` for the defaults (2 threads, 30 s). Ignored for `':memory:'`, whose
   * data other connections cannot see. Default off; `eventlog serve` turns it on.
   *
   * @example sqliteAdapter({ file: './events.db', readWorkers: { threads: 2, timeoutMs: 10_000 } })
   */
  readWorkers?: boolean | ReadWorkersOptions;
}

/** Options with their defaults applied. */
export interface ResolvedSqliteOptions {
  file: string;
  memory: boolean;
  durability: 'full' | 'normal';
  busyTimeoutMs: number;
  pollIntervalMs: number;
  coalesce: boolean;
  maxCoalescedEvents: number;
  onAppendCommit: SqliteAdapterOptions['onAppendCommit'];
  onListenerError: ((error: unknown, signal: CommitSignal) => void) | undefined;
  readWorkers: ResolvedReadWorkers | undefined;
}

function nonNegativeInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `sqliteAdapter: ${name} must be a non-negative integer (milliseconds), got ${String(value)}.`,
    );
  }
  return value;
}

/** Checks the options and applies the defaults. */
export function resolveOptions(options: SqliteAdapterOptions): ResolvedSqliteOptions {
  if (
    typeof options !== 'object' ||
    options === null ||
    typeof options.file !== 'string' ||
    options.file === ''
  ) {
    throw new TypeError("sqliteAdapter: pass { file: './events.db' } (a path) or { file: ':memory:' }.");
  }
  const durability = options.durability ?? 'full';
  if (durability !== 'full' && durability !== 'normal') {
    throw new TypeError(
      `sqliteAdapter: durability must be 'full' or 'normal', got ${JSON.stringify(durability)}.`,
    );
  }
  return {
    file: options.file,
    memory: options.file === ':memory:',
    durability,
    busyTimeoutMs: nonNegativeInteger(options.busyTimeoutMs, 'busyTimeoutMs', 5000),
    pollIntervalMs: Math.max(1, nonNegativeInteger(options.pollIntervalMs, 'pollIntervalMs', 50)),
    coalesce: options.coalesce ?? true,
    onAppendCommit: options.onAppendCommit,
    maxCoalescedEvents: Math.max(
      1,
      nonNegativeInteger(options.maxCoalescedEvents, 'maxCoalescedEvents', 10_000),
    ),
    onListenerError: options.onListenerError,
    readWorkers: options.file === ':memory:' ? undefined : resolveReadWorkers(options.readWorkers),
  };
}
