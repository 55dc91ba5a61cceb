/**
 * The pruning `eventlog serve` does (`--prune-interval`, default every 10 minutes; `off`).
 */

import type { EventLog } from '@eventlog/core';
import { usageError } from '../cli/output.js';
import { type Pruner, parseDuration, startPruner } from './pruner.js';

/** `--prune-interval`: a duration (`10m`, `1h`, milliseconds) or `off` (undefined). */
export function pruneIntervalOption(value: string): number | undefined {
  if (value === 'off') return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1000) {
    throw usageError(
      `--prune-interval must be a duration of at least 1s (10m, 1h, 30s) or off; got "${value}".`,
    );
  }
  return ms;
}

/** Starts the server's pruner, reporting on stderr what it removed and what failed. */
export function startServePruner(log: EventLog, intervalMs: number): Pruner {
  const pruner = startPruner(log, {
    intervalMs,
    onPruned: ({ deletedEvents }) =>
      process.stderr.write(`eventlog: pruned ${deletedEvents} expired events\n`),
    onError: (error) => process.stderr.write(`eventlog: pruning failed: ${error}\n`),
  });
  if (!pruner.active) {
    process.stderr.write(
      `eventlog: the ${log.store.adapter.name} adapter has no retention support (capabilities.lifecycle); nothing will be pruned\n`,
    );
  }
  return pruner;
}
