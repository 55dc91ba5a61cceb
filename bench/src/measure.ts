/** Timing helpers: wall-clock time, medians, percentiles, time-boxed repetition. */

import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** The median (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The p-th percentile (nearest rank, p in 0..100) of the values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Runs `fn` once and returns the elapsed milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = now();
  await fn();
  return now() - start;
}

/**
 * Calls `fn` repeatedly, one call at a time, for at least `minMs` and `minCalls` calls; returns
 * calls per second.
 */
export async function callsPerSecond(
  fn: () => Promise<unknown>,
  minMs: number,
  minCalls = 5,
): Promise<number> {
  let calls = 0;
  const start = now();
  let elapsed = 0;
  while (calls < minCalls || elapsed < minMs) {
    await fn();
    calls++;
    elapsed = now() - start;
  }
  return (calls * 1000) / elapsed;
}

/** Lets timers, I/O callbacks and the garbage collector catch up between measurements. */
export async function settle(ms = 50): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The items rotated left by `k` (the order sides run in, changed every repetition). */
export function rotate<T>(items: readonly T[], k: number): T[] {
  if (items.length === 0) return [];
  const n = k % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}
