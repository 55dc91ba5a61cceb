/**
 * `createEventLogServer`: serves an {@link EventLog} on one port, over WebSocket with the API
 * document's wire protocol and over HTTP (`http/http-router.ts`: the same methods as JSON, live
 * events as Server-Sent Events, health, metrics and the web console). See the package README.
 */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  type EventLog,
  type EventMap,
  WS_PROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
} from '@eventlog/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ConsoleAssets, loadConsoleAssets } from './http/console-assets.js';
import { createHttpRouter, type HttpHandler } from './http/http-router.js';
import type { SseStream } from './http/sse.js';
import { type Logger, stderrLogger } from './logger.js';
import { isLoopback, originPolicy } from './origin.js';
import { type ConnectionAuth, ServerConnection } from './server-connection.js';
import { ServerTelemetry } from './telemetry.js';
import { type TokenCheck, tokenCheck } from './token.js';

export type { HttpHandler } from './http/http-router.js';

/** Options of {@link createEventLogServer}. */
export interface EventLogServerOptions {
  /** The log to serve. The server does not close it. */
  log: EventLog<EventMap> | EventLog;
  /** The TCP port; 0 picks a free one (read it from `address.port`). */
  port: number;
  /** The interface to listen on. Default `127.0.0.1` (this machine only); `0.0.0.0` for all. */
  host?: string;
  /**
   * When set, every request must carry this token: as `Authorization: Bearer <token>` on the
   * WebSocket upgrade (or the `eventlog.bearer.<base64url>` subprotocol, for browsers), or as a
   * `token` field in the first request of the connection. A connection without it gets an
   * `UNAUTHORIZED` envelope for its first request and is closed (code 4401).
   */
  token?: string;
  /**
   * The largest frame a connection may send before it is authenticated, in bytes; larger ones
   * close it (code 1009) without being read. Default 64 KiB.
   */
  maxUnauthenticatedMessageBytes?: number;
  /** How long a connection may wait before authenticating (its first request). Default 10,000 ms. */
  authTimeoutMs?: number;
  /**
   * Origins (`https://app.example.com`, or `*`) whose web pages may use the server besides its own.
   * A WebSocket upgrade or HTTP request whose `Origin` header names another origin is refused with
   * 403. Requests without `Origin` (Node, curl) are not affected. Default: none.
   */
  allowOrigins?: readonly string[];
  /**
   * The largest response, in bytes of JSON: a larger one is answered with `LIMIT_EXCEEDED` (and
   * never built whole in memory). Default 64 MiB (`DEFAULT_MAX_RESPONSE_BYTES`).
   */
  maxResponseBytes?: number;
  /**
   * A pino logger for unexpected failures (and, at `debug`, every request with its id). Default:
   * warnings and errors as JSON lines on stderr.
   */
  logger?: Logger;
  /**
   * HTTP handlers mounted on path prefixes, after the server's origin and token checks: a request
   * for `<prefix>` or `<prefix>/…` goes to the handler. The MCP server is mounted at `/mcp` this
   * way. Default: none.
   *
   * @example createEventLogServer({ log, port: 4000, mounts: { '/mcp': mcpHandler } })
   */
  mounts?: Readonly<Record<string, HttpHandler>>;
  /**
   * The folder of the built web console served at `/`, or `false` to serve none. Default: the
   * package's `dist/console` (built by `pnpm build`).
   */
  console?: string | false;
  /**
   * The largest message accepted, in bytes. Larger ones get a `LIMIT_EXCEEDED` envelope, up to
   * twice this size; beyond that the frame cannot be skipped and the connection is closed with
   * code 1009. Default 32 MiB.
   */
  maxMessageBytes?: number;
  /** Outgoing bytes buffered per connection before subscriptions wait and reading pauses. Default 1 MiB. */
  highWaterMarkBytes?: number;
  /** Requests served at once per connection; more wait unread in the socket. Default 32. */
  maxInFlight?: number;
  /** Subscriptions per connection. Default 100. */
  maxSubscriptions?: number;
  /** Events read per page by subscriptions. Default 500. */
  pageSize?: number;
  /** Ping interval; a connection that answers no ping between two is terminated. Default 30,000 ms; 0 disables. */
  heartbeatMs?: number;
  /** How long `close()` waits for requests in flight before terminating connections. Default 5,000 ms. */
  closeTimeoutMs?: number;
  /**
   * How long a connection's outgoing buffer may stay above `highWaterMarkBytes` without shrinking
   * (the client reads nothing) before the connection is dropped. Default 30,000 ms.
   */
  sendTimeoutMs?: number;
  /** Open WebSocket connections at most; more upgrades get 503. Default 1,000. */
  maxConnections?: number;
  /**
   * A connection that sends nothing, has no subscription and no request in flight for this long is
   * closed with code 4408 (the client reconnects when it next needs to). Default 600,000 ms (10
   * minutes); 0 disables.
   */
  idleTimeoutMs?: number;
}

/** Where a server listens. */
export interface EventLogServerAddress {
  host: string;
  port: number;
  /** `ws://host:port`, ready for `connect(url)`. */
  url: string;
  /** `http://host:port`: the HTTP API, SSE, health, metrics and the console. */
  httpUrl: string;
}

/** A running server. */
export interface EventLogServer {
  readonly address: EventLogServerAddress;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Prometheus metrics, as `GET /metrics` shows them. */
  metrics(): Promise<string>;
  /**
   * Stops accepting connections, ends subscriptions, lets requests in flight finish (up to
   * `closeTimeoutMs`), closes every connection with code 1001, then the listener. Idempotent.
   * Clients reconnect by themselves if a server comes back at the same address.
   */
  close(): Promise<void>;
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 503 ? 'Service Unavailable' : 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function positiveInteger(value: number | undefined, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`createEventLogServer: ${name} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
  return value;
}

/**
 * Starts a WebSocket server for an event log and resolves once it accepts connections.
 *
 * A request `{ type: 'eventLog.<method>', requestId, params }` gets the envelope with the same
 * `type` and `requestId` (core's `dispatch`); `eventLog.subscribe` pushes events on the same
 * socket. A malformed, oversized or unauthenticated message gets an error envelope; the
 * connection stays open.
 *
 * @throws TypeError for bad options; rejects when the port cannot be bound (`EADDRINUSE`, …)
 * @example
 * const log = await openEventLog('sqlite:./events.db');
 * const server = await createEventLogServer({ log, port: 4000 });
 * console.log(`listening on ${server.address.url}`);
 * // later
 * await server.close();
 * await log.close();
 */
export async function createEventLogServer(options: EventLogServerOptions): Promise<EventLogServer> {
  if (typeof options !== 'object' || options === null || typeof options.log?.store !== 'object') {
    throw new TypeError(
      'createEventLogServer needs options { log, port, host?, token? } with an EventLog as log.',
    );
  }
  if (options.port === undefined)
    throw new TypeError('createEventLogServer needs a port (0 picks a free one).');
  const port = positiveInteger(options.port, 'port', 0, 0);
  if (port > 65535) throw new TypeError(`createEventLogServer: port must be at most 65535, got ${port}.`);
  const host = options.host ?? '127.0.0.1';
  const maxMessageBytes = positiveInteger(
    options.maxMessageBytes,
    'maxMessageBytes',
    DEFAULT_MAX_MESSAGE_BYTES,
  );
  const heartbeatMs = positiveInteger(options.heartbeatMs, 'heartbeatMs', 30_000, 0);
  const closeTimeoutMs = positiveInteger(options.closeTimeoutMs, 'closeTimeoutMs', 5000, 0);
  const maxConnections = positiveInteger(options.maxConnections, 'maxConnections', 1000);
  const token: TokenCheck | undefined = options.token === undefined ? undefined : tokenCheck(options.token);
  const maxUnauthenticatedBytes = positiveInteger(
    options.maxUnauthenticatedMessageBytes,
    'maxUnauthenticatedMessageBytes',
    64 * 1024,
  );
  const authTimeoutMs = positiveInteger(options.authTimeoutMs, 'authTimeoutMs', 10_000);
  const origins = originPolicy(options.allowOrigins);
  const settings = {
    log: options.log as EventLog<EventMap>,
    maxMessageBytes,
    highWaterMarkBytes: positiveInteger(options.highWaterMarkBytes, 'highWaterMarkBytes', 1024 * 1024),
    maxInFlight: positiveInteger(options.maxInFlight, 'maxInFlight', 32),
    maxSubscriptions: positiveInteger(options.maxSubscriptions, 'maxSubscriptions', 100),
    pageSize: positiveInteger(options.pageSize, 'pageSize', 500),
    token,
    authTimeoutMs,
    maxResponseBytes: positiveInteger(
      options.maxResponseBytes,
      'maxResponseBytes',
      DEFAULT_MAX_RESPONSE_BYTES,
    ),
    sendTimeoutMs: positiveInteger(options.sendTimeoutMs, 'sendTimeoutMs', 30_000),
    idleTimeoutMs: positiveInteger(options.idleTimeoutMs, 'idleTimeoutMs', 600_000, 0),
    logger: options.logger ?? stderrLogger(),
  };
  const telemetry = new ServerTelemetry(settings.logger);
  const mounts = new Map<string, HttpHandler>();
  for (const [prefix, handler] of Object.entries(options.mounts ?? {})) {
    if (
      !/^\/[\w.-]+(\/[\w.-]+)*$/.test(prefix) ||
      prefix.startsWith('/v1') ||
      typeof handler !== 'function'
    ) {
      throw new TypeError(
        `createEventLogServer: mounts maps a path like "/mcp" (not under /v1) to a handler (request, response) => void; got ${JSON.stringify(prefix)}.`,
      );
    }
    mounts.set(prefix, handler);
  }
  const consoleAssets: ConsoleAssets | undefined =
    options.console === false ? undefined : loadConsoleAssets(options.console);
  const streams = new Set<SseStream>();
  const connectionSettings = { ...settings, telemetry };

  const http: Server = createServer(
    createHttpRouter({
      ...settings,
      origins,
      heartbeatMs: heartbeatMs > 0 ? Math.min(heartbeatMs, 15_000) : 15_000,
      console: consoleAssets,
      mounts,
      streams,
      maxStreams: maxConnections,
      telemetry,
      closing: () => closing !== undefined,
    }),
  );
  // Slow or silent clients cannot hold a request open for long.
  http.requestTimeout = 120_000;
  http.headersTimeout = 30_000;
  // Two WebSocket servers, so that a connection's frame limit is known before any frame is read:
  // authenticated upgrades (or no token needed) read frames up to twice the limit (answered with
  // LIMIT_EXCEEDED above it; ws closes on larger ones); others only small frames, until their
  // first request authenticates them.
  const selectProtocol = (protocols: Set<string>) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false);
  const trusted = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes * 2,
    perMessageDeflate: false,
    handleProtocols: selectProtocol,
  });
  const untrusted = new WebSocketServer({
    noServer: true,
    maxPayload: maxUnauthenticatedBytes,
    perMessageDeflate: false,
    handleProtocols: selectProtocol,
  });
  const connections = new Set<ServerConnection>();
  let closing: Promise<void> | undefined;

  const accept = (ws: WebSocket, auth: ConnectionAuth) => {
    if (closing !== undefined) {
      ws.close(1001, 'server shutting down');
      return;
    }
    const connection = new ServerConnection(ws, connectionSettings, auth);
    connections.add(connection);
    telemetry.connection(1);
    ws.on('close', () => {
      connections.delete(connection);
      telemetry.connection(-1);
    });
  };

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      // a client that goes away during the handshake
    });
    if (connections.size >= maxConnections) {
      refuseUpgrade(
        socket,
        503,
        `This Event Log server has ${maxConnections} connections, its maximum (maxConnections); retry later.`,
      );
      return;
    }
    if (!origins.allows(request.headers.origin, request.headers.host, request.socket.localAddress)) {
      refuseUpgrade(
        socket,
        403,
        `Origin ${request.headers.origin} is not allowed (eventlog serve --allow-origin)`,
      );
      return;
    }
    let auth: ConnectionAuth = 'authenticated';
    if (token !== undefined) {
      const { authorization } = request.headers;
      const protocols = request.headers['sec-websocket-protocol'];
      if (token.matchesHeader(authorization) || token.matchesProtocols(protocols)) auth = 'authenticated';
      else if (authorization !== undefined || protocols?.includes(WS_TOKEN_PROTOCOL_PREFIX))
        auth = 'rejected';
      else auth = 'pending';
    }
    const wss = auth === 'authenticated' ? trusted : untrusted;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, auth));
  });
  for (const wss of [trusted, untrusted]) {
    wss.on('error', () => {
      // errors of the listening socket surface through the http server
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      http.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      http.off('error', onError);
      resolve();
    };
    http.once('error', onError);
    http.once('listening', onListening);
    http.listen(port, host);
  });
  http.on('error', () => {
    // after listening, errors of single connections are handled per connection
  });

  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const connection of connections) {
            // A connection paused because its own requests are still running cannot read its pong
            // meanwhile; one that does not read what it is sent is dropped by its send timeout.
            if (!connection.alive && !connection.isServing) {
              connection.terminate();
              continue;
            }
            connection.alive = false;
            connection.ping();
          }
        }, heartbeatMs)
      : undefined;
  heartbeat?.unref();

  if (token === undefined && !isLoopback(host)) {
    settings.logger.warn(
      { host },
      `eventlog server: listening on ${host} without a token: anyone who can reach this address can read, write and delete every instance. Start it with a token (--token, or EVENTLOG_TOKEN), or bind 127.0.0.1.`,
    );
  }

  const info = http.address() as AddressInfo;
  const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  const address: EventLogServerAddress = {
    host: info.address,
    port: info.port,
    url: `ws://${shownHost}:${info.port}`,
    httpUrl: `http://${shownHost}:${info.port}`,
  };

  return {
    address,
    get connections() {
      return connections.size;
    },
    metrics: () => telemetry.metrics(),
    close() {
      if (closing === undefined) {
        closing = (async () => {
          if (heartbeat !== undefined) clearInterval(heartbeat);
          const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
          for (const stream of [...streams]) stream.end();
          const open = [...connections];
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            Promise.all(open.map((c) => c.shutdown())),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, closeTimeoutMs);
            }),
          ]);
          clearTimeout(timer);
          // Give clients a moment to answer the close handshake, then cut what is left.
          await new Promise<void>((resolve) => {
            const poll = setInterval(() => {
              if (connections.size === 0) done();
            }, 10);
            const limit = setTimeout(done, 1000);
            function done() {
              clearInterval(poll);
              clearTimeout(limit);
              resolve();
            }
          });
          for (const connection of connections) connection.terminate();
          await Promise.all(
            [trusted, untrusted].map((wss) => new Promise<void>((resolve) => wss.close(() => resolve()))),
          );
          http.closeAllConnections();
          await stopped;
          telemetry.close();
        })();
      }
      return closing;
    },
  };
}
