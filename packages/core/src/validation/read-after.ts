/**
 * Validation of {@link ReadAfterParams}, the paged reads behind live subscriptions.
 */

import { z } from 'zod';
import type { ReadAfterRequest } from '../adapter.js';
import { parseWhere } from '../dsl/parse.js';
import { limitExceeded } from '../errors.js';
import type { ReadAfterParams } from '../event-log.js';
import type { Limits } from '../limits.js';
import { describeValue } from './issues.js';
import { instanceRefSchema, streamIdSchema } from './names.js';
import { paramsObject, parseWith } from './schema.js';

/** The page size of `readAfter` when none is given (capped by `maxQueryLimit`). */
export const DEFAULT_READ_PAGE = 500;

const positionError = (issue: { input?: unknown }) =>
  `expected a global position (an integer ≥ 0), got ${describeValue(issue.input)}`;
const pageError = (issue: { input?: unknown }) =>
  `expected a page size (an integer ≥ 1), got ${describeValue(issue.input)}`;

/** The params of `readAfter` (shape only; `where` is checked by the DSL parser). */
export const readAfterParamsSchema = paramsObject(
  {
    instance: instanceRefSchema,
    after: z
      .number({ error: positionError })
      .int({ error: positionError })
      .min(0, { error: positionError })
      .max(Number.MAX_SAFE_INTEGER, { error: positionError })
      .optional(),
    stream: streamIdSchema.optional(),
    where: z.unknown().optional(),
    limit: z.number({ error: pageError }).int({ error: pageError }).min(1, { error: pageError }).optional(),
  },
  'the readAfter params',
);

/** A validated readAfter: the adapter's request, with the instance still a reference (id or name). */
export type ValidatedReadAfter = Omit<ReadAfterRequest, 'instanceId'> & { instance: string };

/**
 * Validates {@link ReadAfterParams}: `after` defaults to 0, `limit` to 500 (at most
 * `maxQueryLimit`, else `LIMIT_EXCEEDED`), `where` is parsed by {@link parseWhere}.
 *
 * @throws EventLogError `VALIDATION_ERROR` or `LIMIT_EXCEEDED`
 */
export function validateReadAfter(
  raw: ReadAfterParams | unknown,
  limits: Readonly<Limits>,
): ValidatedReadAfter {
  const params = parseWith(readAfterParamsSchema, raw);
  const limit = params.limit ?? Math.min(DEFAULT_READ_PAGE, limits.maxQueryLimit);
  if (limit > limits.maxQueryLimit) {
    throw limitExceeded(
      `limit: ${limit} is above the maximum page size of ${limits.maxQueryLimit} (limits.maxQueryLimit).`,
      { limit: 'maxQueryLimit', max: limits.maxQueryLimit, actual: limit, path: 'limit' },
    );
  }
  const out: ValidatedReadAfter = { instance: params.instance, after: params.after ?? 0, limit };
  if (params.stream !== undefined) out.stream = params.stream;
  const where = parseWhere(params.where, limits);
  if (where !== undefined) out.where = where;
  return out;
}
