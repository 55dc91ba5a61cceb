import { describe, expect, it } from 'vitest';
import {
  applyRetentionChange,
  validateDeleteStream,
  validateForgetSubject,
  validatePruneExpired,
  validateSetRetention,
  validateTruncateStream,
} from './lifecycle.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a VALIDATION_ERROR');
}

describe('validation: lifecycle params', () => {
  it('given deleteStream params, then the expected version is normalized and reserved streams are refused', () => {
    expect(validateDeleteStream({ instanceId: 'i', streamId: 's' })).toEqual({
      instance: 'i',
      streamId: 's',
    });
    expect(validateDeleteStream({ instanceId: 'i', streamId: 's', expectedVersion: 'no_stream' })).toEqual({
      instance: 'i',
      streamId: 's',
      expectedVersion: { check: { kind: 'exact', version: 0 }, raw: 'no_stream' },
    });
    expect(message(() => validateDeleteStream({ instanceId: 'i', streamId: '$system' }))).toMatch(
      /^streamId: "\$system" is reserved/,
    );
    expect(
      message(() => validateDeleteStream({ instanceId: 'i', streamId: 's', expectedVersion: 1.5 })),
    ).toMatch(/^expectedVersion: expected a version/);
  });

  it('given truncateStream params, then before is an integer from 1', () => {
    expect(validateTruncateStream({ instanceId: 'i', streamId: 's', before: 1 })).toEqual({
      instance: 'i',
      streamId: 's',
      before: 1,
    });
    expect(message(() => validateTruncateStream({ instanceId: 'i', streamId: 's', before: 0 }))).toMatch(
      /^before: expected a sequence number .*an integer from 1 to 9007199254740991, got the number 0/,
    );
  });

  it('given setRetention params, then rules are positive safe integers or null, and at least one is given', () => {
    expect(validateSetRetention({ instanceId: 'i', maxAgeMs: 1, maxEventsPerStream: null })).toEqual({
      instance: 'i',
      maxAgeMs: 1,
      maxEventsPerStream: null,
    });
    expect(message(() => validateSetRetention({ instanceId: 'i' }))).toMatch(/^params: has no rule to set/);
    for (const bad of [0, -1, 1.5, Number.POSITIVE_INFINITY, 2 ** 53, '5', true]) {
      expect(message(() => validateSetRetention({ instanceId: 'i', maxAgeMs: bad }))).toMatch(
        /^maxAgeMs: expected/,
      );
    }
  });

  it('given a retention change, then a rule given replaces, null removes, and one left out stays', () => {
    expect(applyRetentionChange(undefined, { maxAgeMs: 5 })).toEqual({ maxAgeMs: 5 });
    expect(applyRetentionChange({ maxAgeMs: 5 }, { maxEventsPerStream: 2 })).toEqual({
      maxAgeMs: 5,
      maxEventsPerStream: 2,
    });
    expect(applyRetentionChange({ maxAgeMs: 5, maxEventsPerStream: 2 }, { maxAgeMs: null })).toEqual({
      maxEventsPerStream: 2,
    });
    expect(applyRetentionChange({ maxAgeMs: 5 }, { maxAgeMs: null })).toBeUndefined();
  });

  it('given pruneExpired and forgetSubject params, then they take an optional instance and a subject id', () => {
    expect(validatePruneExpired(undefined)).toEqual({});
    expect(validatePruneExpired({ instanceId: 'i' })).toEqual({ instance: 'i' });
    expect(message(() => validatePruneExpired({ instance: 'i' }))).toMatch(/^instance: is not a known key/);
    expect(validateForgetSubject('customer-1')).toBe('customer-1');
    expect(validateForgetSubject({ subjectId: 'customer-1' })).toBe('customer-1');
    expect(message(() => validateForgetSubject(' '))).toMatch(/^subjectId: must not be only whitespace/);
  });
});
