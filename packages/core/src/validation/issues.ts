/**
 * How validation failures become one {@link EventLogError}: a message that says where (the param
 * path, like `events[3].eventType`), what was wrong and what is allowed, and `details.issues` with
 * every problem found.
 */

import { EventLogError } from '../errors.js';

/** One problem of an input: its location and what is wrong there. */
export interface ValidationIssue {
  /** The location in the caller's input, formatted like `events[3].eventType` (`params` for the root). */
  path: string;
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Formats a location as JavaScript would write it: `events[2].payload.items[3]`,
 * `metadata["x-request-id"]`. An empty base and no segments give an empty string.
 *
 * @example appendPath('events[2].payload', ['items', 3]) // 'events[2].payload.items[3]'
 */
export function appendPath(base: string, segments: readonly PropertyKey[]): string {
  let out = base;
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (typeof s === 'symbol') out += `[${String(s)}]`;
    else if (IDENTIFIER.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * A short human description of a value for error messages: `nothing`, `null`, `the number 5`,
 * `the string "abc"`, `an array of 3 items`, `an object`, `a Date`…
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'nothing';
    case 'string': {
      if (value === '') return 'an empty string';
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `the string ${JSON.stringify(shown)}`;
    }
    case 'number':
      return Number.isNaN(value) ? 'NaN' : `the number ${String(value)}`;
    case 'boolean':
      return String(value);
    case 'bigint':
      return `the BigInt ${String(value)}n`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      if (value === null) return 'null';
      if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
      if (value instanceof Date) return 'a Date';
      return 'an object';
  }
}

/**
 * Builds the `VALIDATION_ERROR` for a list of issues: the message is the first issue (`path:
 * problem.`), followed by how many more there are; `details.issues` holds them all.
 */
export function issuesError(issues: readonly ValidationIssue[]): EventLogError {
  const first = issues[0] ?? { path: 'params', message: 'is invalid' };
  const more = issues.length - 1;
  const head = `${first.path}: ${first.message}`;
  const message =
    (/[.!?]$/.test(head) ? head : `${head}.`) +
    (more > 0 ? ` (${more} more problem${more === 1 ? '' : 's'} in details.issues.)` : '');
  return new EventLogError('VALIDATION_ERROR', message, {
    details: { issues: issues.map((i) => ({ ...i })) },
  });
}

/**
 * A `VALIDATION_ERROR` for one location.
 *
 * @example throw invalid('events[3].eventType', 'is required; give eventType or event_type')
 */
export function invalid(path: string, problem: string): EventLogError {
  return issuesError([{ path: path === '' ? 'params' : path, message: problem }]);
}
