/**
 * The watchers of an adapter (`StorageAdapter.watch`): one implementation of adding, removing and
 * calling them, for every adapter. A listener that throws never keeps the others from their
 * wake-up, nor fails the commit that triggered it.
 */

import type { CommitSignal, Unsubscribe } from './adapter.js';

/** Options of {@link CommitListeners}. */
export interface CommitListenersOptions {
  /** Called when a listener throws (the commit already happened; the other listeners still run). */
  onListenerError?: ((error: unknown, signal: CommitSignal) => void) | undefined;
  /** Called when the first listener is added (start a change feed). */
  onFirst?: () => void;
  /** Called when the last listener is removed (stop the change feed). */
  onLast?: () => void;
}

/** A set of commit listeners. */
export class CommitListeners {
  private readonly listeners = new Set<(signal: CommitSignal) => void>();
  private readonly options: CommitListenersOptions;

  constructor(options: CommitListenersOptions = {}) {
    this.options = options;
  }

  /** How many listeners there are. */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Adds a listener. The same function added twice is two subscriptions, each removed once by its
   * own `Unsubscribe` (which is idempotent).
   */
  add(listener: (signal: CommitSignal) => void): Unsubscribe {
    const entry = (signal: CommitSignal) => listener(signal);
    this.listeners.add(entry);
    if (this.listeners.size === 1) this.options.onFirst?.();
    return () => {
      if (!this.listeners.delete(entry)) return;
      if (this.listeners.size === 0) this.options.onLast?.();
    };
  }

  /** Calls every listener with `signal`. */
  emit(signal: CommitSignal): void {
    if (this.listeners.size === 0) return;
    // A snapshot, so listeners that (un)subscribe while being called do not disturb this round.
    for (const listener of [...this.listeners]) {
      try {
        listener(signal);
      } catch (error) {
        try {
          this.options.onListenerError?.(error, signal);
        } catch {
          // A failing reporter must not fail a commit that already happened either.
        }
      }
    }
  }

  /** Removes every listener (without calling `onLast`). */
  clear(): void {
    this.listeners.clear();
  }
}
