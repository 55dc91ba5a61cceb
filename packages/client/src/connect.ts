/**
 * `connect(url, { token })`: the API document's client over WebSocket.
 */

import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  type EventLog,
  type EventMap,
  type EventRecord,
  failureEnvelope,
  type MethodName,
  type SubscribeParams,
  validateInstanceRef,
  validateInstanceUpdate,
} from '@eventlog/core';
import { ClientConnection } from './client-connection.js';
import {
  type RemoteSubscription,
  type SubscribeOptions,
  SubscriptionRegistry,
} from './remote-subscriptions.js';
import type { WebSocketConstructor } from './websocket.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * The server's token (`eventlog serve --token`). It travels with the WebSocket handshake only:
   * as `Authorization: Bearer <token>` in Node, as the `eventlog.bearer.<base64url>` subprotocol
   * where headers cannot be set (browsers). Requests never carry it.
   */
  token?: string;
  /** How long a sent request waits for its envelope. Default 30,000 ms. */
  requestTimeoutMs?: number;
  /** How long one connection attempt may take. Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** How long a request made while disconnected waits for the (re)connection. Default 10,000 ms. */
  queueTimeoutMs?: number;
  /** Requests that may wait for the connection at once; more fail at once. Default 1,000. */
  maxQueuedRequests?: number;
  /**
   * The largest request, in UTF-8 bytes of JSON; larger ones fail with `LIMIT_EXCEEDED` without
   * being sent. Default 32 MiB, the server's default `maxMessageBytes`.
   */
  maxMessageBytes?: number;
  /**
   * The largest message taken from the server, in bytes (Node; browsers set no limit). A larger
   * one fails the requests in flight with `LIMIT_EXCEEDED`. Default 128 MiB, twice the server's
   * default `--max-response-bytes`; raise it for a server started with a larger one.
   */
  maxResponseBytes?: number;
  /**
   * Reconnecting after a lost or failed connection: exponential backoff with jitter from
   * `initialDelayMs` (default 100) up to `maxDelayMs` (default 5,000). `false`: do not reconnect
   * (the client closes when the connection is lost or cannot be made).
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number } | false;
  /** A WebSocket implementation. Default: `ws` in Node, the global `WebSocket` elsewhere. */
  WebSocket?: WebSocketConstructor;
}

/**
 * The nine methods of the API document and the lifecycle methods (`deleteStream`, `truncateStream`,
 * `setRetention`, `pruneExpired`, `forgetSubject`), remote: the same envelopes as in-process,
 * never rejecting.
 */
export type RemoteEventLog<E extends EventMap = EventMap> = Omit<EventLog<E>, 'store'>;

/** What {@link connect} returns. */
export interface EventLogClient<E extends EventMap = EventMap> {
  /** The nine methods (plus `close()`, which closes the client). */
  readonly eventLog: RemoteEventLog<E>;
  /**
   * Resolves once connected. Rejects (`EventLogError` `STORAGE_ERROR`) when the client is closed
   * first, or after `timeoutMs` when given. Requests do not need it: they wait for the connection.
   */
  waitForConnection(timeoutMs?: number): Promise<void>;
  /**
   * Follows an instance's events live: every matching event with `global_position > after`, in
   * order, then new ones as they commit. After a reconnect it resumes from the last position it
   * delivered: no gaps, no repeats. `onEvent` is called synchronously, in order; if it throws, the
   * subscription ends (`onEnd({ reason: 'handlerError' })`).
   *
   * @example
   * const sub = client.subscribe({ instance: 'orders', after: 0 }, (event) => console.log(event));
   * const ack = await sub.ready; // ack.success === false: unknown instance, bad where…
   * await sub.unsubscribe();
   */
  subscribe(
    params: SubscribeParams,
    onEvent: (event: EventRecord) => void,
    options?: SubscribeOptions,
  ): RemoteSubscription;
  /** True while connected. */
  readonly connected: boolean;
  /** Closes the connection and ends subscriptions; later calls give `STORAGE_ERROR` envelopes. Idempotent. */
  close(): Promise<void>;
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`connect: ${name} must be a positive number, got ${String(value)}.`);
  }
  return value;
}

/**
 * Connects to an Event Log server (`eventlog serve`) and returns a client whose `eventLog` has the
 * nine methods of the API document, with the same envelopes as in-process. Connecting starts at
 * once and is retried with backoff; methods called before the connection opens wait for it
 * (bounded by `queueTimeoutMs`). Methods never reject: a lost connection, a timeout or a closed
 * client gives a failed envelope with `code: 'STORAGE_ERROR'` and a message saying what happened.
 *
 * @param url `ws://host:port` or `wss://…`
 * @throws TypeError for a URL that is not `ws://` or `wss://`, or bad options
 * @example
 * import { connect } from '@eventlog/client';
 *
 * const client = connect('ws://127.0.0.1:4000', { token: process.env.EVENTLOG_TOKEN });
 * await client.waitForConnection();
 * const res = await client.eventLog.createInstance('user-activity', 'Logs user actions');
 * if (!res.success) console.error(res.code, res.error);
 * await client.close();
 */
export function connect<E extends EventMap = EventMap>(
  url: string,
  options: ConnectOptions = {},
): EventLogClient<E> {
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) {
    throw new TypeError(
      `connect needs a ws:// or wss:// URL, like "ws://127.0.0.1:4000"; got ${JSON.stringify(url)}.`,
    );
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token === '')) {
    throw new TypeError('connect: token must be a non-empty string.');
  }
  const reconnect =
    options.reconnect === false
      ? (false as const)
      : {
          initialDelayMs: positive(options.reconnect?.initialDelayMs, 'reconnect.initialDelayMs', 100),
          maxDelayMs: positive(options.reconnect?.maxDelayMs, 'reconnect.maxDelayMs', 5000),
        };
  let registry: SubscriptionRegistry | undefined;
  const connection = new ClientConnection(
    {
      url,
      token: options.token,
      requestTimeoutMs: positive(options.requestTimeoutMs, 'requestTimeoutMs', 30_000),
      connectTimeoutMs: positive(options.connectTimeoutMs, 'connectTimeoutMs', 10_000),
      queueTimeoutMs: positive(options.queueTimeoutMs, 'queueTimeoutMs', 10_000),
      maxQueuedRequests: positive(options.maxQueuedRequests, 'maxQueuedRequests', 1000),
      maxMessageBytes: positive(options.maxMessageBytes, 'maxMessageBytes', DEFAULT_MAX_MESSAGE_BYTES),
      maxResponseBytes: positive(
        options.maxResponseBytes,
        'maxResponseBytes',
        2 * DEFAULT_MAX_RESPONSE_BYTES,
      ),
      reconnect,
      WebSocket: options.WebSocket,
    },
    {
      onOpen: () => registry?.onOpen(),
      onDisconnect: () => registry?.onDisconnect(),
      onPush: (message) => registry?.onPush(message),
      wantsConnection: () => registry?.active ?? false,
    },
  );
  registry = new SubscriptionRegistry(connection);
  const subscriptions = registry;

  const call = async (method: MethodName, params: unknown) =>
    (await connection.request(`eventLog.${method}`, params)).envelope;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing === undefined) {
      subscriptions.closeAll();
      closing = connection.close();
    }
    return closing;
  };

  const eventLog = {
    createInstance: (name: unknown, description?: unknown) => call('createInstance', { name, description }),
    getInstance: (instanceId: unknown) => call('getInstance', { instanceId }),
    listInstances: () => call('listInstances', {}),
    updateInstance: (instanceId: unknown, updates: unknown) => {
      // On the wire the updates are spread into the params ({ instanceId, ...updates }), which loses
      // where a bad key came from (and an `instanceId` among them would name another instance).
      // Checking them here, as the in-process facade does, keeps the envelopes identical.
      try {
        validateInstanceRef(instanceId);
        validateInstanceUpdate(updates);
      } catch (error) {
        return Promise.resolve(failureEnvelope('eventLog.updateInstance', error));
      }
      return call('updateInstance', { ...(updates as Record<string, unknown>), instanceId });
    },
    deleteInstance: (instanceId: unknown) => call('deleteInstance', { instanceId }),
    appendEvent: (params: unknown) => call('appendEvent', params),
    appendEvents: (params: unknown) => call('appendEvents', params),
    queryEvents: (query: unknown) => call('queryEvents', { query }),
    pageEvents: (query: unknown) => call('pageEvents', { query }),
    getInstanceStats: (instanceId: unknown) => call('getInstanceStats', { instanceId }),
    deleteStream: (params: unknown) => call('deleteStream', params),
    truncateStream: (params: unknown) => call('truncateStream', params),
    setRetention: (params: unknown) => call('setRetention', params),
    pruneExpired: (params?: unknown) => call('pruneExpired', params ?? {}),
    forgetSubject: (subject: unknown) =>
      call('forgetSubject', typeof subject === 'string' ? { subjectId: subject } : subject),
    defineRollup: (params: unknown) => call('defineRollup', params),
    listRollups: (params: unknown) => call('listRollups', params),
    dropRollup: (params: unknown) => call('dropRollup', params),
    close,
  } as unknown as RemoteEventLog<E>;

  return {
    eventLog,
    waitForConnection: (timeoutMs?: number) => connection.waitForConnection(timeoutMs),
    subscribe: (params, onEvent, subscribeOptions) =>
      subscriptions.subscribe(params, onEvent, subscribeOptions),
    get connected() {
      return connection.isOpen;
    },
    close,
  };
}
