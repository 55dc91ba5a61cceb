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
