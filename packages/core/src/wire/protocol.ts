/**
 * The wire protocol between `@eventlog/client` and the `eventlog` server, as data: both sides (and
 * {@link dispatch}) take these names from here. Every message is one JSON text frame. Requests and
 * their envelopes are the API document's; subscriptions are an extension that pushes events on the
 * same socket.
 *
 * ```
 * → { type: 'eventLog.<method>', requestId, params, token? }
 * ← { type: 'eventLog.<method>', requestId, success, data | error + code, timestamp }
 * → { type: 'eventLog.subscribe', requestId, params: { instance, stream?, where?, after? }, token? }
 * ← { type: 'eventLog.subscribe', requestId, success: true, data: { subscriptionId, instanceId, after }, … }
 * ← { type: 'eventLog.event', subscriptionId, event }                     (in global_position order)
 * ← { type: 'eventLog.subscriptionEnded', subscriptionId, reason, … }     (instance deleted, or an error)
 * → { type: 'eventLog.unsubscribe', requestId, params: { subscriptionId }, token? }
 * → { type: 'eventLog.ping', requestId, params: {} }  ← { type: 'eventLog.ping', success: true, data: {} } (or UNAUTHORIZED)
 * ```
 */

import type { Condition, Envelope, ErrorCode, EventRecord } from '../model.js';

/**
 * The `type` of every message: `eventLog.<method>` for requests and their envelopes. Envelopes echo
 * a request's type as it was sent, so a server may answer with any string it received here.
 */
export type MessageType = `eventLog.${string}`;

/** The type of an envelope answering a message whose own type cannot be read. */
export const UNKNOWN_TYPE = 'eventLog.unknown';

/** The type of a subscribe request and of its acknowledging envelope. */
export const SUBSCRIBE_TYPE = 'eventLog.subscribe';
/** The type of an unsubscribe request and of its envelope. */
export const UNSUBSCRIBE_TYPE = 'eventLog.unsubscribe';
/**
 * The type of a ping: the server answers `{ success: true, data: {} }` once the connection is
 * authenticated (and `UNAUTHORIZED` otherwise), so a client knows its token was taken before it
 * reports itself connected.
 */
export const PING_TYPE = 'eventLog.ping';
/** The type of a pushed event. */
export const EVENT_TYPE = 'eventLog.event';
/** The type of the message that ends a subscription from the server side. */
export const SUBSCRIPTION_ENDED_TYPE = 'eventLog.subscriptionEnded';

/**
 * The largest message, in UTF-8 bytes, the server accepts by default (32 MiB: room for a full
 * 16 MiB `appendEvents` batch and its JSON overhead). The client checks the same bound before
 * sending, so an oversized request fails fast with `LIMIT_EXCEEDED`.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

/**
 * The largest response, in UTF-8 bytes, the server sends by default (64 MiB, `eventlog serve
 * --max-response-bytes`): a larger one is answered with `LIMIT_EXCEEDED` instead. The client
 * accepts messages up to twice this size by default, so a server at its default never sends a
 * client more than it takes.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The close code a server uses for a WebSocket refused for its token (`UNAUTHORIZED`). */
export const UNAUTHORIZED_CLOSE_CODE = 4401;

/**
 * The close code a server uses for a WebSocket that had nothing to do for its idle timeout; a
 * client reconnects when it next needs the server.
 */
export const IDLE_CLOSE_CODE = 4408;

/** The WebSocket subprotocol of the server; browsers offer it beside the token's. */
export const WS_PROTOCOL = 'eventlog';

/**
 * The prefix of the WebSocket subprotocol that carries a token in the handshake, as
 * `eventlog.bearer.<base64url of the token's UTF-8>`: how browsers, which cannot set headers on a
 * WebSocket, authenticate.
 */
export const WS_TOKEN_PROTOCOL_PREFIX = 'eventlog.bearer.';

/**
 * A wire request as {@link dispatch} serves it: `{ type: 'eventLog.<method>', requestId, params }`
 * (see {@link readWireRequest} for the checks).
 */
export interface WireRequest {
  type: string;
  requestId?: string;
  params?: unknown;
}

/** A request as sent on the wire. `token` is only needed when the server was started with one. */
export interface WireRequestMessage {
  type: string;
  requestId: string;
  params?: unknown;
  token?: string;
}

/** Params of `eventLog.subscribe`: the same options as `liveEvents` of `@eventlog/rx`. */
export interface SubscribeParams {
  /** The instance's id or name. It must exist (else `NOT_FOUND`). */
  instance: string;
  /** Only this stream's events. */
  stream?: string;
  /** Only events matching every condition (the query DSL's `where`). */
  where?: Condition[];
  /** Only events with `global_position > after`. Default 0: from the start. */
  after?: number;
}

/** Data of a successful `eventLog.subscribe` envelope. */
export interface SubscribeData {
  /** Names the subscription in pushed messages and in `eventLog.unsubscribe`. Valid on this connection only. */
  subscriptionId: string;
  /** The instance's id. */
  instanceId: string;
  /** Events after this position will be pushed. */
  after: number;
}

/** Params and data of `eventLog.unsubscribe`. */
export interface UnsubscribeData {
  subscriptionId: string;
}

/** The envelope acknowledging a subscribe request. */
export type SubscribeEnvelope = Envelope<'subscribe', SubscribeData>;

/** A pushed event of a subscription. */
export interface EventMessage {
  type: typeof EVENT_TYPE;
  subscriptionId: string;
  event: EventRecord;
}

/**
 * Sent when the server ends a subscription: `reason: 'deleted'` when the instance was deleted,
 * `reason: 'error'` (with `code` and `error`) when reading failed.
 */
export interface SubscriptionEndedMessage {
  type: typeof SUBSCRIPTION_ENDED_TYPE;
  subscriptionId: string;
  reason: 'deleted' | 'error';
  code?: ErrorCode;
  error?: string;
  timestamp: string;
}
