/**
 * One client connection of the server: reads frames, checks the token, serves requests through
 * core's `dispatch`, runs subscriptions, and keeps what it buffers bounded.
 *
 * Backpressure: outgoing data waits in the socket's buffer (`bufferedAmount`). A subscription reads
 * its next page only once that buffer is below the high-water mark; while it is above, or while
 * `maxInFlight` requests are running, the connection stops reading new frames (`ws.pause()`), so a
 * client that does not read cannot make the server buffer the log.
 */

import {
  checkWireRequest,
  describeValue,
  dispatch,
  EVENT_TYPE,
  type EventLog,
  EventLogError,
  type EventMap,
  type EventMessage,
  type EventRecord,
  failureEnvelope,
  IDLE_CLOSE_CODE,
  invalid,
  limitExceeded,
  nowIso,
  PING_TYPE,
  SUBSCRIBE_TYPE,
  SUBSCRIPTION_ENDED_TYPE,
  type SubscribeData,
  type SubscriptionEndedMessage,
  storageError,
  successEnvelope,
  toEnvelopeError,
  UNAUTHORIZED_CLOSE_CODE,
  UNSUBSCRIBE_TYPE,
  type UnsubscribeData,
  validateReadAfter,
  type WireEcho,
  wireEcho,
  wireParams,
} from '@eventlog/core';
import { LiveReader } from '@eventlog/rx';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { encodeJson, responseTooLarge } from './response-body.js';
import { appendedCount, type ServerTelemetry } from './telemetry.js';
import { type TokenCheck, unauthorized } from './token.js';
import { readFrame } from './wire-message.js';

/**
 * Where a connection stands with the token: `authenticated` (by its upgrade, by its first request,
 * or because the server needs none), `pending` (no token yet: its first request must carry it) or
 * `rejected` (its upgrade carried a wrong one).
 */
export type ConnectionAuth = 'authenticated' | 'pending' | 'rejected';

/**
 * Lets an authenticated connection send frames up to the server's limit: it was accepted with the
 * small limit of unauthenticated connections. `ws` fixes a connection's limit when it accepts it
 * and has no public way to change it, so this sets its receiver's (a test holds it to that).
 */
function liftFrameLimit(ws: WebSocket, maxBytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver !== undefined && typeof receiver._maxPayload === 'number') receiver._maxPayload = maxBytes;
}

/** Settings shared by every connection of a server. */
export interface ConnectionSettings {
  log: EventLog<EventMap>;
  maxMessageBytes: number;
  highWaterMarkBytes: number;
  maxInFlight: number;
  maxSubscriptions: number;
  pageSize: number;
  /** Undefined when the server needs no token. */
  token: TokenCheck | undefined;
  /** How long a `pending` connection may wait before its first request. */
  authTimeoutMs: number;
  /** The largest response sent; larger ones are answered `LIMIT_EXCEEDED`. */
  maxResponseBytes: number;
  /** Where unexpected failures are written. */
  logger: Logger;
  /** How long the outgoing buffer may stay above the high-water mark without shrinking. */
  sendTimeoutMs: number;
  /** Close a connection with nothing to do after this long; 0: never. */
  idleTimeoutMs: number;
  /** Metrics, spans and the request log. */
  telemetry: ServerTelemetry;
}

const SUBSCRIBE_KEYS = ['instance', 'stream', 'where', 'after'];

/** Serves one WebSocket: see the module comment. */
export class ServerConnection {
  /** A pong or a frame arrived since the last heartbeat. */
  alive = true;
  private inflight = 0;
  private waitingForDrain = false;
  private paused = false;
  private closing = false;
  private subscriptionSeq = 0;
  private readonly subscriptions = new Map<string, LiveReader>();
  private lastFlush: Promise<void> = Promise.resolve();
  private readonly idleWaiters: Array<() => void> = [];
  private authTimer: NodeJS.Timeout | undefined;
  /** The connection was answered UNAUTHORIZED and is closing. */
  private refused = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();

  constructor(
    private readonly ws: WebSocket,
    private readonly settings: ConnectionSettings,
    private auth: ConnectionAuth,
  ) {
    if (auth !== 'authenticated') {
      this.authTimer = setTimeout(() => {
        if (this.auth !== 'authenticated') this.ws.close(UNAUTHORIZED_CLOSE_CODE, 'no token in time');
      }, settings.authTimeoutMs);
      this.authTimer.unref();
    }
    ws.on('message', (data) => {
      this.alive = true;
      this.lastActivity = Date.now();
      this.onFrame(data);
    });
    this.armIdleTimer(settings.idleTimeoutMs);
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.release());
    ws.on('error', () => {
      // 'close' follows; nothing to do but not crash the server
    });
  }

  /**
   * True while reading is paused because `maxInFlight` requests of this connection are running:
   * its pongs cannot be read meanwhile, so the heartbeat spares it.
   */
  get isServing(): boolean {
    return this.paused && this.inflight >= this.settings.maxInFlight;
  }

  /** Closes the connection once it has had nothing to do for `idleTimeoutMs` (see the option). */
  private armIdleTimer(ms: number): void {
    if (this.settings.idleTimeoutMs === 0) return;
    this.idleTimer = setTimeout(() => {
      const quiet = Date.now() - this.lastActivity;
      const busy = this.inflight > 0 || this.subscriptions.size > 0;
      if (busy || quiet < this.settings.idleTimeoutMs) {
        this.armIdleTimer(busy ? this.settings.idleTimeoutMs : this.settings.idleTimeoutMs - quiet);
        return;
      }
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(IDLE_CLOSE_CODE, 'idle');
    }, ms);
    this.idleTimer.unref();
  }

  /** Stops taking requests and subscriptions, waits for requests in flight, then closes with 1001. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.stopSubscriptions();
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.lastFlush;
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1001, 'server shutting down');
  }

  /** Closes the socket at once. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Sends a ping; the server terminates connections that answer none between two heartbeats. */
  ping(): void {
    try {
      this.ws.ping();
    } catch {
      // closing
    }
  }

  private release(): void {
    clearTimeout(this.authTimer);
    clearTimeout(this.idleTimer);
    this.stopSubscriptions();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private stopSubscriptions(): void {
    for (const reader of this.subscriptions.values()) reader.stop();
    this.settings.telemetry.subscriber('ws', -this.subscriptions.size);
    this.subscriptions.clear();
  }

  /**
   * Sends one small message (an event, an acknowledgement, an error); resolves `lastFlush` when it
   * has been written to the socket. A message that cannot be serialized is logged and, when it
   * answers a request, replaced by a `STORAGE_ERROR` envelope.
   */
  private send(message: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      const failed = this.unexpected(error, message, 'serializing a message');
      if (failed === undefined) return;
      text = JSON.stringify(failed);
    }
    this.sendChunks([text]);
  }

  /** Writes JSON text chunks as one message: one frame, or fragments of one message. */
  private sendChunks(chunks: readonly string[]): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.lastFlush = new Promise<void>((resolve) => {
      // Sent in one go: no other message may come between the fragments of this one.
      const last = chunks.length - 1;
      chunks.forEach((chunk, i) => {
        if (last === 0) this.ws.send(chunk, () => resolve());
        else this.ws.send(chunk, { fin: i === last }, i === last ? () => resolve() : undefined);
      });
    });
  }

  /**
   * Logs an unexpected failure; returns the `STORAGE_ERROR` envelope to send instead of `message`
   * when `message` answers a request (undefined for pushes, which are dropped).
   */
  private unexpected(error: unknown, message: unknown, doing: string): unknown {
    const echo = wireEcho(message);
    this.settings.logger.error(
      { err: error, requestId: echo.requestId, type: echo.type },
      `eventlog server: unexpected failure ${doing}; the client gets STORAGE_ERROR`,
    );
    if (echo.requestId === undefined) return undefined;
    return failureEnvelope(
      echo.type,
      storageError(
        `The server failed ${doing}: ${toEnvelopeError(error).message}. This is a bug; the server logged it and keeps running.`,
        error,
      ),
      echo.requestId,
    );
  }

  /**
   * Sends the envelope answering a request: once the socket's buffer is below the high-water mark,
   * serialized in chunks (see `response-body.ts`), over `maxResponseBytes` replaced by
   * `LIMIT_EXCEEDED`. Never rejects.
   */
  private async respond(envelope: unknown): Promise<void> {
    try {
      await this.drained();
      if (this.ws.readyState !== this.ws.OPEN) return;
      const body = await encodeJson(envelope, this.settings.maxResponseBytes);
      if (body.ok) {
        this.sendChunks(body.chunks);
      } else {
        const echo = wireEcho(envelope);
        this.send(
          failureEnvelope(echo.type, responseTooLarge(this.settings.maxResponseBytes), echo.requestId),
        );
      }
    } catch (error) {
      const failed = this.unexpected(error, envelope, 'serializing a response');
      if (failed !== undefined) this.send(failed);
    }
    this.afterSend();
  }

  /**
   * Resolves once the socket's buffer is below the high-water mark (or the socket is gone). A
   * client whose buffer does not shrink for `sendTimeoutMs` reads nothing: it is dropped, so what
   * the server holds for it stays bounded and its subscriptions stop.
   */
  private async drained(): Promise<void> {
    let lowest = this.ws.bufferedAmount;
    let progressAt = Date.now();
    while (this.ws.readyState === this.ws.OPEN && this.ws.bufferedAmount > this.settings.highWaterMarkBytes) {
      // The last write's callback means everything before it left the buffer; the timer is a fallback.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.lastFlush,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 50);
        }),
      ]);
      clearTimeout(timer);
      const amount = this.ws.bufferedAmount;
      if (amount < lowest) {
        lowest = amount;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > this.settings.sendTimeoutMs) {
        this.settings.logger.info(
          { bufferedBytes: amount, sendTimeoutMs: this.settings.sendTimeoutMs },
          'eventlog server: dropping a client that reads nothing',
        );
        this.ws.terminate();
        return;
      }
    }
  }

  private updateFlow(): void {
    const shouldPause = this.inflight >= this.settings.maxInFlight || this.waitingForDrain;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.ws.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.ws.resume();
    }
  }

  private afterSend(): void {
    if (this.waitingForDrain || this.ws.bufferedAmount <= this.settings.highWaterMarkBytes) return;
    this.waitingForDrain = true;
    this.updateFlow();
    void this.drained().then(() => {
      this.waitingForDrain = false;
      this.updateFlow();
    });
  }

  private reply(envelope: unknown): void {
    this.send(envelope);
    this.afterSend();
  }

  private onFrame(data: unknown): void {
    if (this.auth !== 'authenticated') {
      this.authenticate(data);
      return;
    }
    const frame = readFrame(data, this.settings.maxMessageBytes);
    if (!frame.ok) {
      this.reply(frame.envelope);
      return;
    }
    this.serveFrame(frame.request, frame.echo);
  }

  /**
   * The first frame of a connection that is not authenticated yet (small: the limit of such
   * connections): it must carry the right `token`; else it is answered `UNAUTHORIZED` and the
   * connection closed.
   */
  private authenticate(data: unknown): void {
    const frame = readFrame(data, this.settings.maxMessageBytes);
    const echo: WireEcho = frame.ok
      ? frame.echo
      : { type: frame.envelope.type, requestId: frame.envelope.requestId };
    const given = frame.ok ? frame.request.token : undefined;
    const check = this.settings.token;
    if (this.auth === 'pending' && check !== undefined && frame.ok && check.matches(given)) {
      this.auth = 'authenticated';
      clearTimeout(this.authTimer);
      liftFrameLimit(this.ws, this.settings.maxMessageBytes * 2);
      this.serveFrame(frame.request, frame.echo);
      return;
    }
    // Nothing more is served on this connection: later frames are dropped until it closes.
    if (this.refused) return;
    this.refused = true;
    const refusal = failureEnvelope(
      echo.type,
      unauthorized(this.auth === 'rejected' || given !== undefined ? 'wrong' : 'missing'),
      echo.requestId,
    );
    this.auth = 'rejected';
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(refusal), () => {
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(UNAUTHORIZED_CLOSE_CODE, 'unauthorized');
    });
  }

  private serveFrame(request: Record<string, unknown>, echo: WireEcho): void {
    // Authenticated: a token a client keeps sending is no part of the request.
    delete request.token;
    if (this.closing) {
      this.reply(
        failureEnvelope(
          echo.type,
          storageError(
            'The Event Log server is shutting down; reconnect and retry (appends with an eventId are safe to retry).',
          ),
          echo.requestId,
        ),
      );
      return;
    }
    this.inflight += 1;
    this.updateFlow();
    void this.serveAndRespond(request, echo);
  }

  /** Serves one request and sends its answer; counts as in flight until the answer is sent. Never rejects. */
  private async serveAndRespond(request: Record<string, unknown>, echo: WireEcho): Promise<void> {
    const method = echo.type.startsWith('eventLog.') ? echo.type.slice('eventLog.'.length) : 'unknown';
    const traced = this.settings.telemetry.begin(
      'ws',
      method,
      echo.requestId ?? globalThis.crypto.randomUUID(),
    );
    let envelope: unknown;
    try {
      envelope = await this.serve(request, echo);
    } catch (error) {
      envelope = this.unexpected(error, { ...echo, requestId: echo.requestId ?? '' }, 'serving a request');
    }
    try {
      if (envelope !== undefined) await this.respond(envelope);
    } finally {
      const answered = (envelope ?? { success: true }) as { success: boolean; code?: string };
      traced.end({ success: answered.success, code: answered.code, appended: appendedCount(envelope ?? {}) });
      this.inflight -= 1;
      this.updateFlow();
      if (this.inflight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Serves a request; resolves with the envelope to send, or undefined when it was sent already. */
  private async serve(request: Record<string, unknown>, echo: WireEcho): Promise<unknown> {
    if (echo.type === SUBSCRIBE_TYPE) return this.subscribe(request, echo.requestId);
    if (echo.type === UNSUBSCRIBE_TYPE) return this.unsubscribe(request, echo.requestId);
    // Reached only once authenticated: the answer tells a client its token was taken.
    if (echo.type === PING_TYPE) return successEnvelope(PING_TYPE, {}, echo.requestId);
    return dispatch(this.settings.log, request);
  }

  private async subscribe(request: Record<string, unknown>, requestId: string | undefined): Promise<unknown> {
    const store = this.settings.log.store;
    let params: Record<string, unknown>;
    let instanceId: string;
    let after: number;
    try {
      params = wireParams(checkWireRequest(request).params, SUBSCRIBE_KEYS, 'subscribe');
      const valid = validateReadAfter(params, store.limits);
      after = valid.after;
      instanceId = (await store.getInstance(valid.instance)).id;
    } catch (error) {
      return failureEnvelope(SUBSCRIBE_TYPE, error, requestId);
    }
    if (this.subscriptions.size >= this.settings.maxSubscriptions) {
      return failureEnvelope(
        SUBSCRIBE_TYPE,
        limitExceeded(
          `This connection already has ${this.settings.maxSubscriptions} subscriptions (maxSubscriptions); unsubscribe from one first.`,
          { limit: 'maxSubscriptions', max: this.settings.maxSubscriptions },
        ),
        requestId,
      );
    }
    if (this.closing || this.ws.readyState !== this.ws.OPEN) {
      return failureEnvelope(SUBSCRIBE_TYPE, storageError('The connection is closing.'), requestId);
    }
    this.subscriptionSeq += 1;
    const subscriptionId = `s${this.subscriptionSeq}`;
    const reader = new LiveReader({
      store,
      instance: instanceId,
      stream: params.stream as string | undefined,
      where: params.where as never,
      after,
      pageSize: Math.max(1, Math.min(this.settings.pageSize, store.limits.maxQueryLimit)),
      deliver: async (page: readonly EventRecord[]) => {
        for (const event of page) {
          if (!this.subscriptions.has(subscriptionId)) return;
          const message: EventMessage = { type: EVENT_TYPE, subscriptionId, event };
          this.send(message);
        }
        await this.drained();
      },
      onEnd: (end) => {
        if (this.subscriptions.delete(subscriptionId)) this.settings.telemetry.subscriber('ws', -1);
        const message: SubscriptionEndedMessage = {
          type: SUBSCRIPTION_ENDED_TYPE,
          subscriptionId,
          reason: end.kind,
          timestamp: nowIso(),
        };
        if (end.kind === 'error') {
          const error = toEnvelopeError(end.error);
          message.code = error.code;
          message.error = error.message;
        }
        this.send(message);
      },
    });
    this.subscriptions.set(subscriptionId, reader);
    this.settings.telemetry.subscriber('ws', 1);
    // The acknowledgement goes out before the first event: it is sent here, then the reader starts.
    const data: SubscribeData = { subscriptionId, instanceId, after };
    this.reply(successEnvelope(SUBSCRIBE_TYPE, data, requestId));
    reader.start();
    return undefined;
  }

  private async unsubscribe(
    request: Record<string, unknown>,
    requestId: string | undefined,
  ): Promise<unknown> {
    let id: unknown;
    try {
      id = wireParams(checkWireRequest(request).params, ['subscriptionId'], 'unsubscribe').subscriptionId;
      if (typeof id !== 'string')
        throw invalid('params.subscriptionId', `expected a string, got ${describeValue(id)}`);
    } catch (error) {
      return failureEnvelope(UNSUBSCRIBE_TYPE, error, requestId);
    }
    const reader = this.subscriptions.get(id);
    if (reader === undefined) {
      return failureEnvelope(
        UNSUBSCRIBE_TYPE,
        new EventLogError(
          'NOT_FOUND',
          `Subscription "${id}" was not found on this connection (it ended, or was never made here).`,
          { details: { subscriptionId: id } },
        ),
        requestId,
      );
    }
    reader.stop();
    if (this.subscriptions.delete(id)) this.settings.telemetry.subscriber('ws', -1);
    const data: UnsubscribeData = { subscriptionId: id };
    return successEnvelope(UNSUBSCRIBE_TYPE, data, requestId);
  }
}
