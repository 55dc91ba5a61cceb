/**
 * What a CLI command works on: a store opened in this process (`sqlite:…`, `memory:`,
 * `postgres://…`) or a server reached through `@eventlog/client` (`ws://…`, `wss://…`), behind one
 * small interface.
 */

import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { connect, type EventLogClient, type RemoteSubscription } from '@eventlog/client';
import { type Condition, type EventRecord, toEventLogError } from '@eventlog/core';
import { LiveReader } from '@eventlog/rx';
import { DEFAULT_EVENTLOG_URL, openEventLog } from '../open-event-log.js';
import type { EventReader } from './event-pages.js';
import { CliError, EXIT_FAILURE, unwrap, usageError } from './output.js';

/** Options every command takes. */
export interface TargetOptions {
  url?: string;
  token?: string;
  /**
   * The command may create the store (`instances create`, `append --create`, `import --create`):
   * a SQLite file that does not exist is created. Every other command fails instead, so reading
   * never leaves an empty `eventlog.db` behind.
   */
  create?: boolean;
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
export interface Target extends EventReader {
  /** The store URL, for messages (passwords hidden). */
  readonly label: string;
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

/** Query parameters whose values are secrets. */
const SECRET_PARAM = /pass(word)?|secret|token/i;

/**
 * The URL with any password replaced by `***`: the userinfo password and secret-looking query
 * parameters, as `URL` parses them (percent-encoded or not). A URL `URL` cannot parse loses
 * everything before its last `@`, so no part of a password is ever shown.
 *
 * @example redactUrl('postgres://app:s3cret@db/events') // 'postgres://app:***@db/events'
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (scheme === null) return url; // sqlite:…, memory: hold no credentials
  try {
    const parsed = new URL(url);
    let changed = false;
    if (parsed.password !== '') {
      parsed.password = '***';
      changed = true;
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAM.test(key)) {
        parsed.searchParams.set(key, '***');
        changed = true;
      }
    }
    return changed ? parsed.toString() : url;
  } catch {
    const at = url.lastIndexOf('@');
    return at > scheme[0].length ? `${scheme[0]}***${url.slice(at)}` : url;
  }
}

/** The store URL a command uses: `--url`, else `EVENTLOG_URL`, else `sqlite:./eventlog.db`. */
export function resolveUrl(options: TargetOptions): string {
  return options.url ?? process.env.EVENTLOG_URL ?? DEFAULT_EVENTLOG_URL;
}

/** Every URL the CLI takes, as the messages list them. */
const SUPPORTED_URLS =
  'a store URL ("memory:", "sqlite:<path>", "sqlite::memory:", "postgres://user:password@host:port/database" or "postgresql://…") or a server URL ("ws://host:port" or "wss://host:port")';

/**
 * Checks that a URL names a store or a server the CLI can open.
 *
 * @throws CliError (usage) listing every supported scheme
 */
export function checkUrl(url: string): void {
  if (/^(memory:(\/\/)?$|sqlite:.|postgres(ql)?:\/\/|wss?:\/\/)/i.test(url)) return;
  throw usageError(`Unsupported URL "${redactUrl(url)}". Use ${SUPPORTED_URLS}.`);
}

/** Where the URL came from, for messages. */
function urlSource(options: TargetOptions): string {
  if (options.url !== undefined) return '--url';
  if (process.env.EVENTLOG_URL !== undefined) return '$EVENTLOG_URL';
  return 'the default, as neither --url nor $EVENTLOG_URL is set';
}

/** The file of a `sqlite:<path>` URL; undefined for `sqlite::memory:` and other URLs. */
export function sqliteFile(url: string): string | undefined {
  if (!url.startsWith('sqlite:')) return undefined;
  let file = url.slice('sqlite:'.length);
  if (file.startsWith('//')) file = file.slice(2);
  return file === '' || file === ':memory:' || file.startsWith('file:') ? undefined : file;
}

/**
 * Fails when a command that does not create stores names a SQLite file that does not exist,
 * saying which URL was tried, where it came from and how to choose another.
 *
 * @throws CliError when the file does not exist
 */
export function requireExistingStore(url: string, options: TargetOptions): void {
  const file = sqliteFile(url);
  if (file === undefined || existsSync(file)) return;
  throw new CliError(
    `No store at ${url} (from ${urlSource(options)}): ${resolvePath(file)} does not exist, and this command does not create one. Choose the store with --url <url> or $EVENTLOG_URL, or create it with "eventlog instances create <name>" (or append/import --create).`,
    EXIT_FAILURE,
  );
}

/**
 * Says on stderr that a command is about to create a SQLite store file, and which, so no store
 * appears unannounced (stdout keeps the command's result).
 */
function announceNewStore(url: string, options: TargetOptions): void {
  const file = sqliteFile(url);
  if (file === undefined || existsSync(file)) return;
  process.stderr.write(
    `eventlog: creating a new store at ${resolvePath(file)} (${url}, from ${urlSource(options)})\n`,
  );
}

/** Opens the store or connects to the server a URL names. */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const url = resolveUrl(options);
  checkUrl(url);
  if (isServerUrl(url)) return connectTarget(url, options.token);
  if (options.create !== true) requireExistingStore(url, options);
  else announceNewStore(url, options);
  return openLocalTarget(url);
}

/**
 * Fails at once when nothing accepts TCP connections at a server URL's host and port (the client
 * would otherwise keep retrying until its timeout).
 *
 * @throws CliError naming the URL and the reason
 */
async function probeServer(url: string): Promise<void> {
  let host: string;
  let port: number;
  try {
    const parsed = new URL(url);
    host = parsed.hostname.replace(/^\[|\]$/g, '');
    port = parsed.port === '' ? (parsed.protocol === 'wss:' ? 443 : 80) : Number(parsed.port);
  } catch {
    throw usageError(`The server URL "${redactUrl(url)}" cannot be parsed; use "ws://host:port".`);
  }
  const failure = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(10_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(undefined); // slow, not refused: let the client decide
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error));
  });
  if (failure === undefined) return;
  const why =
    failure.code === 'ECONNREFUSED'
      ? 'the connection was refused (ECONNREFUSED): no server listens there'
      : failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN'
        ? `the host "${host}" was not found (${failure.code})`
        : `${failure.message}${failure.code === undefined ? '' : ` (${failure.code})`}`;
  throw new CliError(
    `Cannot reach the Event Log server at ${redactUrl(url)}: ${why}. Start one with "eventlog serve --port <port>", or choose another URL with --url or $EVENTLOG_URL.`,
    EXIT_FAILURE,
    'STORAGE_ERROR',
  );
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
  await probeServer(url);
  const client = connect(url, token === undefined ? {} : { token });
  try {
    await client.waitForConnection(10_000);
  } catch (error) {
    await client.close();
    // UNAUTHORIZED (a refused token) keeps its code; not reaching the server is STORAGE_ERROR.
    const code = (error as { code?: unknown }).code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'STORAGE_ERROR';
    throw new CliError((error as Error).message, 1, code);
  }
  return {
    label: url,
    eventLog: client.eventLog,
    follow: (params, onEvent) => followRemote(client, params, onEvent),
    close: () => client.close(),
  };
}

/** Events a remote follow takes ahead of its consumer before it pauses the subscription. */
const REMOTE_FOLLOW_BUFFER = 1000;

/**
 * Follows over the server's subscription with backpressure: events wait in a queue and are handed
 * to `onEvent` one at a time, each after the previous one's promise settled (stdout drained).
 * When the queue holds {@link REMOTE_FOLLOW_BUFFER} events, the subscription is dropped, so the
 * server stops sending; once the consumer has caught up, it subscribes again after the last
 * position handed over. Nothing is lost or repeated, and memory stays bounded.
 */
async function followRemote(
  client: EventLogClient,
  params: FollowParams,
  onEvent: (event: EventRecord) => void | Promise<void>,
): Promise<Following> {
  let settle!: (outcome: FollowOutcome) => void;
  const ended = new Promise<FollowOutcome>((resolve) => {
    settle = resolve;
  });
  const queue: EventRecord[] = [];
  let position = params.after;
  let draining = false;
  let stopped = false;
  let subscription: RemoteSubscription | undefined;

  const subscribe = (after: number): RemoteSubscription =>
    client.subscribe(
      {
        instance: params.instance,
        after,
        ...(params.stream === undefined ? {} : { stream: params.stream }),
        ...(params.where === undefined ? {} : { where: params.where }),
      },
      (event) => {
        queue.push(event);
        if (queue.length >= REMOTE_FOLLOW_BUFFER && subscription !== undefined) {
          // Paused: what the server already sent is dropped by the client from here on.
          void subscription.unsubscribe();
          subscription = undefined;
        }
        void drain();
      },
      {
        onEnd: (end) => {
          if (end.reason === 'deleted') settle({ kind: 'deleted' });
          else if (end.reason === 'error') settle({ kind: 'error', message: end.error, code: end.code });
          else if (end.reason === 'handlerError') settle({ kind: 'error', message: String(end.error) });
        },
      },
    );

  const drain = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    try {
      for (let event = queue.shift(); event !== undefined && !stopped; event = queue.shift()) {
        await onEvent(event);
        position = event.global_position;
      }
      if (subscription === undefined && !stopped) {
        subscription = subscribe(position);
        const ack = await subscription.ready;
        if (!ack.success) settle({ kind: 'error', message: ack.error, code: ack.code });
      }
    } catch (error) {
      settle({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    } finally {
      draining = false;
    }
  };

  subscription = subscribe(position);
  unwrap(await subscription.ready);
  return {
    stop: () => {
      stopped = true;
      void subscription?.unsubscribe();
    },
    ended,
  };
}
