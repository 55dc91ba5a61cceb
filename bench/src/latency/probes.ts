/** The latency probes: what the appender writes, the stores both processes open, and the timings. */

import { createEventLog, type EventLog } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import { epochMs } from '../measure.js';
import { expectSuccess } from '../side.js';

/** A store both processes can open. */
export type StoreSpec = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** An opened store: the log, and when the commit of a position was acknowledged (when known). */
export interface OpenedLog {
  log: EventLog;
  /**
   * Epoch ms at which the commit that wrote `position` was acknowledged: PostgreSQL reports it
   * through the adapter's `onAppendCommit` hook, called before watchers are woken. SQLite has no
   * such hook: undefined (its commit is acknowledged when the append call returns).
   */
  committedAt(position: number): number | undefined;
}

/** Opens the store with the adapter's defaults (plus, on PostgreSQL, a hook timing commits). */
export function openLog(spec: StoreSpec): OpenedLog {
  if (spec.kind === 'sqlite') {
    return {
      log: createEventLog({ adapter: sqliteAdapter({ file: spec.file }) }),
      committedAt: () => undefined,
    };
  }
  const commits = new Map<number, number>();
  const adapter = postgresAdapter({
    url: spec.url,
    hooks: { onAppendCommit: (info) => commits.set(info.position, epochMs()) },
  });
  return { log: createEventLog({ adapter }), committedAt: (position) => commits.get(position) };
}

/** The payload of a probe: its index and when it was sent (epoch ms, sub-millisecond). */
export interface Probe {
  i: number;
  sentAt: number;
}

/** When one probe was sent, when its commit was acknowledged, and when its append call returned. */
export interface ProbeTiming {
  sentAt: number;
  /** The adapter's commit acknowledgement (PostgreSQL), else when the append call returned. */
  committedAt: number;
  returnedAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Appends `count` probes one at a time, `intervalMs` apart, to the stream `probes`; returns the
 * timings of each (warm-up probes included). Every time is epoch ms from the same clock as the
 * subscriber's, so they compare across processes.
 */
export async function appendProbes(
  opened: OpenedLog,
  instanceId: string,
  count: number,
  intervalMs: number,
): Promise<ProbeTiming[]> {
  const timings: ProbeTiming[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const probe: Probe = { i, sentAt: epochMs() };
    const appended = expectSuccess(
      await opened.log.appendEvent({
        instanceId,
        streamId: 'probes',
        eventType: 'Probe',
        payload: { ...probe },
      }),
      'appendEvent',
    );
    const returnedAt = epochMs();
    const committedAt = opened.committedAt(appended.data.event.global_position) ?? returnedAt;
    timings[i] = { sentAt: probe.sentAt, committedAt, returnedAt };
    if (intervalMs > 0) await sleep(intervalMs);
  }
  return timings;
}
