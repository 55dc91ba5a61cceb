/**
 * The one way the MCP server reaches the log: core's `dispatch` with the wire params, as the
 * WebSocket server does, so validation, messages and envelopes are the same on every path.
 */

import type { RemoteEventLog } from '@eventlog/client';
import { dispatch, type Envelope, type EventLog, type MethodName } from '@eventlog/core';

/** An envelope of any method. */
export type AnyEnvelope = Envelope<string, unknown>;

/** A log the MCP server can serve: one in this process, or a server's through `@eventlog/client`. */
export type ServedLog = EventLog | RemoteEventLog;

/** Sends one wire request and resolves to its envelope (never rejects). */
export type Dispatch = (method: MethodName, params: unknown) => Promise<AnyEnvelope>;

/** The {@link Dispatch} of a log. */
export function wireDispatch(log: ServedLog): Dispatch {
  // dispatch only calls the nine methods, which a remote log has as well.
  const served = log as EventLog;
  return (method, params) => dispatch(served, { type: `eventLog.${method}`, params }) as Promise<AnyEnvelope>;
}
