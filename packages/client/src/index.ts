/**
 * `@eventlog/client` — the API document's Event Log client over WebSocket: {@link connect} returns
 * `{ eventLog, waitForConnection(), subscribe(), close() }`, where `eventLog` has the nine methods
 * with the same envelopes as in-process. Works in Node (`ws`) and in browsers (global `WebSocket`).
 *
 * @example
 * import { connect } from '@eventlog/client';
 *
 * const client = connect('ws://127.0.0.1:4000');
 * await client.waitForConnection();
 * await client.eventLog.appendEvent({ instanceId: 'audit-log', eventType: 'login', autoCreateInstance: true });
 * await client.close();
 */

// The wire protocol lives in @eventlog/core (the server uses it too); re-exported here unchanged.
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  EVENT_TYPE,
  type EventMessage,
  SUBSCRIBE_TYPE,
  SUBSCRIPTION_ENDED_TYPE,
  type SubscribeData,
  type SubscribeEnvelope,
  type SubscribeParams,
  type SubscriptionEndedMessage,
  UNSUBSCRIBE_TYPE,
  type UnsubscribeData,
  type WireRequestMessage,
} from '@eventlog/core';
export type { RequestOutcome, WireEnvelope } from './client-connection.js';
export { type ConnectOptions, connect, type EventLogClient, type RemoteEventLog } from './connect.js';
export type { RemoteSubscription, SubscribeOptions, SubscriptionEnd } from './remote-subscriptions.js';
export type { WebSocketConstructor, WebSocketEventLike, WebSocketLike } from './websocket.js';
export { toWireJson } from './wire-json.js';
