/**
 * Names: instance names, stream ids, event types, eventIds and instance references. Strings of
 * 1–200 code points, not whitespace-only, with no control characters (U+0000–U+001F, U+007F) and
 * no lone surrogates, stored exactly as given (no trimming). Descriptions: up to 2000 code points.
 */

import { z } from 'zod';
import { isWellFormed } from '../json.js';
import { RULES } from '../limits.js';
import { describeValue, invalid } from './issues.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Code points of a well-formed string (a surrogate pair counts once). */
export function codePointLength(value: string): number {
  let n = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      n--;
      i++;
    }
  }
  return n;
}

/**
 * Printable ASCII with at least one character other than a space: no control characters, no lone
 * surrogates, not whitespace-only. With at most `maxNameLength` units, such a name is always fine.
 */
const PLAIN_NAME = /^ *[\x21-\x7e][\x20-\x7e]*$/;

/**
 * What is wrong with a name, or undefined when it is fine. `plural` names the kind in messages
 * (`stream ids`).
 *
 * @example nameProblem('  ', 'stream ids') // 'must not be only whitespace; stream ids are …'
 */
export function nameProblem(value: string, plural: string): string | undefined {
  // The common case (appends check several names per event) without building the message.
  if (value.length <= RULES.maxNameLength && PLAIN_NAME.test(value)) return undefined;
  const rule = `${plural} are strings of 1–${RULES.maxNameLength} characters without control characters`;
  if (value.length === 0) return `must not be empty; ${rule}`;
  if (!isWellFormed(value)) return `contains a lone surrogate (invalid Unicode); ${rule}`;
  // A code point takes at most two UTF-16 units, so short strings need no counting.
  if (value.length > RULES.maxNameLength) {
    const length = codePointLength(value);
    if (length > RULES.maxNameLength) return `is ${length} characters long; ${rule}`;
  }
  const control = CONTROL.exec(value);
  if (control !== null) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `contains the control character U+${code} at index ${control.index}; ${rule}`;
  }
  if (value.trim() === '') return `must not be only whitespace; ${rule}`;
  return undefined;
}

/** What is wrong with a description, or undefined when it is fine. */
export function descriptionProblem(value: string): string | undefined {
  const rule = `descriptions are strings of at most ${RULES.maxDescriptionLength} characters`;
  if (!isWellFormed(value)) return `contains a lone surrogate (invalid Unicode); ${rule}`;
  if (value.includes('\u0000')) return `contains a NUL character (U+0000), which cannot be stored; ${rule}`;
  if (value.length > RULES.maxDescriptionLength) {
    const length = codePointLength(value);
    if (length > RULES.maxDescriptionLength) return `is ${length} characters long; ${rule}`;
  }
  return undefined;
}

/**
 * A zod schema for a name of one kind.
 *
 * @param singular the kind in messages, with its article: `an event type`
 * @param plural the kind in plural: `event types`
 */
export function nameSchema(singular: string, plural: string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `is required; give ${singular}, a string of 1–${RULES.maxNameLength} characters`
          : `expected ${singular} (a string of 1–${RULES.maxNameLength} characters), got ${describeValue(issue.input)}`,
    })
    .superRefine((value, ctx) => {
      const problem = nameProblem(value, plural);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
    });
}

/** An instance name. */
export const instanceNameSchema = nameSchema('an instance name', 'instance names');
/** A reference to an instance: its id or its name. */
export const instanceRefSchema = nameSchema('an instance id or name', 'instance ids and names');
/** A stream id. */
export const streamIdSchema = nameSchema('a stream id', 'stream ids');
/** An event type. */
export const eventTypeSchema = nameSchema('an event type', 'event types');
/** An eventId (the idempotency key of an append). */
export const eventIdSchema = nameSchema('an eventId', 'eventIds');

/** An instance description: a string of at most 2000 characters. */
export const descriptionSchema = z
  .string({
    error: (issue) =>
      `expected a description (a string of at most ${RULES.maxDescriptionLength} characters), got ${describeValue(issue.input)}`,
  })
  .superRefine((value, ctx) => {
    const problem = descriptionProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: value });
  });

/**
 * Checks a name outside zod (the query parser uses it) and returns it.
 *
 * @param where the location in messages (`from.instance`)
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function checkName(value: unknown, where: string, singular: string, plural: string): string {
  if (typeof value !== 'string') {
    throw invalid(
      where,
      value === undefined
        ? `is required; give ${singular}, a string of 1–${RULES.maxNameLength} characters`
        : `expected ${singular} (a string of 1–${RULES.maxNameLength} characters), got ${describeValue(value)}`,
    );
  }
  const problem = nameProblem(value, plural);
  if (problem !== undefined) throw invalid(where, problem);
  return value;
}
