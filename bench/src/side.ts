/** What every contender (ours, the raw driver, Emmett) offers the benchmark. */

import type { BenchEvent, QueryName, QueryOutcome } from './workload.js';

export type SideName = 'ours' | 'raw' | 'emmett';

/** One contender, opened on a fresh database. */
export interface BenchSide {
  readonly name: SideName;
  /** What it runs with, as read back from the database (for example `WAL, synchronous=FULL`). */
  readonly settings: string;
  /** Appends the events to one stream in one atomic call. */
  appendBatch(stream: string, events: readonly BenchEvent[]): Promise<void>;
  /** Appends one event. */
  appendOne(stream: string, event: BenchEvent): Promise<void>;
  /** The query cases this side can answer (Emmett has no query API, only `readStream`). */
  readonly queries: Partial<Record<QueryName, () => Promise<QueryOutcome>>>;
  /** The database URL, for sides that run in a database of their own (PostgreSQL). */
  readonly database?: string;
  close(): Promise<void>;
}

/** Throws when an envelope failed: the benchmark never times failures. */
export function expectSuccess<T extends { success: boolean }>(
  envelope: T,
  what: string,
): Extract<T, { success: true }> {
  if (!envelope.success) {
    const failure = envelope as { code?: string; error?: string };
    throw new Error(`${what} failed: ${failure.code} ${failure.error}`);
  }
  return envelope as Extract<T, { success: true }>;
}
