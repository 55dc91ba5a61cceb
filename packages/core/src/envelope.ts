/**
 * Envelopes, built in one place: the in-process {@link EventLog}, {@link dispatch}, the server and
 * the client all answer with {@link successEnvelope} and {@link failureEnvelope}, so a failure
 * looks the same whichever side noticed it.
 */

import { type EventLogError, storageError, toEventLogError } from './errors.js';
import { ERROR_CODES, type FailureEnvelope, type SuccessEnvelope } from './model.js';
import { nowIso } from './timestamp.js';

const randomId = () => globalThis.crypto.randomUUID();

/**
 * Turns anything thrown into an {@link EventLogError} an envelope can carry: one of the
 * {@link ERROR_CODES} and a string message. Unlike {@link toEventLogError} it never throws, whatever
 * was thrown (even a null-prototype object, or an error of another version with an unknown code).
 */
export function toEnvelopeError(error: unknown): EventLogError {
  try {
    const e = toEventLogError(error);
    if ((ERROR_CODES as readonly string[]).includes(e.code) && typeof e.message === 'string') return e;
    return storageError(
      `The storage backend failed with an unknown error code ${JSON.stringify(e.code)}.`,
      e,
    );
  } catch {
    return storageError('The storage backend failed with an error that cannot be printed.', error);
  }
}

/**
 * A successful envelope `{ type, success: true, data, timestamp, requestId }`.
 *
 * @param requestId default: a random UUID
 * @param timestamp default: now, as a canonical ISO string
 * @example
 * successEnvelope('eventLog.getInstance', { instance }, 'r1')
 */
export function successEnvelope<M extends string, D>(
  type: `eventLog.${M}`,
  data: D,
  requestId: string = randomId(),
  timestamp: string = nowIso(),
): SuccessEnvelope<M, D> {
  return { type, success: true, data, timestamp, requestId };
}

/**
 * A failed envelope `{ type, success: false, error, code, details?, timestamp, requestId }` for
 * anything thrown: an {@link EventLogError} gives its message, code and details; anything else is a
 * `STORAGE_ERROR` (see {@link toEnvelopeError}).
 *
 * @param requestId default: a random UUID
 * @param timestamp default: now, as a canonical ISO string
 * @example
 * failureEnvelope('eventLog.unsubscribe', new EventLogError('NOT_FOUND', 'No such subscription.'), 'r2')
 */
export function failureEnvelope<M extends string>(
  type: `eventLog.${M}`,
  error: unknown,
  requestId: string = randomId(),
  timestamp: string = nowIso(),
): FailureEnvelope<M> {
  const e = toEnvelopeError(error);
  const envelope: FailureEnvelope<M> = {
    type,
    success: false,
    error: e.message,
    code: e.code,
    timestamp,
    requestId,
  };
  if (e.details !== undefined) envelope.details = e.details;
  return envelope;
}
