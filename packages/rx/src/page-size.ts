/**
 * The page size of live reads.
 */

import { DEFAULT_READ_PAGE } from '@eventlog/core';

/**
 * Page size of live reads: the option, else 500, never above the log's `maxQueryLimit`.
 *
 * @throws TypeError when `requested` is not an integer ≥ 1
 * @example
 * pageSizeOf(undefined, 10_000); // 500
 * pageSizeOf(20_000, 10_000);    // 10000
 */
export function pageSizeOf(requested: number | undefined, maxQueryLimit: number): number {
  if (requested === undefined) return Math.min(DEFAULT_READ_PAGE, maxQueryLimit);
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw new TypeError(`pageSize must be an integer ≥ 1, got ${String(requested)}.`);
  }
  return Math.min(requested, maxQueryLimit);
}
