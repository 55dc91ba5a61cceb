/**
 * What a CLI command works on: a store opened in this process (`sqlite:…`, `memory:`,
 * `postgres://…`) or a server reached through `@eventlog/client` (`ws://…`, `wss://…`), behind one
 * small interface.
 */

import { connect, type RemoteEventLog } from '@eventlog/client';
import { type Condition, type EventRecord, toEventLogError } from '@eventlog/core';
import { LiveReader } from '@eventlog/rx';
import { DEFAULT_EVENTLOG_URL, openEventLog } from '../open-event-log.js';
import { CliError, unwrap } from './output.js';

/** Options every command takes. */
export interface TargetOptions {
  url?: string;
  token?: string;
}

/** What to follow live. */
export interface FollowParams {
  instance: string;
  stream?: string;
  where?: Condition[];
  after: number;
}

/** How following ended. */
export type FollowOutcome = { kind: 'deleted' } | { kind: 'error'; message: string; code?: string };

/** A running follow. */
export interface Following {
  /** Stops following. */
  stop(): void;
  /** Settles when following ends by itself (deleted, error); never when stopped. */
  readonly ended: Promise<FollowOutcome>;
}

/** A store or a server, as the commands use it. */
export interface Target {
  /** The store URL, for messages (passwords hidden). */
  readonly label: string;
  /** The nine methods. */
  readonly eventLog: RemoteEventLog;
  /**
   * Follows an instance from `after`, calling `onEvent` in position order. Rejects when the
   * subscription is refused (unknown instance, bad where).
   */
  follow(params: FollowParams, onEvent: (event: EventRecord) => void | Promise<void>): Promise<Following>;
  close(): Promise<void>;
}

/** True for `ws://` and `wss://` URLs (a server), false for store URLs. */
export function isServerUrl(url: string): boolean {
  return /^wss?:\/\//i.test(url);
}

/** The URL with any password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/** The store URL a command uses: `--url`, else `EVENTLOG_URL`, else `sqlite:./eventlog.db`. */
export function resolveUrl(options: TargetOptions): string {
  return options.url ?? process.env.EVENTLOG_URL ?? DEFAULT_EVENTLOG_URL;
}

/** Opens the store or connects to the server a URL names. */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const url = resolveUrl(options);
  return isServerUrl(url) ? connectTarget(url, options.token) : openLocalTarget(url);
}

async function openLocalTarget(url: string): Promise<Target> {
  const log = await openEventLog(url);
  return {
    label: redactUrl(url),
    eventLog: log,
    async follow(params, onEvent) {
      const instance = await log.store.getInstance(params.instance);
      let settle!: (outcome: FollowOutcome) => void;
      const ended = new Promise<FollowOutcome>((resolve) => {
        settle = resolve;
      });
      const reader = new LiveReader({
        store: log.store,
        instance: instance.id,
        pageSize: Math.min(500, log.store.limits.maxQueryLimit),
        stream: params.stream,
        where: params.where,
        after: params.after,
        deliver: async (page) => {
          for (const event of page) await onEvent(event);
        },
        onEnd: (end) =>
          settle(
            end.kind === 'deleted'
              ? end
              : {
                  kind: 'error',
                  message: toEventLogError(end.error).message,
                  code: toEventLogError(end.error).code,
                },
          ),
      });
      reader.start();
      return { stop: () => reader.stop(), ended };
    },
    close: () => log.close(),
  };
}

async function connectTarget(url: string, token: string | undefined): Promise<Target> {
  const client = connect(url, token === undefined ? {} : { token });
  try {
    await client.waitForConnection(10_000);
  } catch (error) {
    await client.close();
    throw new CliError((error as Error).message, 1, 'STORAGE_ERROR');
  }
  return {
    label: url,
    eventLog: client.eventLog,
    async follow(params, onEvent) {
      let settle!: (outcome: FollowOutcome) => void;
      const ended = new Promise<FollowOutcome>((resolve) => {
        settle = resolve;
      });
      const subscription = client.subscribe(
        {
          instance: params.instance,
          after: params.after,
          ...(params.stream === undefined ? {} : { stream: params.stream }),
          ...(params.where === undefined ? {} : { where: params.where }),
        },
        (event) => void onEvent(event),
        {
          onEnd: (end) => {
            if (end.reason === 'deleted') settle({ kind: 'deleted' });
            else if (end.reason === 'error') settle({ kind: 'error', message: end.error, code: end.code });
            else if (end.reason === 'handlerError') settle({ kind: 'error', message: String(end.error) });
          },
        },
      );
      unwrap(await subscription.ready);
      return { stop: () => void subscription.unsubscribe(), ended };
    },
    close: () => client.close(),
  };
}
