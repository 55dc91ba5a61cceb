import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { DEFAULT_LIMITS, resolveLimits } from '../limits.js';
import { validateReadAfter } from './read-after.js';

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('validateReadAfter', () => {
  it('given only an instance, when validated, then after is 0 and the page is 500', () => {
    expect(validateReadAfter({ instance: 'audit' }, DEFAULT_LIMITS)).toEqual({
      instance: 'audit',
      after: 0,
      limit: 500,
    });
  });

  it('given a small maxQueryLimit, when no limit is given, then the page is capped by it', () => {
    expect(validateReadAfter({ instance: 'a' }, resolveLimits({ maxQueryLimit: 50 })).limit).toBe(50);
  });

  it('given every option, when validated, then where is parsed into one and node', () => {
    const out = validateReadAfter(
      {
        instance: 'a',
        after: 10,
        stream: 's',
        limit: 20,
        where: [{ field: 'eventType', operator: 'eq', value: 'x' }],
      },
      DEFAULT_LIMITS,
    );
    expect(out).toMatchObject({ instance: 'a', after: 10, stream: 's', limit: 20 });
    expect(out.where).toMatchObject({ kind: 'and', conditions: [{ kind: 'compare', op: 'eq', value: 'x' }] });
  });

  it.each([
    [{}, 'VALIDATION_ERROR', 'instance', 'is required'],
    [{ instance: 'a', after: -1 }, 'VALIDATION_ERROR', 'after', 'an integer ≥ 0'],
    [{ instance: 'a', after: 1.5 }, 'VALIDATION_ERROR', 'after', 'an integer ≥ 0'],
    [{ instance: 'a', limit: 0 }, 'VALIDATION_ERROR', 'limit', 'an integer ≥ 1'],
    [{ instance: 'a', limit: 10_001 }, 'LIMIT_EXCEEDED', 'limit', 'maxQueryLimit'],
    [{ instance: 'a', stream: '' }, 'VALIDATION_ERROR', 'stream', 'must not be empty'],
    [
      { instance: 'a', where: [{ field: 'nope', operator: 'eq', value: 1 }] },
      'VALIDATION_ERROR',
      'where[0].field',
      'is not a field',
    ],
    [{ instance: 'a', from: 1 }, 'VALIDATION_ERROR', 'from', 'is not a known key'],
  ])('given %j, when validated, then %s at %s', (params, code, path, text) => {
    const error = errorOf(() => validateReadAfter(params, DEFAULT_LIMITS));
    expect(error.code).toBe(code);
    expect(error.message.startsWith(`${path}: `)).toBe(true);
    expect(error.message).toContain(text);
  });
});
