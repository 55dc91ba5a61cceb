/**
 * `GET /v1/events?instance=<ref>&after=<pos>[&stream=…][&where=<JSON>]`: live events as
 * Server-Sent Events. Each event is one SSE message, `id: <global_position>` and
 * `data: <event JSON>`; a `Last-Event-ID` header (what `EventSource` sends when it reconnects)
 * resumes after that position, so a reconnecting client misses and repeats nothing.
 *
 * The stream is a `LiveReader` (the algorithm of `liveEvents`): catch-up page by page, then each
 * commit. It reads its next page only once the response took the previous one, drops a client
 * that takes nothing for `sendTimeoutMs`, and writes a comment line every `heartbeatMs` so proxies
 * keep idle streams open. When the instance is deleted it sends `event: end` and closes; a
 * reconnect then gets 404.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Condition,
  type EventLog,
  type EventMap,
  type EventRecord,
  failureEnvelope,
  SUBSCRIBE_TYPE,
  toEnvelopeError,
  validateReadAfter,
  validationError,
} from '@eventlog/core';
import { LiveReader } from '@eventlog/rx';
import type { Logger } from 'pino';
import type { ServerTelemetry } from '../telemetry.js';
import { sendEnvelope } from './http-io.js';

/** What an SSE stream needs from the server. */
export interface SseSettings {
  log: EventLog<EventMap>;
  pageSize: number;
  heartbeatMs: number;
  sendTimeoutMs: number;
  maxResponseBytes: number;
  telemetry: ServerTelemetry;
  logger: Logger;
}

/** An open stream, for the server to end on close. */
export interface SseStream {
  end(): void;
}

/** The subscription's params from the query string and `Last-Event-ID`. */
function paramsOf(url: URL, request: IncomingMessage): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const key of url.searchParams.keys()) {
    if (!['instance', 'after', 'stream', 'where'].includes(key)) {
      throw validationError(
        `"${key}" is not a parameter of /v1/events; use instance, after, stream and where (a JSON array of conditions).`,
      );
    }
  }
  const instance = url.searchParams.get('instance');
  if (instance !== null) params.instance = instance;
  const stream = url.searchParams.get('stream');
  if (stream !== null) params.stream = stream;
  const where = url.searchParams.get('where');
  if (where !== null) {
    try {
      params.where = JSON.parse(where) as Condition[];
    } catch (error) {
      throw validationError(
        `where: not valid JSON (${(error as Error).message}); pass a JSON array of conditions, URL-encoded.`,
      );
    }
  }
  const lastEventId = request.headers['last-event-id'];
  const after =
    typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : url.searchParams.get('after');
  if (after !== null) {
    if (!/^\d+$/.test(after)) {
      throw validationError(
        `after: expected a global position (an integer ≥ 0), got ${JSON.stringify(after)}${after === lastEventId ? ' (from Last-Event-ID)' : ''}.`,
      );
    }
    params.after = Number(after);
  }
  return params;
}

/**
 * Serves one SSE request; resolves once the stream is set up (or refused with an envelope).
 * `register` receives the stream so the server can end it on close.
 */
export async function serveEvents(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  settings: SseSettings,
  register: (stream: SseStream) => () => void,
  requestId: string,
): Promise<void> {
  const store = settings.log.store;
  let instanceId: string;
  let raw: Record<string, unknown>;
  let valid: ReturnType<typeof validateReadAfter>;
  try {
    raw = paramsOf(url, request);
    valid = validateReadAfter(raw, store.limits);
    instanceId = (await store.getInstance(valid.instance)).id;
  } catch (error) {
    await sendEnvelope(
      response,
      failureEnvelope(SUBSCRIBE_TYPE, error, requestId),
      settings.maxResponseBytes,
      {
        'x-request-id': requestId,
      },
    );
    return;
  }

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
  response.write(`retry: 1000\n: subscribed to ${instanceId} after ${valid.after}\n\n`);
  response.flushHeaders();
  settings.telemetry.subscriber('sse', 1);

  let closed = false;
  let unregister = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    reader.stop();
    unregister();
    settings.telemetry.subscriber('sse', -1);
    if (!response.writableEnded) response.end();
  };

  /** Waits until the response took what was written; drops a client that takes nothing. */
  const taken = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        settings.logger.info({ requestId }, 'eventlog server: dropping an SSE client that reads nothing');
        response.destroy();
        resolve();
      }, settings.sendTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.once('drain', done);
      response.once('close', done);
    });

  const reader = new LiveReader({
    store,
    instance: instanceId,
    stream: valid.stream,
    // The reader parses the conditions itself (they were checked above).
    where: raw.where as Condition[] | undefined,
    after: valid.after,
    pageSize: Math.max(1, Math.min(settings.pageSize, store.limits.maxQueryLimit)),
    deliver: async (page: readonly EventRecord[]) => {
      if (closed) return;
      let text = '';
      for (const event of page) text += `id: ${event.global_position}\ndata: ${JSON.stringify(event)}\n\n`;
      if (!response.write(text)) await taken();
    },
    onEnd: (end) => {
      if (closed) return;
      const data =
        end.kind === 'deleted'
          ? { reason: 'deleted' }
          : {
              reason: 'error',
              code: toEnvelopeError(end.error).code,
              error: toEnvelopeError(end.error).message,
            };
      response.write(`event: end\ndata: ${JSON.stringify(data)}\n\n`);
      finish();
    },
  });
  unregister = register({ end: finish });
  request.on('close', finish);
  response.on('close', finish);
  if (settings.heartbeatMs > 0) {
    heartbeat = setInterval(() => {
      if (!closed && response.writableLength === 0) response.write(': ping\n\n');
    }, settings.heartbeatMs);
    heartbeat.unref();
  }
  reader.start();
}
