/**
 * Validation of the lifecycle methods' params (SPEC §9): `deleteStream`, `truncateStream`,
 * `setRetention`, `pruneExpired`, and `forgetSubject` (erasure of personal data).
 */

import { z } from 'zod';
import type { VersionCheck } from '../adapter.js';
import { isReservedName } from '../lifecycle.js';
import type { ExpectedVersion, Retention } from '../model.js';
import { expectedVersionSchema, toVersionCheck } from './append.js';
import { describeValue, invalid } from './issues.js';
import { instanceRefSchema, nameSchema, streamIdSchema } from './names.js';
import { paramsObject, parseWith } from './schema.js';

const positiveInteger = (what: string) => {
  const error = (issue: { input?: unknown }) =>
    `expected ${what}: an integer from 1 to ${Number.MAX_SAFE_INTEGER}, got ${describeValue(issue.input)}`;
  return z.number({ error }).int({ error }).min(1, { error }).max(Number.MAX_SAFE_INTEGER, { error });
};

/** A stream id a caller may remove: any stream id but the reserved ones (`$…`). */
const removableStreamSchema = streamIdSchema.superRefine((value, ctx) => {
  if (isReservedName(value)) {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: `${JSON.stringify(value)} is reserved (stream ids starting with "$" hold the log's own records) and cannot be deleted or truncated`,
    });
  }
});

/** The params of `deleteStream`. */
export const deleteStreamParamsSchema = paramsObject(
  {
    instanceId: instanceRefSchema,
    streamId: removableStreamSchema,
    expectedVersion: expectedVersionSchema.optional(),
  },
  'the deleteStream params',
);

/** The params of `truncateStream`. */
export const truncateStreamParamsSchema = paramsObject(
  {
    instanceId: instanceRefSchema,
    streamId: removableStreamSchema,
    before: positiveInteger('a sequence number (events with sequence_number < before are removed)'),
  },
  'the truncateStream params',
);

/** The params of `setRetention`: each rule a positive integer, `null` to remove it. */
export const setRetentionParamsSchema = paramsObject(
  {
    instanceId: instanceRefSchema,
    maxAgeMs: positiveInteger('an age in milliseconds (or null to remove the rule)').nullable().optional(),
    maxEventsPerStream: positiveInteger('a number of events per stream (or null to remove the rule)')
      .nullable()
      .optional(),
  },
  'the setRetention params',
);

/** The params of `pruneExpired`. */
export const pruneExpiredParamsSchema = paramsObject(
  { instanceId: instanceRefSchema.optional() },
  'the pruneExpired params',
);

/** A data subject's id (pseudonymous ids are best: the id itself stays readable). */
export const subjectIdSchema = nameSchema('a subject id', 'subject ids');

/** The params of `forgetSubject`. */
export const forgetSubjectParamsSchema = paramsObject(
  { subjectId: subjectIdSchema },
  'the forgetSubject params',
);

/** A validated `deleteStream` or `truncateStream`. */
export interface ValidatedRemoval {
  instance: string;
  streamId: string;
  before?: number;
  expectedVersion?: { check: VersionCheck; raw: ExpectedVersion };
}

/**
 * Validates `deleteStream` params.
 *
 * @throws EventLogError `VALIDATION_ERROR` (shape, names, a reserved stream, a bad expectedVersion)
 */
export function validateDeleteStream(raw: unknown): ValidatedRemoval {
  const params = parseWith(deleteStreamParamsSchema, raw);
  const out: ValidatedRemoval = { instance: params.instanceId, streamId: params.streamId };
  if (params.expectedVersion !== undefined) {
    out.expectedVersion = { check: toVersionCheck(params.expectedVersion), raw: params.expectedVersion };
  }
  return out;
}

/**
 * Validates `truncateStream` params.
 *
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function validateTruncateStream(raw: unknown): ValidatedRemoval & { before: number } {
  const params = parseWith(truncateStreamParamsSchema, raw);
  return { instance: params.instanceId, streamId: params.streamId, before: params.before };
}

/** A validated `setRetention`: the instance reference and the changes (`null` removes a rule). */
export interface ValidatedRetentionChange {
  instance: string;
  maxAgeMs?: number | null;
  maxEventsPerStream?: number | null;
}

/**
 * Validates `setRetention` params: at least one rule given.
 *
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function validateSetRetention(raw: unknown): ValidatedRetentionChange {
  const params = parseWith(setRetentionParamsSchema, raw);
  const out: ValidatedRetentionChange = { instance: params.instanceId };
  if (params.maxAgeMs !== undefined) out.maxAgeMs = params.maxAgeMs;
  if (params.maxEventsPerStream !== undefined) out.maxEventsPerStream = params.maxEventsPerStream;
  if (out.maxAgeMs === undefined && out.maxEventsPerStream === undefined) {
    throw invalid(
      'params',
      'has no rule to set; give maxAgeMs and/or maxEventsPerStream (a positive integer, or null to remove the rule)',
    );
  }
  return out;
}

/**
 * Applies a retention change to the current rules: a rule given replaces, `null` removes, a rule
 * left out stays. Undefined when no rule remains.
 *
 * @example applyRetentionChange({ maxAgeMs: 1000 }, { maxEventsPerStream: 5 }) // { maxAgeMs: 1000, maxEventsPerStream: 5 }
 */
export function applyRetentionChange(
  current: Retention | undefined,
  change: Omit<ValidatedRetentionChange, 'instance'>,
): Retention | undefined {
  const next: Retention = {};
  const age = change.maxAgeMs === undefined ? current?.maxAgeMs : change.maxAgeMs;
  const count =
    change.maxEventsPerStream === undefined ? current?.maxEventsPerStream : change.maxEventsPerStream;
  if (age !== undefined && age !== null) next.maxAgeMs = age;
  if (count !== undefined && count !== null) next.maxEventsPerStream = count;
  return next.maxAgeMs === undefined && next.maxEventsPerStream === undefined ? undefined : next;
}

/**
 * Validates `pruneExpired` params (none, or `{ instanceId }`).
 *
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function validatePruneExpired(raw: unknown): { instance?: string } {
  const params = parseWith(pruneExpiredParamsSchema, raw ?? {});
  return params.instanceId === undefined ? {} : { instance: params.instanceId };
}

/**
 * Validates `forgetSubject`'s argument: a subject id, or `{ subjectId }`.
 *
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function validateForgetSubject(raw: unknown): string {
  if (typeof raw === 'string') return parseWith(subjectIdSchema, raw, 'subjectId');
  return parseWith(forgetSubjectParamsSchema, raw).subjectId;
}
