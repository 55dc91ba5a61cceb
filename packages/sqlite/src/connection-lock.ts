/**
 * Serializes use of the one better-sqlite3 connection. better-sqlite3 is synchronous, so ordinary
 * operations never overlap; only `transaction(fn)` holds the connection across `await`s (its
 * `BEGIN IMMEDIATE` is open while `fn` runs), and nothing else may run inside it meanwhile.
 *
 * - With no transaction in flight, an operation runs at once, synchronously (no queueing cost).
 * - While one is in flight, operations queue behind it, in order.
 * - Code running inside the transaction's callback (tracked with AsyncLocalStorage) runs directly,
 *   as part of that transaction, instead of waiting for it (which would deadlock).
 */

import { AsyncLocalStorage } from 'node:async_hooks';

/** The state of one running transaction, visible to the code its callback runs. */
export interface TransactionScope<T> {
  /** False once the transaction committed or rolled back. */
  active: boolean;
  /** Work to run after a successful commit (commit signals). */
  readonly afterCommit: Array<() => void>;
  readonly value: T;
}

/** The connection lock. `T` is what a transaction scope carries (the `tx` handed to callbacks). */
export class ConnectionLock<T> {
  private readonly scopes = new AsyncLocalStorage<TransactionScope<T>>();
  private tail: Promise<unknown> = Promise.resolve();
  private held = 0;

  /** The transaction the calling code runs inside, if any. */
  current(): TransactionScope<T> | undefined {
    const scope = this.scopes.getStore();
    return scope?.active === true ? scope : undefined;
  }

  /** Runs a synchronous operation: now when the connection is free (or ours), else after the holders. */
  run<R>(op: () => R): Promise<R> {
    if (this.held === 0 || this.current() !== undefined) {
      try {
        return Promise.resolve(op());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.exclusive(async () => op());
  }

  /** Runs `fn` holding the connection until its promise settles. */
  exclusive<R>(fn: () => Promise<R>): Promise<R> {
    this.held++;
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => {
        this.held--;
      },
      () => {
        this.held--;
      },
    );
    return result;
  }

  /** Runs `fn` inside a transaction scope: operations it starts run directly. */
  within<R>(scope: TransactionScope<T>, fn: () => Promise<R>): Promise<R> {
    return this.scopes.run(scope, fn);
  }
}
