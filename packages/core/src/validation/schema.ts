/**
 * Small zod helpers shared by the input schemas: params objects that reject unknown keys (keys
 * whose value is `undefined` count as absent), and turning zod issues into one clear error.
 */

import { type ZodType, z } from 'zod';
import { appendPath, describeValue, issuesError } from './issues.js';

/**
 * An object schema for the params of a method. Unknown keys are `VALIDATION_ERROR` naming the
 * allowed keys; a key whose value is `undefined` counts as absent, as in payloads.
 *
 * @param what the params in messages, with its article: `an event`
 */
export function paramsObject<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  const allowed = Object.keys(shape).join(', ');
  return z
    .object(shape, {
      error: (issue) => `expected ${what} (an object), got ${describeValue(issue.input)}`,
    })
    .catchall(
      z.undefined({
        error: () => `is not a known key of ${what}; allowed keys are ${allowed}`,
      }),
    );
}

/**
 * Parses `input` with `schema`; on failure throws one `VALIDATION_ERROR` whose message names the
 * first problem's location (prefixed by `base`) and whose `details.issues` lists them all.
 *
 * @example parseWith(appendEventSchema, params) // data, or throws
 */
export function parseWith<T>(schema: ZodType<T>, input: unknown, base = ''): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw issuesError(
    result.error.issues.map((issue) => ({
      path: appendPath(base, issue.path) || 'params',
      message: issue.message,
    })),
  );
}
