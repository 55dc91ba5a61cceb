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
  dispatch,
  EVENT_TYPE,
  type EventLog,
  type EventMap,
  type EventRecord,
  SUBSCRIBE_TYPE,
  SUBSCRIPTION_ENDED_TYPE,
  toEventLogError,
  UNSUBSCRIBE_TYPE,
  validateReadAfter,
} from '@eventlog/core';
import { LiveReader } from '@eventlog/rx';
import type { WebSocket } from 'ws';
import type { TokenCheck } from './token.js';
import { type ErrorEnvelope, errorEnvelope, readFrame } from './wire-message.js';

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

  constructor(
    private readonly ws: WebSocket,
    private readonly settings: ConnectionSettings,
    /** True when the upgrade carried the right `Authorization: Bearer` token. */
    private readonly authenticated: boolean,
  ) {
    ws.on('message', (data) => {
      this.alive = true;
      this.onFrame(data);
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.release());
    ws.on('error', () => {
      // 'close' follows; nothing to do but not crash the server
    });
  }

  /** True while reading is paused for backpressure (the heartbeat spares such connections). */
  get isPaused(): boolean {
    return this.paused;
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
    this.stopSubscriptions();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private stopSubscriptions(): void {
    for (const follower of this.subscriptions.values()) follower.stop();
    this.subscriptions.clear();
  }

  /** Sends one message; resolves `lastFlush` when it has been written to the socket. */
  private send(message: unknown): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(message);
    this.lastFlush = new Promise<void>((resolve) => {
      this.ws.send(text, () => resolve());
    });
  }

  /** Resolves once the socket's buffer is below the high-water mark (or the socket is gone). */
  private async drained(): Promise<void> {
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
    const frame = readFrame(data, this.settings.maxMessageBytes);
    if (!frame.ok) {
      this.reply(frame.envelope);
      return;
    }
    const { request, type, requestId } = frame;
    const refuse = this.checkToken(request, type, requestId);
    if (refuse !== undefined) {
      this.reply(refuse);
      return;
    }
    if (this.closing) {
      this.reply(
        errorEnvelope(
          type,
          requestId,
          'STORAGE_ERROR',
          'The Event Log server is shutting down; reconnect and retry (appends with an eventId are safe to retry).',
        ),
      );
      return;
    }
    this.inflight += 1;
    this.updateFlow();
    void this.serve(request, type, requestId)
      .catch((error: unknown) =>
        errorEnvelope(
          type,
          requestId,
          'STORAGE_ERROR',
          `The server failed: ${toEventLogError(error).message}`,
        ),
      )
      .then((envelope) => {
        this.inflight -= 1;
        if (envelope !== undefined) this.reply(envelope);
        this.updateFlow();
        if (this.inflight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
  }

  /** Checks and removes `token`; returns the envelope to refuse the request with, if any. */
  private checkToken(
    request: Record<string, unknown>,
    type: string | undefined,
    requestId: string | undefined,
  ): ErrorEnvelope | undefined {
    const given = request.token;
    delete request.token;
    const check = this.settings.token;
    if (check === undefined || this.authenticated) return undefined;
    if (check.matches(given)) return undefined;
    return errorEnvelope(
      type,
      requestId,
      'VALIDATION_ERROR',
      given === undefined
        ? 'Unauthorized: this Event Log server needs a token. Send it as "Authorization: Bearer <token>" when connecting, or as "token" in each request (connect(url, { token }) does both).'
        : 'Unauthorized: the token is wrong. Use the token the server was started with (eventlog serve --token).',
      { reason: 'unauthorized' },
    );
  }

  /** Serves a request; resolves with the envelope to send, or undefined when it was sent already. */
  private async serve(
    request: Record<string, unknown>,
    type: string | undefined,
    requestId: string | undefined,
  ): Promise<unknown> {
    if (type === SUBSCRIBE_TYPE) return this.subscribe(request, requestId);
    if (type === UNSUBSCRIBE_TYPE) return this.unsubscribe(request, requestId);
    return dispatch(this.settings.log, request);
  }

  private checkRequestKeys(request: Record<string, unknown>, type: string, requestId: string | undefined) {
    if (request.requestId !== undefined && typeof request.requestId !== 'string') {
      return errorEnvelope(type, undefined, 'VALIDATION_ERROR', 'requestId: expected a string.');
    }
    for (const key of Object.keys(request)) {
      if (request[key] !== undefined && key !== 'type' && key !== 'requestId' && key !== 'params') {
        return errorEnvelope(
          type,
          requestId,
          'VALIDATION_ERROR',
          `${key}: is not a known key of a request; allowed keys are type, requestId, params, token.`,
        );
      }
    }
    return undefined;
  }

  private paramsObject(
    request: Record<string, unknown>,
    allowed: readonly string[],
    type: string,
    requestId: string | undefined,
  ): { ok: true; params: Record<string, unknown> } | { ok: false; envelope: ErrorEnvelope } {
    const bad = this.checkRequestKeys(request, type, requestId);
    if (bad !== undefined) return { ok: false, envelope: bad };
    const params = request.params;
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      return {
        ok: false,
        envelope: errorEnvelope(
          type,
          requestId,
          'VALIDATION_ERROR',
          `params: expected an object { ${allowed.join(', ')} }.`,
        ),
      };
    }
    const record = params as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] !== undefined && !allowed.includes(key)) {
        return {
          ok: false,
          envelope: errorEnvelope(
            type,
            requestId,
            'VALIDATION_ERROR',
            `params.${key}: is not a known key of the ${type} params; allowed keys are ${allowed.join(', ')}.`,
          ),
        };
      }
    }
    return { ok: true, params: record };
  }

  private async subscribe(request: Record<string, unknown>, requestId: string | undefined): Promise<unknown> {
    const checked = this.paramsObject(request, SUBSCRIBE_KEYS, SUBSCRIBE_TYPE, requestId);
    if (!checked.ok) return checked.envelope;
    const { params } = checked;
    const store = this.settings.log.store;
    const fail = (error: unknown) => {
      const e = toEventLogError(error);
      return errorEnvelope(SUBSCRIBE_TYPE, requestId, e.code, e.message, e.details);
    };
    let instanceId: string;
    let after: number;
    try {
      const valid = validateReadAfter(params, store.limits);
      after = valid.after;
      instanceId = (await store.getInstance(valid.instance)).id;
    } catch (error) {
      return fail(error);
    }
    if (this.subscriptions.size >= this.settings.maxSubscriptions) {
      return errorEnvelope(
        SUBSCRIBE_TYPE,
        requestId,
        'LIMIT_EXCEEDED',
        `This connection already has ${this.settings.maxSubscriptions} subscriptions (maxSubscriptions); unsubscribe from one first.`,
        { limit: 'maxSubscriptions', max: this.settings.maxSubscriptions },
      );
    }
    if (this.closing || this.ws.readyState !== this.ws.OPEN) {
      return errorEnvelope(SUBSCRIBE_TYPE, requestId, 'STORAGE_ERROR', 'The connection is closing.');
    }
    this.subscriptionSeq += 1;
    const subscriptionId = `s${this.subscriptionSeq}`;
    const follower = new LiveReader({
      store,
      instance: instanceId,
      stream: params.stream as string | undefined,
      where: params.where as never,
      after,
      pageSize: Math.max(1, Math.min(this.settings.pageSize, store.limits.maxQueryLimit)),
      deliver: async (page: readonly EventRecord[]) => {
        for (const event of page) {
          if (!this.subscriptions.has(subscriptionId)) return;
          this.send({ type: EVENT_TYPE, subscriptionId, event });
        }
        await this.drained();
      },
      onEnd: (end) => {
        this.subscriptions.delete(subscriptionId);
        const message: Record<string, unknown> = {
          type: SUBSCRIPTION_ENDED_TYPE,
          subscriptionId,
          reason: end.kind,
          timestamp: new Date().toISOString(),
        };
        if (end.kind === 'error') {
          const error = toEventLogError(end.error);
          message.code = error.code;
          message.error = error.message;
        }
        this.send(message);
      },
    });
    this.subscriptions.set(subscriptionId, follower);
    // The acknowledgement goes out before the first event: it is sent here, then the follower starts.
    const ack = {
      type: SUBSCRIBE_TYPE,
      success: true,
      data: { subscriptionId, instanceId, after },
      timestamp: new Date().toISOString(),
      requestId: requestId ?? globalThis.crypto.randomUUID(),
    };
    this.reply(ack);
    follower.start();
    return undefined;
  }

  private async unsubscribe(
    request: Record<string, unknown>,
    requestId: string | undefined,
  ): Promise<unknown> {
    const checked = this.paramsObject(request, ['subscriptionId'], UNSUBSCRIBE_TYPE, requestId);
    if (!checked.ok) return checked.envelope;
    const id = checked.params.subscriptionId;
    if (typeof id !== 'string') {
      return errorEnvelope(
        UNSUBSCRIBE_TYPE,
        requestId,
        'VALIDATION_ERROR',
        'params.subscriptionId: expected a string.',
      );
    }
    const follower = this.subscriptions.get(id);
    if (follower === undefined) {
      return errorEnvelope(
        UNSUBSCRIBE_TYPE,
        requestId,
        'NOT_FOUND',
        `Subscription "${id}" was not found on this connection (it ended, or was never made here).`,
        { subscriptionId: id },
      );
    }
    follower.stop();
    this.subscriptions.delete(id);
    return {
      type: UNSUBSCRIBE_TYPE,
      success: true,
      data: { subscriptionId: id },
      timestamp: new Date().toISOString(),
      requestId: requestId ?? globalThis.crypto.randomUUID(),
    };
  }
}
