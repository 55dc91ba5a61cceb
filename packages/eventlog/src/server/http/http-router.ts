/**
 * The HTTP side of the server (SPEC §11), on the same port as the WebSocket:
 *
 * | request                          | answer                                                     |
 * | -------------------------------- | ---------------------------------------------------------- |
 * | `POST /v1/eventLog.<method>`     | the envelope of `dispatch` for the JSON body as `params`    |
 * | `GET /v1/events?instance=…`      | Server-Sent Events (`sse.ts`)                               |
 * | `GET /health`                    | `{ status: 'ok' }` when the store answers, else 503         |
 * | `GET /metrics`                   | Prometheus text (`telemetry.ts`)                            |
 * | `GET /`, `/assets/…`             | the web console (`console-assets.ts`)                       |
 * | a mounted path (`/mcp`, …)       | the handler given in `mounts`, after the same checks        |
 *
 * Every request is checked in this order, before its body is read: its `Origin` (a page of
 * another origin is refused with 403 unless `allowOrigins` lists it; requests without `Origin`
 * pass), then the token (`Authorization: Bearer <token>`; 401 `UNAUTHORIZED`) for everything but
 * `/health` and the console's static files, which hold no data (the console asks for the token
 * and sends it with its API calls).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  dispatch,
  type EventLog,
  EventLogError,
  type EventMap,
  failureEnvelope,
  type MessageType,
  storageError,
  UNKNOWN_TYPE,
  validationError,
} from '@eventlog/core';
import type { Logger } from 'pino';
import type { OriginPolicy } from '../origin.js';
import { appendedCount, type ServerTelemetry } from '../telemetry.js';
import { type TokenCheck, unauthorized } from '../token.js';
import { type ConsoleAssets, consoleMissingPage } from './console-assets.js';
import { readBody, sendEnvelope, sendJson } from './http-io.js';
import { type SseSettings, type SseStream, serveEvents } from './sse.js';

/** A handler mounted on a path of the server (see `EventLogServerOptions.mounts`). */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/** What the HTTP side needs from the server. */
export interface HttpSettings extends SseSettings {
  log: EventLog<EventMap>;
  token: TokenCheck | undefined;
  origins: OriginPolicy;
  maxMessageBytes: number;
  maxResponseBytes: number;
  console: ConsoleAssets | undefined;
  /** Path prefixes (`/mcp`) and their handlers. */
  mounts: ReadonlyMap<string, HttpHandler>;
  /** Open SSE streams; at most `maxStreams`. */
  streams: Set<SseStream>;
  maxStreams: number;
  telemetry: ServerTelemetry;
  logger: Logger;
  /** True once the server is closing: new requests get 503. */
  closing(): boolean;
}

const RPC_PATH = /^\/v1\/(eventLog\.[A-Za-z]+)$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The request's own id (`X-Request-Id`, when it is a sane token), else a fresh one. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : globalThis.crypto.randomUUID();
}

/** The answer to a request with no route. */
function notFound(response: ServerResponse, path: string, requestId: string): void {
  sendJson(
    response,
    404,
    failureEnvelope(
      UNKNOWN_TYPE,
      new EventLogError(
        'NOT_FOUND',
        `${path} is not an Event Log endpoint. Use POST /v1/eventLog.<method>, GET /v1/events, GET /health, GET /metrics, or / for the console.`,
      ),
      requestId,
    ),
    { 'x-request-id': requestId },
  );
}

/** Builds the request listener of the HTTP server. */
export function createHttpRouter(
  settings: HttpSettings,
): (request: IncomingMessage, response: ServerResponse) => void {
  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = requestIdOf(request);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const rpc = RPC_PATH.exec(path);
    const type = (rpc?.[1] ?? UNKNOWN_TYPE) as MessageType;

    // 1. Origin: pages of other origins only when listed; with CORS headers for those.
    const origin = request.headers.origin;
    if (!settings.origins.allows(origin, request.headers.host, request.socket.localAddress)) {
      sendJson(
        response,
        403,
        failureEnvelope(
          type,
          new EventLogError(
            'UNAUTHORIZED',
            `Requests from pages of ${origin} are not allowed; start the server with --allow-origin ${origin} to allow them.`,
            { details: { reason: 'origin', origin } },
          ),
          requestId,
        ),
      );
      return;
    }
    const cors: Record<string, string> =
      origin !== undefined
        ? {
            'access-control-allow-origin': origin,
            'access-control-expose-headers': 'x-request-id',
            vary: 'Origin',
          }
        : {};
    for (const [name, value] of Object.entries(cors)) response.setHeader(name, value);
    if (method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, last-event-id, x-request-id',
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }

    // 2. What needs no token.
    if (path === '/health') {
      await health(settings, response);
      return;
    }
    if (
      (method === 'GET' || method === 'HEAD') &&
      (path === '/' || path.startsWith('/assets/') || path === '/favicon.svg')
    ) {
      if (settings.console === undefined) {
        if (path === '/') consoleMissingPage(response);
        else notFound(response, path, requestId);
      } else if (!settings.console.serve(path, response, method === 'HEAD')) {
        notFound(response, path, requestId);
      }
      return;
    }

    // 3. The token, before any body is read.
    if (settings.token !== undefined && !settings.token.matchesHeader(request.headers.authorization)) {
      const presented = request.headers.authorization === undefined ? 'missing' : 'wrong';
      response.setHeader('connection', 'close'); // the body, if any, is not read
      sendJson(response, 401, failureEnvelope(type, unauthorized(presented), requestId), {
        'www-authenticate': 'Bearer realm="eventlog"',
        'x-request-id': requestId,
      });
      return;
    }
    if (settings.closing()) {
      sendJson(
        response,
        503,
        failureEnvelope(
          type,
          storageError('The Event Log server is shutting down; retry shortly.'),
          requestId,
        ),
        { connection: 'close' },
      );
      return;
    }

    for (const [prefix, handler] of settings.mounts) {
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        await handler(request, response);
        return;
      }
    }
    if (path === '/metrics' && (method === 'GET' || method === 'HEAD')) {
      const text = await settings.telemetry.metrics();
      response.writeHead(200, {
        'content-type': settings.telemetry.registry.contentType,
        'cache-control': 'no-store',
      });
      response.end(method === 'HEAD' ? undefined : text);
      return;
    }
    if (path === '/v1/events' && method === 'GET') {
      if (settings.streams.size >= settings.maxStreams) {
        sendJson(
          response,
          503,
          failureEnvelope(
            'eventLog.subscribe',
            storageError(
              `This server has ${settings.maxStreams} event streams open, its maximum (maxConnections); retry later.`,
            ),
            requestId,
          ),
        );
        return;
      }
      await serveEvents(
        request,
        response,
        url,
        settings,
        (stream) => {
          settings.streams.add(stream);
          return () => settings.streams.delete(stream);
        },
        requestId,
      );
      return;
    }
    if (rpc !== null) {
      if (method !== 'POST') {
        sendJson(
          response,
          405,
          failureEnvelope(
            type,
            validationError(`Use POST for ${path}, with the params as a JSON body.`),
            requestId,
          ),
          { allow: 'POST' },
        );
        return;
      }
      await serveRpc(request, response, type, requestId, settings);
      return;
    }
    notFound(response, path, requestId);
  };

  return (request, response) => {
    route(request, response).catch((error: unknown) => {
      settings.logger.error(
        { err: error, url: request.url },
        'eventlog server: unexpected failure serving an HTTP request',
      );
      if (!response.headersSent) {
        sendJson(
          response,
          500,
          failureEnvelope(
            UNKNOWN_TYPE,
            storageError(
              `The server failed: ${error instanceof Error ? error.message : String(error)}. This is a bug; the server logged it and keeps running.`,
            ),
          ),
        );
      } else {
        response.destroy();
      }
    });
  };
}

/** `POST /v1/eventLog.<method>`: the body is the wire `params`; the answer is the envelope. */
async function serveRpc(
  request: IncomingMessage,
  response: ServerResponse,
  type: MessageType,
  requestId: string,
  settings: HttpSettings,
): Promise<void> {
  const method = type.slice('eventLog.'.length);
  const traced = settings.telemetry.begin('http', method, requestId, request.headers);
  const headers = { 'x-request-id': requestId };
  let envelope: { type: string; success: boolean; code?: string; requestId?: string };
  const body = await readBody(request, settings.maxMessageBytes);
  if (!body.ok) {
    response.setHeader('connection', 'close');
    envelope = failureEnvelope(
      type,
      new EventLogError(
        'LIMIT_EXCEEDED',
        `The request body is ${body.bytes} bytes or more, above the server's limit of ${settings.maxMessageBytes} bytes (maxMessageBytes); split it, for example into smaller appendEvents batches.`,
        { details: { limit: 'maxMessageBytes', max: settings.maxMessageBytes } },
      ),
      requestId,
    );
  } else {
    let params: unknown;
    let bad: EventLogError | undefined;
    if (body.text.trim() !== '') {
      try {
        params = JSON.parse(body.text);
      } catch (error) {
        bad = validationError(
          `The body is not valid JSON (${(error as Error).message}); send the params as one JSON object, like {"instanceId":"audit-log"}.`,
        );
      }
    }
    envelope =
      bad !== undefined
        ? failureEnvelope(type, bad, requestId)
        : await dispatch(settings.log, { type, requestId, params });
  }
  try {
    await sendEnvelope(response, envelope, settings.maxResponseBytes, headers);
  } catch (error) {
    settings.logger.error(
      { err: error, requestId, type },
      'eventlog server: unexpected failure serializing a response; the client gets STORAGE_ERROR',
    );
    envelope = failureEnvelope(
      type,
      storageError(
        `The server failed serializing the response: ${(error as Error).message}. This is a bug; the server logged it and keeps running.`,
      ),
      requestId,
    );
    await sendEnvelope(response, envelope, settings.maxResponseBytes, headers);
  }
  traced.end({ success: envelope.success, code: envelope.code, appended: appendedCount(envelope) });
}

/** `GET /health`: 200 `{ status: 'ok' }` when the store answers a lookup within 5 s, else 503. */
async function health(settings: HttpSettings, response: ServerResponse): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const check = settings.log.store.getInstance('__eventlog_health_check__').then(
    () => undefined,
    (error: unknown) =>
      EventLogError.isInstance(error) && error.code === 'NOT_FOUND' ? undefined : (error as Error),
  );
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error('the store did not answer within 5 s')), 5000);
  });
  const problem = await Promise.race([check, timeout]);
  clearTimeout(timer);
  if (problem === undefined) sendJson(response, 200, { status: 'ok' });
  else sendJson(response, 503, { status: 'unavailable', error: problem.message });
}
