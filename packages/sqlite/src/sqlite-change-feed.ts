/**
 * Where SQLite's commit wake-ups come from: this process's commits are signalled by the driver
 * (inside the call, or when the enclosing `transaction(fn)` commits); other processes' commits are
 * noticed by polling `PRAGMA data_version`, which changes when another connection commits, every
 * `pollIntervalMs` while something watches.
 */

import { CommitListeners, type CommitSignal, type Unsubscribe } from '@eventlog/core';
import type Database from 'better-sqlite3';

/** What the feed needs from the driver. */
export interface ChangeFeedContext {
  /** The connection while it is open (polling pauses otherwise). */
  connection(): Database.Database | undefined;
  /** Whether other processes can commit (a file, not `:memory:`). */
  crossProcess: boolean;
  pollIntervalMs: number;
  onListenerError: ((error: unknown, signal: CommitSignal) => void) | undefined;
}

/** The watchers of one SQLite connection. */
export class SqliteChangeFeed {
  private readonly listeners: CommitListeners;
  private readonly context: ChangeFeedContext;
  private dataVersion: Database.Statement | undefined;
  private poller: NodeJS.Timeout | undefined;
  private lastVersion = 0;

  constructor(context: ChangeFeedContext) {
    this.context = context;
    this.listeners = new CommitListeners({
      onListenerError: context.onListenerError,
      onFirst: () => this.startPolling(),
      onLast: () => this.stopPolling(),
    });
  }

  /** Whether anyone watches (a commit with no watcher need not build its signal). */
  get watched(): boolean {
    return this.listeners.size > 0;
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    return this.listeners.add(listener);
  }

  /** Signals a commit of this process. */
  emit(signal: CommitSignal): void {
    this.listeners.emit(signal);
  }

  /** Stops polling and drops every watcher. */
  close(): void {
    this.stopPolling();
    this.listeners.clear();
  }

  private startPolling(): void {
    const db = this.context.connection();
    if (this.poller !== undefined || !this.context.crossProcess || db === undefined) return;
    try {
      this.dataVersion = db.prepare('PRAGMA data_version').pluck();
      this.lastVersion = this.dataVersion.get() as number;
    } catch {
      return;
    }
    this.poller = setInterval(() => {
      if (this.context.connection() === undefined || this.dataVersion === undefined) return;
      let version: number;
      try {
        version = this.dataVersion.get() as number;
      } catch {
        return;
      }
      if (version !== this.lastVersion) {
        this.lastVersion = version;
        this.listeners.emit({ kind: 'unknown', instanceId: null });
      }
    }, this.context.pollIntervalMs);
    // Not unref'd: like a socket, an active watcher (a live subscription, `tail -f`) keeps the
    // process running until it is released or the adapter is closed.
  }

  private stopPolling(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
  }
}
