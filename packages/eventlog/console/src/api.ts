/**
 * The console's client of the server's HTTP API (same origin): `POST /v1/eventLog.<method>` with
 * the token, when one is set, as `Authorization: Bearer`, and live events from `GET /v1/events`
 * read with `fetch` (a browser's `EventSource` cannot send the token), resuming after the last
 * event id when the connection drops.
 */

// The server's own types (type-only; `@eventlog/core/model` holds the model alone, without Node's modules).
import type { EventRecord } from '@eventlog/core/model';
import { EventSourceParserStream } from 'eventsource-parser/stream';

export type {
  AggregationGroup as Group,
  EventRecord,
  Instance,
  InstanceStats,
  QueryResult,
} from '@eventlog/core/model';

/** A failed call, as the envelope says. */
export interface Failure {
  ok: false;
  code: string;
  error: string;
  status: number;
}

/** What a call resolves to: its data, or its failure. */
export type Outcome<T> = { ok: true; data: T } | Failure;

const TOKEN_KEY = 'eventlog.token';

/** The token the person gave (kept for this browser tab only). */
export function savedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Keeps (or forgets, with undefined) the token for this tab. */
export function saveToken(token: string | undefined): void {
  if (token === undefined || token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = savedToken();
  return token === undefined ? extra : { ...extra, authorization: `Bearer ${token}` };
}

/** Listeners told when the server answers 401 (the console then asks for the token). */
const unauthorizedListeners = new Set<() => void>();

/** Calls `listener` whenever a request is refused for its token. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * Calls one of the nine methods with its wire params; never rejects.
 *
 * @example const res = await call<{ instances: Instance[] }>('listInstances');
 */
export async function call<T>(method: string, params: unknown = {}): Promise<Outcome<T>> {
  let response: Response;
  try {
    response = await fetch(`/v1/eventLog.${method}`, {
      method: 'POST',
      headers: headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(params),
    });
  } catch (error) {
    return {
      ok: false,
      code: 'NETWORK',
      error: `The server cannot be reached (${String(error)}).`,
      status: 0,
    };
  }
  let envelope: { success?: boolean; data?: T; code?: string; error?: string };
  try {
    envelope = (await response.json()) as typeof envelope;
  } catch {
    return {
      ok: false,
      code: 'STORAGE_ERROR',
      error: `The server answered ${response.status} without JSON.`,
      status: response.status,
    };
  }
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  if (envelope.success === true) return { ok: true, data: envelope.data as T };
  return {
    ok: false,
    code: envelope.code ?? 'STORAGE_ERROR',
    error: envelope.error ?? `The server answered ${response.status}.`,
    status: response.status,
  };
}

/** What {@link followEvents} reports besides events. */
export interface FollowHandlers {
  onEvent(event: EventRecord): void;
  /** The stream is open ('live') or waiting to reconnect ('reconnecting'), or ended for good. */
  onState(state: 'connecting' | 'live' | 'reconnecting' | 'ended', detail?: string): void;
}

/**
 * Follows an instance's events live (SSE over fetch). Reconnects after a drop with
 * `Last-Event-ID`, so nothing is missed or repeated. Returns a function that stops it.
 */
export function followEvents(
  params: { instance: string; after?: number; where?: unknown[] },
  handlers: FollowHandlers,
): () => void {
  const controller = new AbortController();
  let lastId: string | undefined = params.after === undefined ? undefined : String(params.after);
  let stopped = false;

  const connect = async (): Promise<void> => {
    const query = new URLSearchParams({ instance: params.instance });
    if (params.where !== undefined && params.where.length > 0)
      query.set('where', JSON.stringify(params.where));
    handlers.onState('connecting');
    const response = await fetch(`/v1/events?${query}`, {
      headers: headers({
        accept: 'text/event-stream',
        ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
      }),
      signal: controller.signal,
    });
    if (response.status === 401) for (const listener of unauthorizedListeners) listener();
    if (!response.ok || response.body === null) {
      const text = await response.text().catch(() => '');
      let message = `HTTP ${response.status}`;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? message;
      } catch {
        // not JSON
      }
      stopped = true;
      handlers.onState('ended', message);
      return;
    }
    handlers.onState('live');
    // Blocks parsed by eventsource-parser (the parser of the `eventsource` package): ids, event
    // types, multi-line data, CRLF and comments as the SSE specification has them.
    const reader = response.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream())
      .getReader();
    for (;;) {
      const { value: message, done } = await reader.read();
      if (done) break;
      if (message.event === 'end') {
        stopped = true;
        const reason = (JSON.parse(message.data) as { reason?: string; error?: string }) ?? {};
        handlers.onState(
          'ended',
          reason.reason === 'deleted' ? 'the instance was deleted' : (reason.error ?? 'ended'),
        );
        return;
      }
      if (message.data !== '' && (message.event ?? 'message') === 'message') {
        if (message.id !== undefined) lastId = message.id;
        handlers.onEvent(JSON.parse(message.data) as EventRecord);
      }
    }
  };

  const loop = async (): Promise<void> => {
    let delay = 500;
    while (!stopped) {
      try {
        await connect();
        delay = 500;
      } catch {
        if (stopped || controller.signal.aborted) return;
      }
      if (stopped) return;
      handlers.onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  };
  void loop();
  return () => {
    stopped = true;
    controller.abort();
  };
}
