import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { resolveLimits } from '../limits.js';
import { validateAppendEvent, validateAppendEvents } from './append.js';
import { isValidTags, tagsSchema } from './boundaries.js';

const NOW = '2024-01-19T10:00:00.000Z';
const ctx = { limits: resolveLimits(), now: NOW, newId: () => 'id' };

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

function expectInvalid(fn: () => unknown, path: string, text?: string | RegExp): EventLogError {
  const error = errorOf(fn);
  expect(error.code).toBe('VALIDATION_ERROR');
  expect(error.message.startsWith(`${path}: `), error.message).toBe(true);
  if (typeof text === 'string') expect(error.message).toContain(text);
  else if (text !== undefined) expect(error.message).toMatch(text);
  return error;
}

const one = (extra: Record<string, unknown>) => ({ instanceId: 'a', eventType: 't', ...extra });
const batch = (extra: Record<string, unknown>, events: unknown[] = [{ eventType: 't' }]) => ({
  instanceId: 'a',
  events,
  ...extra,
});

describe('tags', () => {
  it('given tags in any order, when validated, then the event holds them sorted by code point', () => {
    const request = validateAppendEvent(one({ tags: ['student:s1', 'course:😀', 'course:c1', 'Z'] }), ctx);
    expect(request.events[0]?.tags).toEqual(['Z', 'course:c1', 'course:😀', 'student:s1']);
  });

  it('given an empty tags array or none, when validated, then the event has no tags key', () => {
    for (const params of [one({ tags: [] }), one({})]) {
      const event = validateAppendEvent(params, ctx).events[0] ?? {};
      expect('tags' in event).toBe(false);
    }
  });

  it("given the caller's tags array, when validated, then the request holds a copy", () => {
    const tags = ['b', 'a'];
    const request = validateAppendEvents(batch({}, [{ eventType: 't', tags }]), ctx);
    expect(tags).toEqual(['b', 'a']);
    expect(request.events[0]?.tags).toEqual(['a', 'b']);
  });

  it.each<[string, unknown, string, string | RegExp]>([
    ['a string', 'course:c1', 'tags', 'expected an array of at most 32 distinct tags'],
    ['a number inside', ['a', 1], 'tags[1]', 'expected a tag'],
    ['an empty tag', [''], 'tags[0]', 'must not be empty'],
    ['a whitespace tag', ['  '], 'tags[0]', 'only whitespace'],
    ['a control character', ['a\u0001'], 'tags[0]', 'control character'],
    ['a 201-character tag', ['x'.repeat(201)], 'tags[0]', '201 characters'],
    ['a repeated tag', ['a', 'b', 'a'], 'tags[2]', 'repeats tags[0]'],
    ['33 tags', Array.from({ length: 33 }, (_, i) => `t${i}`), 'tags', 'at most 32'],
    ['null', null, 'tags', 'expected an array'],
    ['an object', { a: 1 }, 'tags', 'expected an array'],
  ])('given %s as tags, when validated, then VALIDATION_ERROR at %s', (_label, tags, path, text) => {
    expectInvalid(() => validateAppendEvent(one({ tags }), ctx), path, text);
    expectInvalid(
      () => validateAppendEvents(batch({}, [{ eventType: 't' }, { eventType: 't', tags }]), ctx),
      `events[1].${path}`,
      text,
    );
  });

  it('given 32 distinct tags of 200 characters, when validated, then they are accepted', () => {
    const tags = Array.from({ length: 32 }, (_, i) => `${i}`.padStart(200, 'x'));
    expect(validateAppendEvent(one({ tags }), ctx).events[0]?.tags).toHaveLength(32);
  });

  it('given any value, then the fast tag check never accepts what the schema rejects', () => {
    const tag = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('', ' ', 'a\u0000', 'x'.repeat(201)));
    fc.assert(
      fc.property(fc.oneof(fc.array(tag, { maxLength: 34 }), fc.anything()), (value) => {
        if (isValidTags(value)) expect(tagsSchema.safeParse(value).success).toBe(true);
      }),
    );
  });
});

describe('condition', () => {
  it('given a condition, when validated, then the adapter gets items with distinct values and after', () => {
    const request = validateAppendEvent(
      one({
        condition: {
          failIfEventsMatch: [
            { types: ['A', 'A', 'B'] },
            { tags: ['y', 'x', 'y'] },
            { types: ['C'], tags: ['t'] },
          ],
          after: 12,
        },
      }),
      ctx,
    );
    expect(request.condition).toEqual({
      items: [{ types: ['A', 'B'] }, { tags: ['x', 'y'] }, { types: ['C'], tags: ['t'] }],
      after: 12,
    });
  });

  it('given a condition without after, when validated, then after is 0 (every event counts)', () => {
    const request = validateAppendEvents(batch({ condition: { failIfEventsMatch: [{ tags: ['t'] }] } }), ctx);
    expect(request.condition).toEqual({ items: [{ tags: ['t'] }], after: 0 });
  });

  it.each<[string, unknown, string, string | RegExp]>([
    ['a string', 'x', 'condition', 'expected a condition'],
    ['null', null, 'condition', 'expected a condition'],
    ['an array', [], 'condition', 'expected a condition'],
    ['no failIfEventsMatch', {}, 'condition.failIfEventsMatch', 'is required'],
    [
      'an empty failIfEventsMatch',
      { failIfEventsMatch: [] },
      'condition.failIfEventsMatch',
      'at least one item',
    ],
    ['an empty item', { failIfEventsMatch: [{}] }, 'condition.failIfEventsMatch[0]', 'needs types or tags'],
    [
      'empty types',
      { failIfEventsMatch: [{ types: [] }] },
      'condition.failIfEventsMatch[0].types',
      'at least one',
    ],
    [
      'empty tags',
      { failIfEventsMatch: [{ tags: [] }] },
      'condition.failIfEventsMatch[0].tags',
      'at least one',
    ],
    [
      'a bad type',
      { failIfEventsMatch: [{ types: [''] }] },
      'condition.failIfEventsMatch[0].types[0]',
      'empty',
    ],
    [
      'a bad tag',
      { failIfEventsMatch: [{ tags: [5] }] },
      'condition.failIfEventsMatch[0].tags[0]',
      'expected a tag',
    ],
    [
      'an item key',
      { failIfEventsMatch: [{ type: ['A'] }] },
      'condition.failIfEventsMatch[0].type',
      'not a known key',
    ],
    [
      'a condition key',
      { failIfEventsMatch: [{ tags: ['t'] }], before: 3 },
      'condition.before',
      'not a known key',
    ],
    [
      'a negative after',
      { failIfEventsMatch: [{ tags: ['t'] }], after: -1 },
      'condition.after',
      'integer ≥ 0',
    ],
    [
      'a fractional after',
      { failIfEventsMatch: [{ tags: ['t'] }], after: 1.5 },
      'condition.after',
      'integer ≥ 0',
    ],
    [
      'a string after',
      { failIfEventsMatch: [{ tags: ['t'] }], after: '3' },
      'condition.after',
      'integer ≥ 0',
    ],
    [
      'a huge after',
      { failIfEventsMatch: [{ tags: ['t'] }], after: 2 ** 60 },
      'condition.after',
      'integer ≥ 0',
    ],
    [
      'an item that is a string',
      { failIfEventsMatch: ['t'] },
      'condition.failIfEventsMatch[0]',
      'condition item',
    ],
    [
      '101 items',
      { failIfEventsMatch: Array.from({ length: 101 }, () => ({ tags: ['t'] })) },
      'condition.failIfEventsMatch',
      'maximum is 100',
    ],
    [
      'an item requiring 33 tags',
      { failIfEventsMatch: [{ tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }] },
      'condition.failIfEventsMatch[0].tags',
      'no event can hold',
    ],
  ])(
    'given %s as condition, when validated, then VALIDATION_ERROR at %s',
    (_label, condition, path, text) => {
      expectInvalid(() => validateAppendEvent(one({ condition }), ctx), path, text);
      expectInvalid(() => validateAppendEvents(batch({ condition }), ctx), path, text);
    },
  );
});

describe('expectedVersions', () => {
  const twoStreams = [
    { streamId: 'order-1', eventType: 'ItemReserved' },
    { streamId: 'stock-7', eventType: 'StockTaken' },
  ];

  it('given expectedVersions for two streams, when validated, then one check per stream and no legacy expectedVersion', () => {
    const request = validateAppendEvents(
      batch({ expectedVersions: { 'order-1': 3, 'stock-7': 'no_stream' } }, twoStreams),
      ctx,
    );
    expect(request.versionChecks).toEqual([
      { streamId: 'order-1', check: { kind: 'exact', version: 3 }, raw: 3 },
      { streamId: 'stock-7', check: { kind: 'exact', version: 0 }, raw: 'no_stream' },
    ]);
    expect(request.expectedVersion).toBeUndefined();
  });

  it('given expectedVersions of one stream that holds the whole batch, then the legacy expectedVersion mirrors it', () => {
    const request = validateAppendEvents(
      batch({ expectedVersions: { s: 'stream_exists' } }, [{ streamId: 's', eventType: 't' }]),
      ctx,
    );
    expect(request.expectedVersion).toEqual({ check: { kind: 'exists' }, raw: 'stream_exists' });
    expect(request.versionChecks).toHaveLength(1);
  });

  it('given expectedVersion, when validated, then it is one version check of its stream', () => {
    const request = validateAppendEvent(one({ streamId: 's', expectedVersion: 0 }), ctx);
    expect(request.versionChecks).toEqual([{ streamId: 's', check: { kind: 'exact', version: 0 }, raw: 0 }]);
    expect(request.expectedVersion).toEqual({ check: { kind: 'exact', version: 0 }, raw: 0 });
  });

  it.each<[string, Record<string, unknown>, string, string | RegExp]>([
    [
      'with expectedVersion',
      { expectedVersion: 1, expectedVersions: { 'order-1': 1 } },
      'expectedVersions',
      'together with expectedVersion',
    ],
    [
      'naming a stream not written',
      { expectedVersions: { 'order-2': 1 } },
      'expectedVersions["order-2"]',
      'does not write',
    ],
    [
      'with a bad version',
      { expectedVersions: { 'order-1': -1 } },
      'expectedVersions["order-1"]',
      'expected a version',
    ],
    ['as an array', { expectedVersions: [1] }, 'expectedVersions', 'expected an object'],
    ['as a number', { expectedVersions: 3 }, 'expectedVersions', 'expected an object'],
    [
      'with an empty stream id',
      { expectedVersions: { '': 1 } },
      'expectedVersions[""]',
      'the key must not be empty',
    ],
  ])('given expectedVersions %s, when validated, then VALIDATION_ERROR', (_label, extra, path, text) => {
    expectInvalid(() => validateAppendEvents(batch(extra, twoStreams), ctx), path, text);
  });

  it('given expectedVersions on appendEvent, when validated, then it is an unknown key', () => {
    expectInvalid(
      () => validateAppendEvent(one({ expectedVersions: { default: 0 } }), ctx),
      'expectedVersions',
      'not a known key',
    );
  });
});
