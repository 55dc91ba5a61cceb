import type { ErrorCode } from './model.js';

const MARKER = Symbol.for('@eventlog/core/EventLogError');

/** Options of {@link EventLogError}. */
export interface EventLogErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error family of Event Log. `code` is one of the envelope error codes; `message` is a
 * sentence a person can act on. Check with {@link EventLogError.isInstance} (structural, so it
 * works across copies of this package) rather than `instanceof`.
 *
 * @example
 * try { await log.store.appendEvent(params) }
 * catch (e) { if (EventLogError.isInstance(e) && e.code === 'CONFLICT') retry() }
 */
export class EventLogError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: EventLogErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EventLogError';
    this.code = code;
    this.details = options.details;
  }

  /** True for any EventLogError, whichever copy of the package created it. */
  static isInstance(value: unknown): value is EventLogError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[MARKER] === true &&
      typeof (value as { code?: unknown }).code === 'string'
    );
  }
}

/** `VALIDATION_ERROR`: the input has the wrong shape. */
export function validationError(message: string, details?: Record<string, unknown>): EventLogError {
  return new EventLogError('VALIDATION_ERROR', message, { details });
}

/** `LIMIT_EXCEEDED`: a configurable cap was passed. */
export function limitExceeded(message: string, details?: Record<string, unknown>): EventLogError {
  return new EventLogError('LIMIT_EXCEEDED', message, { details });
}

/** `NOT_FOUND` for an instance reference. */
export function instanceNotFound(ref: string): EventLogError {
  return new EventLogError(
    'NOT_FOUND',
    `Instance "${ref}" was not found: no instance has this id or name. Create it with createInstance, or pass autoCreateInstance: true when appending.`,
    { details: { instance: ref } },
  );
}

/** Details of a version `CONFLICT`. */
export interface ConflictDetails {
  streamId: string;
  expectedVersion: number | string;
  actualVersion: number;
}

/** `CONFLICT`: the stream is not at the expected version. */
export function versionConflict(details: ConflictDetails): EventLogError {
  return new EventLogError(
    'CONFLICT',
    `Stream "${details.streamId}" is at version ${details.actualVersion}, but expectedVersion was ${JSON.stringify(details.expectedVersion)}. Reload the stream and retry with the current version.`,
    { details: { ...details } },
  );
}

/** Details of a condition `CONFLICT` (SPEC §8). */
export interface ConditionConflictDetails {
  /** The condition's `after` (0 when the caller gave none). */
  after: number;
  /** The global position of the first event after `after` that matches the condition. */
  position: number;
}

/**
 * `CONFLICT`: an event matching the append's condition arrived after `after`.
 * `details: { condition: true, after, position }`.
 */
export function conditionConflict(details: ConditionConflictDetails): EventLogError {
  return new EventLogError(
    'CONFLICT',
    `The append's condition failed: the event at position ${details.position} matches failIfEventsMatch and arrived after position ${details.after}, so nothing was written. Read the matching events again and decide again (decide() retries this for you).`,
    { details: { condition: true, after: details.after, position: details.position } },
  );
}

/** True for the `CONFLICT` of a failed append condition ({@link conditionConflict}). */
export function isConditionConflict(error: unknown): error is EventLogError {
  return EventLogError.isInstance(error) && error.code === 'CONFLICT' && error.details?.condition === true;
}

/**
 * `STORAGE_ERROR`: the backend failed. The driver error is kept as `cause`, with the failing
 * statement when there is one.
 */
export function storageError(message: string, cause?: unknown, statement?: string): EventLogError {
  return new EventLogError('STORAGE_ERROR', message, {
    cause,
    details: statement === undefined ? undefined : { statement },
  });
}

/** Turns anything thrown into an EventLogError; unknown errors become `STORAGE_ERROR`. */
export function toEventLogError(error: unknown): EventLogError {
  if (EventLogError.isInstance(error)) return error;
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    // Objects without a prototype (or with a throwing toString) cannot be stringified.
    text = `an error that cannot be printed (${Object.prototype.toString.call(error)})`;
  }
  return storageError(`The storage backend failed: ${text}`, error);
}

/** An instance's identity, as the uniqueness rules of instance references see it. */
export interface InstanceIdentity {
  id: string;
  name: string;
}

/**
 * The rules that keep every instance reference unambiguous (SPEC §3: a reference is an id or a
 * name, the id checked first): a name may be neither another instance's name nor another
 * instance's id, and a new id may be neither. Returns the `ALREADY_EXISTS` error to throw, or
 * undefined when `wanted` is free. Every adapter applies these rules with the same messages.
 *
 * @param others the instances, other than the one being renamed, whose id or name equals
 *   `wanted.name` or `wanted.id` (more may be passed; only those matter)
 * @param wanted the name, and for a new instance its id; `creating` picks the message's advice
 */
export function instanceClash(
  others: Iterable<InstanceIdentity>,
  wanted: { name: string; id?: string },
  creating: boolean,
): EventLogError | undefined {
  const { name, id } = wanted;
  let nameIsAnId = false;
  let idTaken = false;
  for (const other of others) {
    if (other.name === name) {
      return new EventLogError(
        'ALREADY_EXISTS',
        `An instance named "${name}" already exists. Choose another name${creating ? ', or use the existing instance' : ''}.`,
        { details: { name } },
      );
    }
    if (other.id === name) nameIsAnId = true;
    if (id !== undefined && (other.id === id || other.name === id)) idTaken = true;
  }
  if (nameIsAnId) {
    return new EventLogError(
      'ALREADY_EXISTS',
      `An instance whose id is "${name}" already exists, so "${name}" cannot name another instance (references accept ids and names). Choose another name.`,
      { details: { name } },
    );
  }
  if (idTaken) {
    return new EventLogError(
      'ALREADY_EXISTS',
      `An instance with id or name "${id}" already exists. Choose another id.`,
      { details: { id } },
    );
  }
  return undefined;
}

/**
 * `CONFLICT` of a key-value compare-and-set: the key is not at the version the caller expected
 * (`null`: expected absent; `actual` null: it is absent).
 */
export function kvConflict(
  namespace: string,
  key: string,
  expected: number | null,
  actual: number | null,
): EventLogError {
  const now = actual === null ? 'does not exist' : `is at version ${actual}`;
  const wanted = expected === null ? 'must not exist' : `was expected at version ${expected}`;
  return new EventLogError(
    'CONFLICT',
    `Key "${key}" in namespace "${namespace}" ${now}, but it ${wanted}. Read it again and retry.`,
    { details: { namespace, key, expectedVersion: expected, actualVersion: actual } },
  );
}
