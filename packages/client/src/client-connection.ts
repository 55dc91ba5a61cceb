/**
 * One reconnecting WebSocket connection with request/response matching by `requestId`.
 *
 * - Requests made while disconnected wait in a bounded queue (count and time) for the next
 *   connection; requests in flight when the connection drops fail at once, because the server may
 *   or may not have applied them (appends with an `eventId` are safe to retry).
 * - Reconnects with exponential backoff and jitter until {@link ClientConnection.close}.
 * - Never rejects a request: every failure becomes an envelope (`STORAGE_ERROR` for transport
 *   problems, `VALIDATION_ERROR` / `LIMIT_EXCEEDED` for what cannot be sent).
 */

import {
  type ErrorCode,
  EVENT_TYPE,
  EventLogError,
  failureEnvelope,
  IDLE_CLOSE_CODE,
  limitExceeded,
  type MessageType,
  PING_TYPE,
  SUBSCRIPTION_ENDED_TYPE,
  storageError,
  UNAUTHORIZED_CLOSE_CODE,
  validationError,
  type WireRequestMessage,
  WS_PROTOCOL,
  WS_TOKEN_PROTOCOL_PREFIX,
} from '@eventlog/core';
import {
  resolveWebSocket,
  type WebSocketConstructor,
  type WebSocketEventLike,
  type WebSocketLike,
} from './websocket.js';
import { exceedsBytes, toWireJson } from './wire-json.js';

/** base64url of a string's UTF-8 bytes, in Node and browsers alike. */
function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An envelope as received from the server (or made by the client for a local failure). */
export type WireEnvelope = {
  type: string;
  success: boolean;
  requestId: string;
  timestamp: string;
  data?: unknown;
  error?: string;
  code?: ErrorCode;
  details?: Record<string, unknown>;
  message?: string;
};

/** What a request settles with: the envelope, and whether it failed in transport (never reached an answer). */
export interface RequestOutcome {
  envelope: WireEnvelope;
  /** True when the client made the envelope because of the connection (lost, closed, timed out). */
  transport: boolean;
}

/** Settings of a {@link ClientConnection}; see `ConnectOptions` for their meaning and defaults. */
export interface ConnectionSettings {
  url: string;
  token: string | undefined;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  queueTimeoutMs: number;
  maxQueuedRequests: number;
  maxMessageBytes: number;
  maxResponseBytes: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number } | false;
  WebSocket: WebSocketConstructor | undefined;
}

/** Callbacks of a {@link ClientConnection}. */
export interface ConnectionHandlers {
  /** A connection opened (the first, or a reconnect), after queued requests were sent. */
  onOpen(): void;
  /** The connection dropped (the client may reconnect). */
  onDisconnect(): void;
  /** A pushed message (`eventLog.event`, `eventLog.subscriptionEnded`). */
  onPush(message: Record<string, unknown>): void;
  /** True when something (a subscription) needs the connection even without requests. */
  wantsConnection(): boolean;
}

interface Pending {
  requestId: string;
  type: MessageType;
  text: string;
  resolve: (outcome: RequestOutcome) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const randomId = () => globalThis.crypto.randomUUID();

/** The reconnecting connection: see the module comment. */
export class ClientConnection {
  private socket: WebSocketLike | undefined;
  private open = false;
  private closed = false;
  private attempts = 0;
  private lastError: string | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly queue: Pending[] = [];
  private readonly inflight = new Map<string, Pending>();
  private readonly openWaiters = new Set<{ resolve: () => void; reject: (error: unknown) => void }>();
  private closing: Promise<void> | undefined;
  /** The last connection ended because a message was over `maxResponseBytes`. */
  private tooLarge = false;
  /** The close code of the last connection. */
  private lastCloseCode: number | undefined;
  /**
   * The server closed the connection for being idle and nothing needed it since: the next request
   * (or `waitForConnection`) dials again.
   */
  private dormant = false;
  /** The server answered a ping on the current connection: the token (if any) was taken. */
  private verified = false;
  /** A ping is on its way on the current connection. */
  private probing = false;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly handlers: ConnectionHandlers,
  ) {
    void this.dial();
  }

  /** True while a connection is open. */
  get isOpen(): boolean {
    return this.open;
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Sends a request and resolves with its envelope, or a local failure envelope. Never rejects.
   * `onSettled`, when given, runs synchronously as the answer arrives — before any later message
   * is handled (subscriptions need that: events follow their acknowledgement at once).
   */
  request(
    type: MessageType,
    params: unknown,
    onSettled?: (outcome: RequestOutcome) => void,
  ): Promise<RequestOutcome> {
    const answer = (outcome: RequestOutcome): Promise<RequestOutcome> => {
      onSettled?.(outcome);
      return Promise.resolve(outcome);
    };
    const requestId = randomId();
    if (this.closed) return answer(this.fail(type, requestId, this.closedMessage()));
    // The token went with the handshake (see dial); requests do not repeat it.
    const message: WireRequestMessage = { type, requestId, params };
    let text: string;
    try {
      text = toWireJson(message);
    } catch (error) {
      const e = EventLogError.isInstance(error)
        ? error
        : validationError(`params: cannot be sent as JSON (${String(error)}).`);
      return answer({ envelope: failureEnvelope(type, e, requestId), transport: false });
    }
    if (exceedsBytes(text, this.settings.maxMessageBytes)) {
      const e = limitExceeded(
        `The request is larger than ${this.settings.maxMessageBytes} bytes of JSON, the largest message the server accepts (maxMessageBytes); split it, for example into smaller appendEvents batches.`,
      );
      return answer({ envelope: failureEnvelope(type, e, requestId), transport: false });
    }
    this.wake();
    return new Promise<RequestOutcome>((resolve) => {
      const settle = (outcome: RequestOutcome) => {
        onSettled?.(outcome);
        resolve(outcome);
      };
      const pending: Pending = { requestId, type, text, resolve: settle, timer: undefined };
      if (this.open) this.send(pending);
      else this.enqueue(pending);
    });
  }

  /**
   * Resolves once connected and accepted by the server (it answered a ping, so the token, if any,
   * was taken); rejects with `UNAUTHORIZED` when the server refuses the token, with `STORAGE_ERROR`
   * when closed first, or after `timeoutMs` when given.
   */
  waitForConnection(timeoutMs?: number): Promise<void> {
    if (this.open && this.verified) return Promise.resolve();
    if (this.closed) return Promise.reject(new EventLogError('STORAGE_ERROR', this.closedMessage()));
    this.wake();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        resolve: () => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        },
        reject: (error: unknown) => {
          if (timer !== undefined) clearTimeout(timer);
          reject(error);
        },
      };
      this.openWaiters.add(waiter);
      if (this.open) this.probe();
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.openWaiters.delete(waiter);
          reject(new EventLogError('STORAGE_ERROR', this.notConnectedMessage(timeoutMs)));
        }, timeoutMs);
      }
    });
  }

  /** Closes the connection for good: pending requests fail with `STORAGE_ERROR`. Idempotent. */
  close(reason?: string): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    const message = reason ?? this.closedMessage();
    for (const pending of this.queue.splice(0))
      this.settle(pending, this.fail(pending.type, pending.requestId, message));
    for (const pending of [...this.inflight.values()]) {
      this.inflight.delete(pending.requestId);
      this.settle(pending, this.fail(pending.type, pending.requestId, message));
    }
    for (const waiter of this.openWaiters) waiter.reject(new EventLogError('STORAGE_ERROR', message));
    this.openWaiters.clear();
    const socket = this.socket;
    this.closing = new Promise<void>((resolve) => {
      if (socket === undefined) {
        resolve();
        return;
      }
      const done = setTimeout(resolve, 1000);
      socket.onclose = () => {
        clearTimeout(done);
        resolve();
      };
      socket.onerror = () => {};
      try {
        socket.close(1000, 'client closed');
      } catch {
        clearTimeout(done);
        resolve();
      }
    });
    this.open = false;
    return this.closing;
  }

  private closedMessage(): string {
    return `The Event Log client for ${this.settings.url} is closed; call connect() again to continue.`;
  }

  private notConnectedMessage(ms: number): string {
    return `Not connected to the Event Log server at ${this.settings.url} after ${ms} ms${this.lastError === undefined ? '' : ` (last error: ${this.lastError})`}; is "eventlog serve" running there?`;
  }

  /** The outcome of a request the connection failed: a `STORAGE_ERROR` envelope made here. */
  private fail(type: MessageType, requestId: string, error: string): RequestOutcome {
    return { envelope: failureEnvelope(type, storageError(error), requestId), transport: true };
  }

  private settle(pending: Pending, outcome: RequestOutcome): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.timer = undefined;
    pending.resolve(outcome);
  }

  private enqueue(pending: Pending): void {
    if (this.queue.length >= this.settings.maxQueuedRequests) {
      this.settle(
        pending,
        this.fail(
          pending.type,
          pending.requestId,
          `Not connected to the Event Log server at ${this.settings.url}, and ${this.settings.maxQueuedRequests} requests already wait for the connection (maxQueuedRequests)${this.lastError === undefined ? '' : `; last error: ${this.lastError}`}.`,
        ),
      );
      return;
    }
    this.queue.push(pending);
    pending.timer = setTimeout(() => {
      const index = this.queue.indexOf(pending);
      if (index === -1) return;
      this.queue.splice(index, 1);
      pending.timer = undefined;
      pending.resolve(
        this.fail(pending.type, pending.requestId, this.notConnectedMessage(this.settings.queueTimeoutMs)),
      );
    }, this.settings.queueTimeoutMs);
  }

  private send(pending: Pending): void {
    const socket = this.socket;
    if (socket === undefined || !this.open) {
      this.enqueue(pending);
      return;
    }
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    try {
      socket.send(pending.text);
    } catch {
      // The socket is going away; the request was not sent, so it can wait for the next one.
      pending.timer = undefined;
      this.enqueue(pending);
      return;
    }
    this.inflight.set(pending.requestId, pending);
    const ms = this.settings.requestTimeoutMs;
    pending.timer = setTimeout(() => {
      if (!this.inflight.delete(pending.requestId)) return;
      pending.timer = undefined;
      pending.resolve(
        this.fail(
          pending.type,
          pending.requestId,
          `No response from the Event Log server at ${this.settings.url} within ${ms} ms (requestTimeoutMs); the request may or may not have been applied.`,
        ),
      );
    }, ms);
  }

  private async dial(): Promise<void> {
    if (this.closed) return;
    let socket: WebSocketLike;
    try {
      const { Ctor, canSendHeaders } = await resolveWebSocket(this.settings.WebSocket);
      if (this.closed) return;
      const token = this.settings.token;
      if (canSendHeaders) {
        socket = new Ctor(this.settings.url, {
          maxPayload: this.settings.maxResponseBytes,
          ...(token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } }),
        });
      } else {
        // Browsers cannot set headers on a WebSocket: the token is offered as a subprotocol.
        socket =
          token === undefined
            ? new Ctor(this.settings.url)
            : new Ctor(this.settings.url, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${base64url(token)}`]);
      }
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    const connectTimer = setTimeout(() => {
      this.lastError = `the connection did not open within ${this.settings.connectTimeoutMs} ms`;
      try {
        socket.close();
      } catch {
        // already closing
      }
    }, this.settings.connectTimeoutMs);
    socket.onopen = () => {
      clearTimeout(connectTimer);
      if (this.closed) return;
      this.open = true;
      this.attempts = 0;
      this.lastError = undefined;
      for (const pending of this.queue.splice(0)) this.send(pending);
      // Open is not accepted: a server refuses a wrong token only once something is sent.
      if (this.openWaiters.size > 0) this.probe();
      this.handlers.onOpen();
    };
    socket.onmessage = (event) => this.onMessage(event);
    socket.onerror = (event: WebSocketEventLike) => {
      const error = event.error;
      if ((error as { code?: unknown } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.tooLarge = true;
      }
      this.lastError =
        error instanceof Error
          ? error.message
          : typeof event.message === 'string'
            ? event.message
            : 'socket error';
    };
    socket.onclose = (event) => {
      clearTimeout(connectTimer);
      if (this.socket !== socket) return;
      this.lastCloseCode = event.code;
      this.socket = undefined;
      const wasOpen = this.open;
      this.open = false;
      this.verified = false;
      this.probing = false;
      if (this.closed) return;
      if (wasOpen) {
        const why = `code ${event.code ?? 'unknown'}${event.reason ? `, ${event.reason}` : ''}`;
        this.lastError = `the connection closed (${why})`;
        const cause = this.closeCause(event.code);
        for (const pending of [...this.inflight.values()]) {
          this.inflight.delete(pending.requestId);
          this.settle(
            pending,
            cause !== undefined
              ? { envelope: failureEnvelope(pending.type, cause, pending.requestId), transport: true }
              : this.fail(
                  pending.type,
                  pending.requestId,
                  `The connection to the Event Log server at ${this.settings.url} was lost (${why}) before the response arrived; the request may or may not have been applied (appends with an eventId are safe to retry).`,
                ),
          );
        }
        this.handlers.onDisconnect();
      }
      this.scheduleReconnect();
    };
  }

  /**
   * Pings the server on the open connection and settles the `waitForConnection` callers with the
   * answer: accepted (any answer but `UNAUTHORIZED`: an older server answers an unknown type with
   * `VALIDATION_ERROR`), or refused. Lost on the way: the next connection pings again.
   */
  private probe(): void {
    if (this.probing || !this.open) return;
    this.probing = true;
    const socket = this.socket;
    void this.request(PING_TYPE, {}).then(({ envelope, transport }) => {
      if (this.socket === socket) this.probing = false;
      if (!envelope.success && envelope.code === 'UNAUTHORIZED') {
        const error = new EventLogError(
          'UNAUTHORIZED',
          `${envelope.error ?? 'Unauthorized.'} (the Event Log server at ${this.settings.url} refused the token${this.settings.token === undefined ? '; none was given: pass connect(url, { token })' : ''})`,
          envelope.details === undefined ? {} : { details: envelope.details },
        );
        for (const waiter of this.openWaiters) waiter.reject(error);
        this.openWaiters.clear();
        return;
      }
      if (transport || this.socket !== socket || !this.open) return;
      this.verified = true;
      for (const waiter of this.openWaiters) waiter.resolve();
      this.openWaiters.clear();
    });
  }

  /** Dials again after an idle close, when something needs the connection. */
  private wake(): void {
    if (!this.dormant || this.closed) return;
    this.dormant = false;
    void this.dial();
  }

  /** The error of requests in flight when the connection closed for a reason they share. */
  private closeCause(code: number | undefined): EventLogError | undefined {
    if (code === UNAUTHORIZED_CLOSE_CODE) {
      return new EventLogError(
        'UNAUTHORIZED',
        `Unauthorized: the Event Log server at ${this.settings.url} refused the token${this.settings.token === undefined ? ' (none was given: pass connect(url, { token }))' : ''}.`,
        { details: { reason: 'unauthorized' } },
      );
    }
    if (code === 1009 || this.tooLarge) {
      this.tooLarge = false;
      return limitExceeded(
        `A message from the Event Log server at ${this.settings.url} was larger than ${this.settings.maxResponseBytes} bytes, the most this client takes (maxResponseBytes); ask for less (a smaller limit, select) or raise maxResponseBytes.`,
        { limit: 'maxResponseBytes', max: this.settings.maxResponseBytes },
      );
    }
    return undefined;
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    if (
      this.lastCloseCode === IDLE_CLOSE_CODE &&
      this.queue.length === 0 &&
      this.openWaiters.size === 0 &&
      !this.handlers.wantsConnection()
    ) {
      // Closed for being idle: come back when needed, not at once.
      this.lastCloseCode = undefined;
      this.dormant = true;
      return;
    }
    const policy = this.settings.reconnect;
    if (policy === false) {
      void this.close(
        `The connection to the Event Log server at ${this.settings.url} failed or was lost${this.lastError === undefined ? '' : ` (${this.lastError})`}, and reconnecting is off; call connect() again.`,
      );
      return;
    }
    const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(this.attempts, 30));
    this.attempts += 1;
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.dial();
    }, delay);
  }

  private onMessage(event: WebSocketEventLike): void {
    const data = event.data;
    const text =
      typeof data === 'string' ? data : data instanceof Uint8Array ? new TextDecoder().decode(data) : '';
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return; // not ours to understand
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return;
    const record = message as Record<string, unknown>;
    if (record.type === EVENT_TYPE || record.type === SUBSCRIPTION_ENDED_TYPE) {
      this.handlers.onPush(record);
      return;
    }
    if (typeof record.requestId !== 'string') return;
    const pending = this.inflight.get(record.requestId);
    if (pending === undefined) return;
    this.inflight.delete(record.requestId);
    this.settle(pending, { envelope: record as WireEnvelope, transport: false });
  }
}
