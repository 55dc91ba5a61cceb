/**
 * The checks every wire request gets, wherever it is served: {@link dispatch} for the nine methods,
 * the server for subscriptions. A request is `{ type, requestId?, params? }` and nothing else; params
 * are an object with known keys.
 */

import { describeValue, invalid } from '../validation/issues.js';
import { type MessageType, UNKNOWN_TYPE, type WireRequest } from './protocol.js';

/** What an answer echoes of a request: its `type` and `requestId`, when they are strings. */
export interface WireEcho {
  /** The request's type as sent, or {@link UNKNOWN_TYPE} when it is not a string. */
  type: MessageType;
  /** The request's id; undefined when it is not a string (the answer then gets a fresh one). */
  requestId: string | undefined;
}

/**
 * Reads what an answer to `request` echoes, without judging the request: never throws.
 *
 * @example wireEcho({ type: 'eventLog.nope', requestId: 'r1' }) // { type: 'eventLog.nope', requestId: 'r1' }
 */
export function wireEcho(request: unknown): WireEcho {
  const record =
    typeof request === 'object' && request !== null && !Array.isArray(request)
      ? (request as Record<string, unknown>)
      : {};
  const { type, requestId } = record;
  return {
    // Echoed as sent: the answer carries the type the client used, known or not.
    type: typeof type === 'string' ? (type as MessageType) : UNKNOWN_TYPE,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

const REQUEST_KEYS = ['type', 'requestId', 'params'];

/**
 * Checks the frame of a wire request: an object whose `requestId`, if any, is a string, with no keys
 * but `type`, `requestId` and `params` (a server removes `token` first). The `type` is left to the
 * caller, which knows the types it serves.
 *
 * @throws EventLogError `VALIDATION_ERROR` naming the location (`request`, `requestId`, the key)
 */
export function checkWireRequest(request: unknown): WireRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw invalid(
      'request',
      `expected a request { type: 'eventLog.<method>', requestId?, params }, got ${describeValue(request)}`,
    );
  }
  const record = request as Record<string, unknown>;
  const { type, requestId, params } = record;
  if (requestId !== undefined && typeof requestId !== 'string') {
    throw invalid('requestId', `expected a string, got ${describeValue(requestId)}`);
  }
  for (const key of Object.keys(record)) {
    if (record[key] !== undefined && !REQUEST_KEYS.includes(key)) {
      throw invalid(key, `is not a known key of a request; allowed keys are ${REQUEST_KEYS.join(', ')}`);
    }
  }
  const checked: WireRequest = { type: type as string, params };
  if (requestId !== undefined) checked.requestId = requestId;
  return checked;
}

/**
 * Checks a request's params: an object whose keys (those not `undefined`) are among `allowed`.
 * A method with no params (`allowed` empty) also accepts none at all.
 *
 * @param method the method's name, for messages (`getInstance`, `subscribe`)
 * @throws EventLogError `VALIDATION_ERROR` at `params` or `params.<key>`
 * @example
 * const { instanceId } = wireParams(request.params, ['instanceId'], 'getInstance');
 */
export function wireParams(
  params: unknown,
  allowed: readonly string[],
  method: string,
): Record<string, unknown> {
  if (params === undefined && allowed.length === 0) return {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalid(
      'params',
      `expected the ${method} params as an object${allowed.length > 0 ? ` { ${allowed.join(', ')} }` : ''}, got ${describeValue(params)}`,
    );
  }
  const record = params as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || record[key] === undefined || allowed.includes(key)) continue;
    throw invalid(
      `params.${key}`,
      `is not a known key of the ${method} params; allowed keys are ${allowed.length > 0 ? allowed.join(', ') : 'none'}`,
    );
  }
  return record;
}
