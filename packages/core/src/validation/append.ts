/**
 * Validation of `appendEvent` and `appendEvents` params into the adapter's {@link AppendRequest}:
 * shapes with zod, payloads and metadata with {@link toJsonObject}, timestamps with
 * {@link normalizeTimestamp}, then limits — all before anything is written.
 *
 * The batch path is hot (10,000-event batches): zod checks the shapes in one pass, then one loop
 * builds each {@link NewEvent} without further per-event schema work.
 */

import { z } from 'zod';
import type { AppendRequest, NewEvent, StreamVersionCheck, VersionCheck } from '../adapter.js';
import { limitExceeded } from '../errors.js';
import { toSizedJsonObject } from '../json.js';
import { isReservedName } from '../lifecycle.js';
import type { Limits } from '../limits.js';
import type { ExpectedVersion, JsonObject } from '../model.js';
import { normalizeTimestamp } from '../timestamp.js';
import {
  appendConditionSchema,
  expectedVersionsSchema,
  isValidTags,
  normalizeTags,
  type ParsedCondition,
  streamVersionChecks,
  tagsSchema,
  toConditionSpec,
} from './boundaries.js';
import { describeValue, invalid } from './issues.js';
import { eventIdSchema, eventTypeSchema, instanceRefSchema, nameProblem, streamIdSchema } from './names.js';
import { paramsObject, parseWith } from './schema.js';

/** The stream of events that name none. */
export const DEFAULT_STREAM = 'default';

const expectedVersionError = (issue: { input?: unknown }) =>
  `expected a version: a non-negative integer (the stream's last sequence number; 0 means no events), "no_stream", "any" or "stream_exists"; got ${describeValue(issue.input)}`;

/** `expectedVersion`: a non-negative safe integer, `'no_stream'`, `'any'` or `'stream_exists'`. */
export const expectedVersionSchema = z.union(
  [
    z
      .number({ error: expectedVersionError })
      .int({ error: expectedVersionError })
      .min(0, { error: expectedVersionError })
      .max(Number.MAX_SAFE_INTEGER, { error: expectedVersionError }),
    z.enum(['no_stream', 'any', 'stream_exists'], { error: expectedVersionError }),
  ],
  { error: expectedVersionError },
);

const autoCreateSchema = z.boolean({
  error: (issue) => `expected true or false, got ${describeValue(issue.input)}`,
});

/** Fields of one event, in both spellings. Payload, metadata and timestamp are checked after zod. */
const eventFields = {
  streamId: streamIdSchema.optional(),
  stream_id: streamIdSchema.optional(),
  eventType: eventTypeSchema.optional(),
  event_type: eventTypeSchema.optional(),
  payload: z.unknown().optional(),
  metadata: z.unknown().optional(),
  timestamp: z.unknown().optional(),
  eventId: eventIdSchema.optional(),
  tags: tagsSchema.optional(),
};

/** One event of `appendEvents` (shape only). */
export const newEventInputSchema = paramsObject(eventFields, 'an event');

/** The params of `appendEvent` (shape only). */
export const appendEventParamsSchema = paramsObject(
  {
    instanceId: instanceRefSchema,
    ...eventFields,
    expectedVersion: expectedVersionSchema.optional(),
    condition: appendConditionSchema.optional(),
    autoCreateInstance: autoCreateSchema.optional(),
  },
  'the appendEvent params',
);

const eventsArraySchema = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: (issue) => `expected an array of events, got ${describeValue(issue.input)}` })
    .min(1, { error: 'must hold at least one event; an empty batch appends nothing' });

const appendEventsFields = {
  instanceId: instanceRefSchema,
  streamId: streamIdSchema.optional(),
  stream_id: streamIdSchema.optional(),
  expectedVersion: expectedVersionSchema.optional(),
  expectedVersions: expectedVersionsSchema(expectedVersionSchema).optional(),
  condition: appendConditionSchema.optional(),
  autoCreateInstance: autoCreateSchema.optional(),
};

/** The params of `appendEvents` (shape only). */
export const appendEventsParamsSchema = paramsObject(
  { ...appendEventsFields, events: eventsArraySchema(newEventInputSchema) },
  'the appendEvents params',
);

/**
 * The same params with the events left unchecked: the batch path checks each event with
 * {@link fastEventShape} and falls back to zod only for an event that fails it.
 */
const appendEventsEnvelopeSchema = paramsObject(
  { ...appendEventsFields, events: eventsArraySchema(z.unknown()) },
  'the appendEvents params',
);

/** One event after the shape check. */
interface EventShape {
  streamId?: string | undefined;
  stream_id?: string | undefined;
  eventType?: string | undefined;
  event_type?: string | undefined;
  payload?: unknown;
  metadata?: unknown;
  timestamp?: unknown;
  eventId?: string | undefined;
  tags?: string[] | undefined;
}

const EVENT_KEYS = new Set(Object.keys(eventFields));

function isValidName(value: unknown, plural: string): boolean {
  return value === undefined || (typeof value === 'string' && nameProblem(value, plural) === undefined);
}

/**
 * Reads the event fields of an object whose keys were checked, each once (so a getter cannot hand
 * later steps a value that was not checked); undefined when a name field is not a valid name.
 */
function readEventFields(record: Record<string, unknown>): EventShape | undefined {
  const shape: EventShape = {
    streamId: record.streamId as string | undefined,
    stream_id: record.stream_id as string | undefined,
    eventType: record.eventType as string | undefined,
    event_type: record.event_type as string | undefined,
    payload: record.payload,
    metadata: record.metadata,
    timestamp: record.timestamp,
    eventId: record.eventId as string | undefined,
  };
  const tags = record.tags;
  if (tags !== undefined) {
    // A copy, checked: the caller's array cannot change between the check and its use.
    const copy = Array.isArray(tags) ? tags.slice() : tags;
    if (!isValidTags(copy)) return undefined;
    shape.tags = copy;
  }
  if (
    !isValidName(shape.eventType, 'event types') ||
    !isValidName(shape.event_type, 'event types') ||
    !isValidName(shape.streamId, 'stream ids') ||
    !isValidName(shape.stream_id, 'stream ids') ||
    !isValidName(shape.eventId, 'eventIds')
  ) {
    return undefined;
  }
  return shape;
}

/**
 * True when the object has an enumerable key outside `allowed` whose value is not undefined. Like
 * the schemas' catch-all, inherited enumerable keys count too; allowed keys are not read here.
 */
function hasUnknownKey(record: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in record) {
    if (!allowed.has(key) && record[key] !== undefined) return true;
  }
  return false;
}

/**
 * A fast check of one event's shape, without zod's per-object work: its fields when it
 * certainly passes {@link newEventInputSchema}, else undefined (zod then decides and reports).
 * It must never accept what the schema rejects.
 */
function fastEventShape(input: unknown): EventShape | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const record = input as Record<string, unknown>;
  if (hasUnknownKey(record, EVENT_KEYS)) return undefined;
  return readEventFields(record);
}

/** The params of `appendEvent` after the shape check. */
interface AppendEventShape extends EventShape {
  instanceId: string;
  expectedVersion?: ExpectedVersion | undefined;
  condition?: ParsedCondition | undefined;
  autoCreateInstance?: boolean | undefined;
}

const APPEND_EVENT_KEYS = new Set([
  ...EVENT_KEYS,
  'instanceId',
  'expectedVersion',
  'condition',
  'autoCreateInstance',
]);

function isExpectedVersion(value: unknown): value is ExpectedVersion {
  return typeof value === 'number'
    ? Number.isSafeInteger(value) && value >= 0
    : value === 'no_stream' || value === 'any' || value === 'stream_exists';
}

/**
 * The same fast check for the params of `appendEvent` (single appends are hot too): the params
 * when they certainly pass {@link appendEventParamsSchema}, else undefined (zod decides).
 */
function fastAppendEventShape(input: unknown): AppendEventShape | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const record = input as Record<string, unknown>;
  if (hasUnknownKey(record, APPEND_EVENT_KEYS)) return undefined;
  const instanceId = record.instanceId;
  const expectedVersion = record.expectedVersion;
  const autoCreateInstance = record.autoCreateInstance;
  if (typeof instanceId !== 'string' || !isValidName(instanceId, 'instance ids and names')) return undefined;
  if (expectedVersion !== undefined && !isExpectedVersion(expectedVersion)) return undefined;
  if (autoCreateInstance !== undefined && typeof autoCreateInstance !== 'boolean') return undefined;
  const fields = readEventFields(record);
  if (fields === undefined) return undefined;
  const shape = fields as AppendEventShape;
  shape.instanceId = instanceId;
  shape.expectedVersion = expectedVersion;
  shape.autoCreateInstance = autoCreateInstance;
  const condition = record.condition;
  if (condition !== undefined) shape.condition = parseWith(appendConditionSchema, condition, 'condition');
  return shape;
}

/** What validation needs besides the input. */
export interface AppendContext {
  limits: Readonly<Limits>;
  /** The time of the append, canonical ISO: the default event timestamp. */
  now: string;
  /** Makes record ids. Default `crypto.randomUUID()`. */
  newId?: () => string;
}

/** Normalizes an expected version: `0` and `'no_stream'` both mean "the stream has no events". */
export function toVersionCheck(expected: ExpectedVersion): VersionCheck {
  if (typeof expected === 'number') return { kind: 'exact', version: expected };
  if (expected === 'no_stream') return { kind: 'exact', version: 0 };
  if (expected === 'any') return { kind: 'any' };
  return { kind: 'exists' };
}

const randomId = () => globalThis.crypto.randomUUID();

/**
 * Where an event is in the params (`events[3]`, or appendEvent's params themselves) and which of
 * its fields is being checked. Paths are spelled only when a message needs one: building them
 * for every event cost more than checking a small payload.
 */
class EventSite {
  /** The field whose JSON is being checked (this site is then its {@link Where}). */
  field = '';

  /** @param index the event's index in `events`; -1 for appendEvent's params */
  constructor(public index: number) {}

  /** The event's path: `events[3]`, or '' for appendEvent's params. */
  get path(): string {
    return this.index < 0 ? '' : `events[${this.index}]`;
  }

  /** The path of one of the event's fields. */
  at(field: string): string {
    return this.index < 0 ? field : `events[${this.index}].${field}`;
  }

  toString(): string {
    return this.at(this.field);
  }
}

/** The site of the params' own fields. */
const PARAMS = new EventSite(-1);

/** The one value of two spellings; both given with different values is an error. */
function pickSpelling(
  camel: string | undefined,
  snake: string | undefined,
  site: EventSite,
  camelKey: string,
  snakeKey: string,
): string | undefined {
  if (camel !== undefined && snake !== undefined && camel !== snake) {
    throw invalid(
      site.at(snakeKey),
      `${camelKey} ${JSON.stringify(camel)} and ${snakeKey} ${JSON.stringify(snake)} disagree; give only one of the two spellings`,
    );
  }
  return camel ?? snake;
}

const EMPTY_OBJECT_BYTES = 2; // '{}'

/** The error of a reserved name in a user append (SPEC §9). */
function reserved(path: string, value: string, plural: string) {
  return invalid(
    path,
    `${JSON.stringify(value)} is reserved: ${plural} starting with "$" are written only by the log itself (the $system stream records deletions); choose a name without the leading "$"`,
  );
}

/** Builds one NewEvent from a shape-checked input; its byte size goes to `size.bytes`. */
function buildEvent(
  input: EventShape,
  site: EventSite,
  defaultStream: string,
  ctx: AppendContext,
  newId: () => string,
  size: { bytes: number },
): NewEvent {
  const streamId =
    pickSpelling(input.streamId, input.stream_id, site, 'streamId', 'stream_id') ?? defaultStream;
  const eventType = pickSpelling(input.eventType, input.event_type, site, 'eventType', 'event_type');
  if (eventType === undefined) {
    throw invalid(
      site.at('eventType'),
      'is required; give eventType (or event_type), a string of 1–200 characters',
    );
  }
  if (isReservedName(streamId)) throw reserved(site.at('streamId'), streamId, 'stream ids');
  if (isReservedName(eventType)) throw reserved(site.at('eventType'), eventType, 'event types');
  let payload: JsonObject = {};
  let bytes = 2 * EMPTY_OBJECT_BYTES;
  if (input.payload !== undefined) {
    site.field = 'payload';
    const sized = toSizedJsonObject(input.payload, site);
    payload = sized.json;
    bytes += sized.bytes - EMPTY_OBJECT_BYTES;
  }
  let metadata: JsonObject = {};
  if (input.metadata !== undefined) {
    site.field = 'metadata';
    const sized = toSizedJsonObject(input.metadata, site);
    metadata = sized.json;
    bytes += sized.bytes - EMPTY_OBJECT_BYTES;
  }
  const timestamp =
    input.timestamp === undefined ? ctx.now : normalizeTimestamp(input.timestamp, site.at('timestamp'));
  if (bytes > ctx.limits.maxEventBytes) {
    const where = site.path || 'params';
    throw limitExceeded(
      `${where}: payload and metadata take ${bytes} bytes of JSON; the maximum per event is ${ctx.limits.maxEventBytes} (limits.maxEventBytes). Store large data elsewhere and reference it.`,
      { limit: 'maxEventBytes', max: ctx.limits.maxEventBytes, actual: bytes, path: where },
    );
  }
  size.bytes = bytes;
  const event: NewEvent = { id: newId(), streamId, eventType, payload, metadata, timestamp };
  if (input.eventId !== undefined) event.eventId = input.eventId;
  const tags = normalizeTags(input.tags);
  if (tags !== undefined) event.tags = tags;
  return event;
}

function batchTooBig(bytes: number, limits: Readonly<Limits>, index: number) {
  return limitExceeded(
    `events: the batch's payloads and metadata take more than ${limits.maxBatchBytes} bytes of JSON (${bytes} bytes by events[${index}]); the maximum is ${limits.maxBatchBytes} (limits.maxBatchBytes). Split it into smaller batches.`,
    { limit: 'maxBatchBytes', max: limits.maxBatchBytes, actual: bytes, path: 'events' },
  );
}

/**
 * Sets the request's version checks, and the deprecated single-stream `expectedVersion` when
 * there is exactly one check and every event is on its stream (what contract-1 adapters read).
 */
function setVersionChecks(request: AppendRequest, checks: StreamVersionCheck[]): void {
  if (checks.length === 0) return;
  request.versionChecks = checks;
  const only = checks[0] as StreamVersionCheck;
  if (checks.length === 1 && request.events.every((e) => e.streamId === only.streamId)) {
    request.expectedVersion = { check: only.check, raw: only.raw };
  }
}

/**
 * Validates `appendEvent` params into an {@link AppendRequest} of one event.
 *
 * @throws EventLogError `VALIDATION_ERROR` (shape, names, JSON, timestamp) or `LIMIT_EXCEEDED`
 *   (payload + metadata over `maxEventBytes`)
 * @example
 * validateAppendEvent({ instanceId: 'audit', eventType: 'login' }, { limits: DEFAULT_LIMITS, now })
 * // { instance: 'audit', autoCreate: false, now, events: [{ streamId: 'default', … }] }
 */
export function validateAppendEvent(raw: unknown, ctx: AppendContext): AppendRequest {
  const params = fastAppendEventShape(raw) ?? parseWith(appendEventParamsSchema, raw);
  const event = buildEvent(params, new EventSite(-1), DEFAULT_STREAM, ctx, ctx.newId ?? randomId, {
    bytes: 0,
  });
  const request: AppendRequest = {
    instance: params.instanceId,
    autoCreate: params.autoCreateInstance === true,
    now: ctx.now,
    events: [event],
  };
  if (params.expectedVersion !== undefined) {
    const raw = params.expectedVersion;
    setVersionChecks(request, [{ streamId: event.streamId, check: toVersionCheck(raw), raw }]);
  }
  if (params.condition !== undefined) request.condition = toConditionSpec(params.condition);
  return request;
}

/**
 * Validates `appendEvents` params into one atomic {@link AppendRequest}.
 *
 * Rules: `events` is a non-empty array of at most `maxBatchEvents` events; the top-level
 * `streamId` (default `"default"`) is the stream of events that name none; `expectedVersion` only
 * when every event goes to one stream; eventIds unique within the batch; each event's payload +
 * metadata within `maxEventBytes` and the whole batch within `maxBatchBytes`.
 *
 * @throws EventLogError `VALIDATION_ERROR` or `LIMIT_EXCEEDED`
 */
export function validateAppendEvents(raw: unknown, ctx: AppendContext): AppendRequest {
  const { limits } = ctx;
  // The count cap is checked before the per-event work, so an oversized batch fails fast.
  const rawEvents =
    typeof raw === 'object' && raw !== null ? (raw as { events?: unknown }).events : undefined;
  if (Array.isArray(rawEvents) && rawEvents.length > limits.maxBatchEvents) {
    throw limitExceeded(
      `events: the batch has ${rawEvents.length} events; the maximum is ${limits.maxBatchEvents} (limits.maxBatchEvents). Split it into smaller batches.`,
      { limit: 'maxBatchEvents', max: limits.maxBatchEvents, actual: rawEvents.length, path: 'events' },
    );
  }
  const params = parseWith(appendEventsEnvelopeSchema, raw);
  const defaultStream =
    pickSpelling(params.streamId, params.stream_id, PARAMS, 'streamId', 'stream_id') ?? DEFAULT_STREAM;
  const newId = ctx.newId ?? randomId;
  const inputs = params.events;
  const events: NewEvent[] = new Array(inputs.length);
  let totalBytes = 0;
  const size = { bytes: 0 };
  let eventIds: Map<string, number> | undefined;
  let firstStream: string | undefined;
  let otherStream: string | undefined;
  const site = new EventSite(0);
  for (let i = 0; i < inputs.length; i++) {
    site.index = i;
    const input = inputs[i];
    const shape = fastEventShape(input) ?? parseWith(newEventInputSchema, input, site.path);
    const event = buildEvent(shape, site, defaultStream, ctx, newId, size);
    totalBytes += size.bytes;
    if (totalBytes > limits.maxBatchBytes) throw batchTooBig(totalBytes, limits, i);
    if (firstStream === undefined) firstStream = event.streamId;
    else if (otherStream === undefined && event.streamId !== firstStream) otherStream = event.streamId;
    if (event.eventId !== undefined) {
      eventIds ??= new Map();
      const previous = eventIds.get(event.eventId);
      if (previous !== undefined) {
        throw invalid(
          site.at('eventId'),
          `${JSON.stringify(event.eventId)} is also the eventId of events[${previous}]; eventIds must be unique within a batch`,
        );
      }
      eventIds.set(event.eventId, i);
    }
    events[i] = event;
  }
  const request: AppendRequest = {
    instance: params.instanceId,
    autoCreate: params.autoCreateInstance === true,
    now: ctx.now,
    events,
  };
  const expected = params.expectedVersion;
  if (expected !== undefined) {
    if (params.expectedVersions !== undefined) {
      throw invalid(
        'expectedVersions',
        'cannot be given together with expectedVersion; give expectedVersions only (one entry per stream)',
      );
    }
    if (otherStream !== undefined) {
      throw invalid(
        'expectedVersion',
        `is only allowed when all events go to one stream, but this batch writes to ${JSON.stringify(firstStream)} and ${JSON.stringify(otherStream)}; use expectedVersions (one per stream) or split the batch per stream`,
      );
    }
    setVersionChecks(request, [
      { streamId: firstStream as string, check: toVersionCheck(expected), raw: expected },
    ]);
  } else if (params.expectedVersions !== undefined) {
    const streams = new Set(events.map((e) => e.streamId));
    setVersionChecks(request, streamVersionChecks(params.expectedVersions, streams, toVersionCheck));
  }
  if (params.condition !== undefined) request.condition = toConditionSpec(params.condition);
  return request;
}
