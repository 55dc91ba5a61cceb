/**
 * {@link dispatch}: serves a wire request through any {@link EventLog}, answering with the log's
 * own envelope under the request's `type` and `requestId`.
 */

import { failureEnvelope } from '../envelope.js';
import type { EventLog } from '../event-log.js';
import {
  type AppendEventParams,
  type AppendEventsParams,
  type DeleteStreamParams,
  type Envelope,
  type EventMap,
  type ForgetSubjectParams,
  type InstanceUpdate,
  type MethodName,
  type PruneExpiredParams,
  type Query,
  type SetRetentionParams,
  type TruncateStreamParams,
  WIRE_METHODS,
} from '../model.js';
import type { DefineRollupParams, DropRollupParams, ListRollupsParams } from '../rollup.js';
import { nowIso } from '../timestamp.js';
import { describeValue, invalid } from '../validation/issues.js';
import { checkWireRequest, wireEcho, wireParams } from './wire-request.js';

type AnyEnvelope = Envelope<string, unknown>;

// The log validates every input itself; the casts below only pass wire data, still unknown, through
// the log's typed signatures.
type WireHandler = (log: EventLog<EventMap>, params: unknown) => Promise<AnyEnvelope>;

const WIRE_HANDLERS: Record<MethodName, WireHandler> = {
  createInstance: (log, p) => {
    const { name, description } = wireParams(p, ['name', 'description'], 'createInstance');
    return log.createInstance(name as string, description as string | undefined);
  },
  getInstance: (log, p) => log.getInstance(wireParams(p, ['instanceId'], 'getInstance').instanceId as string),
  listInstances: (log, p) => {
    wireParams(p, [], 'listInstances');
    return log.listInstances();
  },
  updateInstance: (log, p) => {
    const { instanceId, ...updates } = wireParams(p, ['instanceId', 'name', 'description'], 'updateInstance');
    return log.updateInstance(instanceId as string, updates as InstanceUpdate);
  },
  deleteInstance: (log, p) =>
    log.deleteInstance(wireParams(p, ['instanceId'], 'deleteInstance').instanceId as string),
  // Append params are validated in full (unknown keys included) by the validators.
  appendEvent: (log, p) => log.appendEvent(p as AppendEventParams),
  appendEvents: (log, p) => log.appendEvents(p as AppendEventsParams),
  queryEvents: (log, p) => log.queryEvents(wireParams(p, ['query'], 'queryEvents').query as Query),
  pageEvents: (log, p) => log.pageEvents(wireParams(p, ['query'], 'pageEvents').query as Query),
  getInstanceStats: (log, p) =>
    log.getInstanceStats(wireParams(p, ['instanceId'], 'getInstanceStats').instanceId as string),
  // The lifecycle params are validated in full (unknown keys included) by the store.
  deleteStream: (log, p) => log.deleteStream(p as DeleteStreamParams),
  truncateStream: (log, p) => log.truncateStream(p as TruncateStreamParams),
  setRetention: (log, p) => log.setRetention(p as SetRetentionParams),
  pruneExpired: (log, p) => log.pruneExpired((p ?? {}) as PruneExpiredParams),
  forgetSubject: (log, p) => log.forgetSubject(p as ForgetSubjectParams),
  // The rollup params are validated in full by the store.
  defineRollup: (log, p) => log.defineRollup(p as DefineRollupParams),
  listRollups: (log, p) => log.listRollups(p as ListRollupsParams),
  dropRollup: (log, p) => log.dropRollup(p as DropRollupParams),
};

/** The method a request type names, or a `VALIDATION_ERROR` listing the types there are. */
function methodOf(type: unknown): MethodName {
  const method = typeof type === 'string' && type.startsWith('eventLog.') ? type.slice(9) : undefined;
  if (method === undefined || !(WIRE_METHODS as readonly string[]).includes(method)) {
    throw invalid(
      'type',
      `${describeValue(type)} is not a request type; types are ${WIRE_METHODS.map((m) => `eventLog.${m}`).join(', ')}`,
    );
  }
  return method as MethodName;
}

/** The log's clock, for envelopes the log itself does not make; never throws. */
function timestampOf(log: EventLog<EventMap>): string {
  try {
    return log.store.now();
  } catch {
    return nowIso();
  }
}

/**
 * Serves one wire request `{ type: 'eventLog.<method>', requestId?, params }` (see
 * {@link WireRequest}) with the log's envelope, carrying the request's `type` and `requestId`
 * (a fresh id when it has none). Params are as the API document's client sends them:
 * `{ name, description }`, `{ instanceId }`, `{ instanceId, ...updates }`, the append params,
 * `{ query }`; `listInstances` takes none; the lifecycle methods take their params object
 * (`{ instanceId, streamId, expectedVersion? }`, …, `pruneExpired` `{ instanceId? }` or none,
 * `forgetSubject` `{ subjectId }`). Never rejects: a malformed request, an unknown `type`
 * or unknown params keys give a `VALIDATION_ERROR` envelope.
 *
 * @example
 * const envelope = await dispatch(log, { type: 'eventLog.getInstance', requestId: 'r1', params: { instanceId: 'audit' } });
 * // { type: 'eventLog.getInstance', requestId: 'r1', success: true, data: { instance } , … }
 */
export async function dispatch(log: EventLog<EventMap>, request: unknown): Promise<AnyEnvelope> {
  const echo = wireEcho(request);
  const requestId = echo.requestId ?? globalThis.crypto.randomUUID();
  try {
    const { type, params } = checkWireRequest(request);
    const envelope = await WIRE_HANDLERS[methodOf(type)](log, params);
    envelope.requestId = requestId;
    return envelope;
  } catch (thrown) {
    return failureEnvelope(echo.type, thrown, requestId, timestampOf(log));
  }
}
