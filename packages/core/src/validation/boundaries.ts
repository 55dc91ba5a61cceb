/**
 * Validation of what consistency boundaries add to appends (SPEC §8): event `tags`, the append
 * `condition` and `expectedVersions`, normalized for the adapter ({@link ConditionSpec},
 * {@link StreamVersionCheck}).
 */

import { z } from 'zod';
import type { ConditionItemSpec, ConditionSpec, StreamVersionCheck } from '../adapter.js';
import { compareCodePoints } from '../dsl/values.js';
import { RULES } from '../limits.js';
import type { ExpectedVersion } from '../model.js';
import { describeValue, invalid } from './issues.js';
import { eventTypeSchema, nameProblem, nameSchema } from './names.js';

/** A tag: a name (1–200 characters, no control characters, not only whitespace). */
export const tagSchema = nameSchema('a tag', 'tags');

const TAGS_RULE = `an array of at most ${RULES.maxTags} distinct tags (strings of 1–${RULES.maxNameLength} characters)`;

/** Adds an issue for the first value of `values` that repeats an earlier one. */
function refineDistinct(values: readonly string[], ctx: z.RefinementCtx, what: string): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    const earlier = seen.get(value);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        message: `${JSON.stringify(value)} repeats ${what}[${earlier}]; ${what} must be distinct`,
        input: value,
      });
      return;
    }
    seen.set(value, i);
  }
}

/** `tags` of an event input: at most 32 distinct tags (`[]`: none). */
export const tagsSchema = z
  .array(tagSchema, { error: (issue) => `expected ${TAGS_RULE}, got ${describeValue(issue.input)}` })
  .max(RULES.maxTags, {
    error: (issue) =>
      `holds ${Array.isArray(issue.input) ? issue.input.length : 'too many'} tags; an event has at most ${RULES.maxTags}`,
  })
  .superRefine((tags, ctx) => refineDistinct(tags, ctx, 'tags'));

/**
 * A fast check of `tags` without zod: true when `value` certainly passes {@link tagsSchema}. It
 * must never accept what the schema rejects.
 */
export function isValidTags(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > RULES.maxTags) return false;
  for (let i = 0; i < value.length; i++) {
    const tag = value[i];
    if (typeof tag !== 'string' || nameProblem(tag, 'tags') !== undefined) return false;
    for (let j = 0; j < i; j++) if (value[j] === tag) return false;
  }
  return true;
}

/**
 * Tags as stored: distinct, sorted by code point; undefined for none. Returns a new array.
 *
 * @example normalizeTags(['student:s1', 'course:c1']) // ['course:c1', 'student:s1']
 */
export function normalizeTags(tags: readonly string[] | undefined): string[] | undefined {
  if (tags === undefined || tags.length === 0) return undefined;
  return [...new Set(tags)].sort(compareCodePoints);
}

const ITEM_WHAT = 'a condition item { types?, tags? } (at least one, non-empty)';

const itemTypesSchema = z
  .array(eventTypeSchema, {
    error: (issue) => `expected a non-empty array of event types, got ${describeValue(issue.input)}`,
  })
  .min(1, { error: 'must hold at least one event type; leave types out to match any type' })
  .max(RULES.maxConditionTypes, {
    error: `holds too many event types; the maximum is ${RULES.maxConditionTypes}`,
  });

const itemTagsSchema = z
  .array(tagSchema, {
    error: (issue) => `expected a non-empty array of tags, got ${describeValue(issue.input)}`,
  })
  .min(1, { error: 'must hold at least one tag; leave tags out to match events with any tags' })
  .max(RULES.maxTags, {
    error: `requires more than ${RULES.maxTags} tags, which no event can hold`,
  });

const ITEM_KEYS = ['types', 'tags'];

/** One item of `failIfEventsMatch`. */
export const conditionItemSchema = z
  .object(
    { types: itemTypesSchema.optional(), tags: itemTagsSchema.optional() },
    { error: (issue) => `expected ${ITEM_WHAT}, got ${describeValue(issue.input)}` },
  )
  .catchall(
    z.undefined({
      error: () => `is not a known key of a condition item; allowed keys are ${ITEM_KEYS.join(', ')}`,
    }),
  )
  .superRefine((item, ctx) => {
    if (item.types === undefined && item.tags === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `needs types or tags (or both); an empty item would match every event`,
        input: item,
      });
    }
  });

const CONDITION_KEYS = ['failIfEventsMatch', 'after'];
const CONDITION_WHAT = 'a condition { failIfEventsMatch: [{ types?, tags? }, …], after? }';

/** `condition` of `appendEvent` / `appendEvents` (SPEC §8). */
export const appendConditionSchema = z
  .object(
    {
      failIfEventsMatch: z
        .array(conditionItemSchema, {
          error: (issue) =>
            issue.input === undefined
              ? 'is required; give an array of items { types?, tags? }'
              : `expected an array of items { types?, tags? }, got ${describeValue(issue.input)}`,
        })
        .min(1, { error: 'must hold at least one item; without items the condition could never fail' })
        .max(RULES.maxConditionItems, {
          error: `holds too many items; the maximum is ${RULES.maxConditionItems}`,
        }),
      after: z
        .number({
          error: (issue) => `expected a global position (an integer ≥ 0), got ${describeValue(issue.input)}`,
        })
        .int({
          error: (issue) => `expected a global position (an integer ≥ 0), got ${describeValue(issue.input)}`,
        })
        .min(0, {
          error: (issue) => `expected a global position (an integer ≥ 0), got ${describeValue(issue.input)}`,
        })
        .max(Number.MAX_SAFE_INTEGER, { error: 'is beyond the largest safe integer' })
        .optional(),
    },
    { error: (issue) => `expected ${CONDITION_WHAT}, got ${describeValue(issue.input)}` },
  )
  .catchall(
    z.undefined({
      error: () => `is not a known key of a condition; allowed keys are ${CONDITION_KEYS.join(', ')}`,
    }),
  );

/** A condition after {@link appendConditionSchema}. */
export type ParsedCondition = z.output<typeof appendConditionSchema>;

/** The adapter's form of a parsed condition: distinct types and tags, `after` 0 when absent. */
export function toConditionSpec(condition: ParsedCondition): ConditionSpec {
  const items = condition.failIfEventsMatch.map((item) => {
    const spec: ConditionItemSpec = {};
    if (item.types !== undefined) spec.types = [...new Set(item.types)];
    if (item.tags !== undefined) spec.tags = normalizeTags(item.tags) as string[];
    return spec;
  });
  return { items, after: condition.after === 0 ? 0 : (condition.after ?? 0) };
}

/** `expectedVersions` of `appendEvents`: stream id → expected version. */
export function expectedVersionsSchema(versionSchema: z.ZodType<ExpectedVersion>) {
  return z
    .record(z.string(), versionSchema, {
      error: (issue) =>
        `expected an object of expected versions by stream id ({ "order-1": 3, "stock-7": "no_stream" }), got ${describeValue(issue.input)}`,
    })
    .superRefine((versions, ctx) => {
      for (const streamId of Object.keys(versions)) {
        const problem = nameProblem(streamId, 'stream ids');
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', path: [streamId], message: `the key ${problem}`, input: streamId });
        }
      }
    });
}

/**
 * Checks that every stream of `expectedVersions` is one the batch writes and builds the checks.
 *
 * @param toCheck normalizes one expected version
 * @throws EventLogError `VALIDATION_ERROR` naming the first stream the batch does not write
 */
export function streamVersionChecks(
  expectedVersions: Record<string, ExpectedVersion>,
  streams: ReadonlySet<string>,
  toCheck: (expected: ExpectedVersion) => StreamVersionCheck['check'],
): StreamVersionCheck[] {
  const checks: StreamVersionCheck[] = [];
  for (const streamId of Object.keys(expectedVersions)) {
    if (!streams.has(streamId)) {
      throw invalid(
        `expectedVersions[${JSON.stringify(streamId)}]`,
        `names a stream the batch does not write; the batch writes ${[...streams].map((s) => JSON.stringify(s)).join(', ')}. Use a condition to guard streams you do not write`,
      );
    }
    const raw = expectedVersions[streamId] as ExpectedVersion;
    checks.push({ streamId, check: toCheck(raw), raw });
  }
  return checks;
}
