/**
 * Commit wake-ups for `watch`: this process's commits are signalled directly; other processes'
 * arrive by LISTEN/NOTIFY. A notification is only a hint (instance id and position): subscribers
 * re-read the store by position, so a lost, late or repeated notification is harmless.
 *
 * So that a missed notification is a delay and never a loss, while watchers exist:
 * - every (re)connection of the listening connection signals `unknown` (anything may have been
 *   missed while it was down), and
 * - a slow poll compares `pg_current_snapshot()`, which changes whenever any transaction
 *   commits, and signals `unknown` when it moved.
 * The listening connection and the poll exist only while someone watches.
 *
 * Committers notify only while some connection holds the schema's listener lock, so registering is
 * three steps (see the README, "Only while someone listens"): take the listener lock (shared, for
 * the session), LISTEN, pass the listener barrier (which waits for the append transactions that
 * may have found the lock free), and only then signal `unknown`, whose read finds their commits.
 */

import { CommitListeners, type CommitSignal, type Unsubscribe } from '@eventlog/core';
import type postgres from 'postgres';
import type { ResolvedOptions } from './options.js';
import { openPostgres, type PgClient, PREPARED } from './pg-client.js';
import { quoteIdent } from './sql-names.js';

/** What a notification carries. */
interface NotificationPayload {
  k: 'append' | 'delete';
  i: string;
  p?: number | null;
}

/** What the watcher needs from the adapter. */
export interface CommitWatcherContext {
  options: ResolvedOptions;
  /** The adapter's pool, for the poll. */
  sql: PgClient;
  channel: string;
  /** `select pg_current_snapshot()::text as snapshot`. */
  snapshotStatement: string;
  /**
   * What a listening connection runs before and after its LISTEN: take the schema's listener lock
   * (shared, for the session), then pass the listener barrier. See `CommitNotifier`.
   */
  registerStatements: readonly [lock: string, barrier: string];
}

/** Delivers commit signals to watchers. */
export class CommitWatcher {
  readonly #ctx: CommitWatcherContext;
  readonly #listeners: CommitListeners;
  /** Highest position signalled per instance: a notification at or below it is our own echo. */
  readonly #heads = new Map<string, number>();
  #client: PgClient | undefined;
  #listening = false;
  /** The connection whose registration (lock, LISTEN, barrier) is running. */
  #registering: PgClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastSnapshot: string | undefined;
  #polling = false;
  #stopping: Promise<void> = Promise.resolve();

  constructor(context: CommitWatcherContext) {
    this.#ctx = context;
    // The first watcher starts listening and polling; the last one stops them.
    this.#listeners = new CommitListeners({ onFirst: () => this.#start(), onLast: () => this.#stop() });
  }

  /** Adds a watcher; the first one starts listening. */
  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** Signals a commit of this process. */
  committed(signal: CommitSignal): void {
    if (signal.kind === 'append' && signal.instanceId !== null && signal.position !== undefined) {
      const known = this.#heads.get(signal.instanceId) ?? 0;
      if (signal.position > known) this.#heads.set(signal.instanceId, signal.position);
    }
    if (signal.kind === 'delete' && signal.instanceId !== null) this.#heads.delete(signal.instanceId);
    this.#emit(signal);
  }

  /** Stops listening and polling, and drops every watcher. */
  async close(): Promise<void> {
    this.#listeners.clear();
    this.#stop();
    await this.#stopping;
  }

  #emit(signal: CommitSignal): void {
    this.#listeners.emit(signal);
  }

  #start(): void {
    const { options } = this.#ctx;
    // `onnotify` is a postgres.js option its typings omit (its own `listen` uses it).
    const clientOptions = {
      max: 1,
      max_lifetime: null,
      connect_timeout: options.connectTimeoutSeconds,
      fetch_types: false,
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      onnotice: () => {},
      connection: { application_name: `${options.applicationName}-listen` },
      onnotify: (_channel: string, payload: string) => this.#onNotify(payload),
      onclose: () => {
        if (this.#client !== client) return;
        // The LISTEN went with the connection: listen again (the poll retries if this fails).
        this.#listening = false;
        void this.#listen(client);
      },
    };
    const client = openPostgres(options.url, clientOptions as postgres.Options<Record<string, never>>);
    this.#client = client;
    this.#lastSnapshot = undefined;
    void this.#listen(client);
    this.#timer = setInterval(() => void this.#poll(), options.pollIntervalMs);
    // Watching must not keep a process alive on its own.
    this.#timer.unref();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#listening = false;
    if (client !== undefined) {
      const previous = this.#stopping;
      this.#stopping = Promise.all([previous, client.end({ timeout: 1 }).catch(() => {})]).then(() => {});
    }
  }

  async #listen(client: PgClient): Promise<void> {
    // One registration at a time per connection (the poll retries while it is not listening).
    if (this.#registering === client) return;
    this.#registering = client;
    const [lock, barrier] = this.#ctx.registerStatements;
    try {
      // Committers notify only while a listener holds the listener lock, so: the lock, then
      // LISTEN, then the barrier, which waits for the append transactions that may have found the
      // lock free; the read that the `unknown` signal below triggers sees their commits.
      await client.unsafe(lock, [], PREPARED);
      await client.unsafe(`listen ${quoteIdent(this.#ctx.channel)}`);
      await client.unsafe(barrier, [], PREPARED);
    } catch {
      return;
    } finally {
      if (this.#registering === client) this.#registering = undefined;
    }
    if (this.#client !== client) return;
    this.#listening = true;
    // Anything may have committed while we were not listening.
    this.#emit({ kind: 'unknown', instanceId: null });
  }

  #onNotify(text: string): void {
    let payload: NotificationPayload;
    try {
      payload = JSON.parse(text) as NotificationPayload;
    } catch {
      this.#emit({ kind: 'unknown', instanceId: null });
      return;
    }
    if (payload.k === 'delete') {
      this.#heads.delete(payload.i);
      this.#emit({ kind: 'delete', instanceId: payload.i });
      return;
    }
    const position = typeof payload.p === 'number' ? payload.p : undefined;
    if (position !== undefined) {
      const known = this.#heads.get(payload.i) ?? 0;
      // Our own commit (already signalled), or an older one: nothing new to read.
      if (position <= known) return;
      this.#heads.set(payload.i, position);
    }
    this.#emit({
      kind: 'append',
      instanceId: payload.i,
      ...(position === undefined ? {} : { position }),
    });
  }

  async #poll(): Promise<void> {
    const client = this.#client;
    if (this.#polling || client === undefined) return;
    this.#polling = true;
    try {
      if (!this.#listening) void this.#listen(client);
      const [row] = await this.#ctx.sql.unsafe<Array<{ snapshot: string }>>(this.#ctx.snapshotStatement);
      if (this.#client !== client || row === undefined) return;
      const changed = this.#lastSnapshot !== undefined && row.snapshot !== this.#lastSnapshot;
      this.#lastSnapshot = row.snapshot;
      if (changed) this.#emit({ kind: 'unknown', instanceId: null });
    } catch {
      // The database is unreachable: the next tick tries again.
    } finally {
      this.#polling = false;
    }
  }
}
