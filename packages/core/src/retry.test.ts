import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, resolveRetry } from './retry.js';

describe('backoffDelay', () => {
  it('given attempts, then the ceiling doubles from initialDelayMs up to maxDelayMs ("full jitter" below it)', () => {
    const options = resolveRetry({ initialDelayMs: 5, maxDelayMs: 250 });
    const ceiling = (attempt: number) => backoffDelay(attempt, options, () => 0.999_999) + 1;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 100].map(ceiling)).toEqual([5, 10, 20, 40, 80, 160, 250, 250, 250]);
    expect(backoffDelay(3, options, () => 0)).toBe(0);
    expect(backoffDelay(3, options, () => 0.5)).toBe(20);
  });

  it('given the default random source, then delays spread over the range', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(6, resolveRetry())));
    expect(delays.size).toBeGreaterThan(50);
    for (const d of delays) expect(d).toBeLessThan(DEFAULT_RETRY.maxDelayMs);
  });
});

describe('resolveRetry', () => {
  it('given nothing, then the defaults', () => {
    expect(resolveRetry()).toEqual({ maxRetries: 20, initialDelayMs: 5, maxDelayMs: 250 });
  });

  it.each([
    ['maxRetries', -1],
    ['initialDelayMs', 1.5],
    ['maxDelayMs', Number.NaN],
  ])('given %s = %s, then a TypeError', (key, value) => {
    expect(() => resolveRetry({ [key]: value })).toThrow(new RegExp(`${key} must be an integer ≥ 0`));
  });
});
