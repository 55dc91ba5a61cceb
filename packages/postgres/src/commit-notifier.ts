/**
 * Sends the wake-up NOTIFYs of this process's commits to other processes, off the append path.
 *
 * - Only for commits that found a listener: append transactions test the schema's listener lock
 *   (see `lockInstanceRef` in statements.ts and `CommitWatcher`), and most appends happen while no
 *   process listens, so they cost nothing here.
 * - After the commit, never inside the append transaction: a transaction that notifies holds the
 *   database's notification lock through its commit's WAL flush, which would serialize every
 *   notifying commit of the database. Alone in its transaction a NOTIFY writes no WAL of its own;
 *   `synchronous_commit = off` makes sure its commit never waits for a flush. Losing one (a crash
 *   right after the append's commit) costs a delay: watchers poll as a fallback.
 * - On a connection of its own, so the append's connection goes back to the pool at once.
 * - It coalesces: while one NOTIFY statement runs, later commits accumulate (the highest position
 *   per instance) and go together in the next statement, so a burst of commits costs a few
 *   statements, not one each.
 */

import type { ResolvedOptions } from './options.js';
import { openPostgres, type PgClient, PREPARED } from './pg-client.js';

/** A notification: `{ k: 'append', i: instanceId, p: position }` or `{ k: 'delete', i }`. */
export interface NotificationPayload {
  k: 'append' | 'delete';
  i: string;
  p?: number;
}

/** What the notifier needs from the adapter. */
export interface CommitNotifierContext {
  options: ResolvedOptions;
  channel: string;
  /** `$1` channel, `$2` text[] of payloads. */
  notifyStatement: string;
}

/** Coalescing NOTIFY sender. See the module comment. */
export class CommitNotifier {
  readonly #ctx: CommitNotifierContext;
  /** Pending notifications by instance (a delete replaces appends). */
  readonly #pending = new Map<string, NotificationPayload>();
  #client: PgClient | undefined;
  #draining: Promise<void> | undefined;
  #closed = false;

  constructor(context: CommitNotifierContext) {
    this.#ctx = context;
  }

  /** Queues an append wake-up for `instanceId` up to `position`. */
  append(instanceId: string, position: number): void {
    const current = this.#pending.get(instanceId);
    if (current?.k === 'delete') return;
    if (current === undefined || (current.p ?? 0) < position) {
      this.#pending.set(instanceId, { k: 'append', i: instanceId, p: position });
    }
    this.#kick();
  }

  /** Queues a delete wake-up for `instanceId`. */
  delete(instanceId: string): void {
    this.#pending.set(instanceId, { k: 'delete', i: instanceId });
    this.#kick();
  }

  /** Sends what is pending, then releases the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#draining !== undefined) await this.#draining;
    const client = this.#client;
    this.#client = undefined;
    await client?.end({ timeout: 1 }).catch(() => {});
  }

  #kick(): void {
    if (this.#draining !== undefined) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // Something arrived after the last statement was built.
      if (this.#pending.size > 0 && !this.#closed) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) {
      const payloads = [...this.#pending.values()].map((p) => JSON.stringify(p));
      this.#pending.clear();
      try {
        await this.#connection().unsafe(this.#ctx.notifyStatement, [this.#ctx.channel, payloads], PREPARED);
      } catch {
        // Lost wake-ups cost a delay only: the watchers' poll catches up.
      }
    }
  }

  #connection(): PgClient {
    if (this.#client === undefined) {
      const { options } = this.#ctx;
      this.#client = openPostgres(options.url, {
        max: 1,
        connect_timeout: options.connectTimeoutSeconds,
        ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
        onnotice: () => {},
        connection: {
          application_name: `${options.applicationName}-notify`,
          synchronous_commit: 'off',
          statement_timeout: 5000,
        },
      });
    }
    return this.#client;
  }
}
