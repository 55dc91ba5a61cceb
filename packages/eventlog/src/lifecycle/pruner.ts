/**
 * Periodic pruning for `eventlog serve`: runs `pruneExpired` over every instance at an interval,
 * one run at a time.
 */

import { type EventLog, type EventMap, hasCapability, type PruneExpiredData } from '@eventlog/core';

/** The default interval of `eventlog serve --prune-interval`: 10 minutes. */
export const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** Options of {@link startPruner}. */
export interface PrunerOptions {
  /** Milliseconds between runs (a run that takes longer delays the next). */
  intervalMs: number;
  /** Called after each run that removed events. */
  onPruned?: (result: PruneExpiredData) => void;
  /** Called when a run fails; the next run is still attempted. */
  onError?: (error: string) => void;
}

/** A running pruner. */
export interface Pruner {
  /** True when the adapter supports pruning (else the pruner does nothing). */
  readonly active: boolean;
  /** Runs once now (waits for a run in progress first). */
  runOnce(): Promise<PruneExpiredData | undefined>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * Starts pruning a log periodically. The timer never keeps the process alive by itself. On an
 * adapter without `capabilities.lifecycle` it does nothing (`active: false`).
 *
 * @example
 * const pruner = startPruner(log, { intervalMs: 60_000, onError: console.error });
 * // …
 * await pruner.stop();
 */
export function startPruner(log: EventLog<EventMap>, options: PrunerOptions): Pruner {
  const active = hasCapability(log.store.adapter, 'lifecycle');
  let running: Promise<PruneExpiredData | undefined> = Promise.resolve(undefined);
  let stopped = false;
  const run = (): Promise<PruneExpiredData | undefined> => {
    running = running.then(async () => {
      if (stopped || !active) return undefined;
      const res = await log.pruneExpired();
      if (!res.success) {
        options.onError?.(`${res.code}: ${res.error}`);
        return undefined;
      }
      if (res.data.deletedEvents > 0) options.onPruned?.(res.data);
      return res.data;
    });
    return running;
  };
  const timer = active ? setInterval(() => void run(), options.intervalMs) : undefined;
  timer?.unref();
  return {
    active,
    runOnce: run,
    async stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      await running;
    },
  };
}

/**
 * Parses a duration: milliseconds as an integer, or a number with a unit — `ms`, `s`, `m`, `h`,
 * `d`, `w` (`90d`, `12h`, `1.5h`). Undefined when it is not one.
 *
 * @example parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
    (match[2] ?? 'ms') as 'ms'
  ];
  const ms = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
