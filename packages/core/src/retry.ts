/**
 * Retries of optimistic writes (`handleCommand`, `decide`): when another writer got there first,
 * read again and decide again, after a jittered exponential backoff so that racing writers spread
 * out instead of colliding again in lockstep.
 */

/** How a helper retries after a `CONFLICT`. */
export interface RetryOptions {
  /**
   * How many times to read again and decide again after a conflict; 0 fails on the first one.
   * Default {@link DEFAULT_RETRY}`.maxRetries` (20).
   */
  maxRetries?: number;
  /** The backoff before the first retry, in ms (doubled each retry, up to `maxDelayMs`). Default 5. */
  initialDelayMs?: number;
  /** The largest backoff, in ms. Default 250. */
  maxDelayMs?: number;
}

/**
 * The default retry policy: up to 20 retries, "full jitter" backoff from 5 ms doubling up to
 * 250 ms. Measured on the memory and SQLite adapters, it lets 20 concurrent commands on one stream
 * all succeed; under heavier contention on one stream or boundary, raise `maxRetries` or
 * serialize the writers (a queue per stream).
 */
export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = Object.freeze({
  maxRetries: 20,
  initialDelayMs: 5,
  maxDelayMs: 250,
});

/** Checks and completes retry options. @throws TypeError for negative or non-integer values */
export function resolveRetry(options: RetryOptions = {}): Required<RetryOptions> {
  const resolved = { ...DEFAULT_RETRY };
  for (const key of ['maxRetries', 'initialDelayMs', 'maxDelayMs'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`${key} must be an integer ≥ 0, got ${String(value)}.`);
    }
    resolved[key] = value;
  }
  return resolved;
}

/**
 * The backoff before retry number `attempt` (0 for the first): a random delay in
 * `[0, min(maxDelayMs, initialDelayMs · 2^attempt))` ("full jitter").
 *
 * @example backoffDelay(3, resolveRetry()) // somewhere in [0, 40) ms
 */
export function backoffDelay(attempt: number, options: Required<RetryOptions>, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms` milliseconds (at once for 0). */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
