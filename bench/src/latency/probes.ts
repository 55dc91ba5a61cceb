/** The latency probes: what the appender writes, and the stores both processes open. */

import { createEventLog, type EventLog } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import { epochMs } from '../measure.js';
import { expectSuccess } from '../side.js';

/** A store both processes can open. */
export type StoreSpec = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function openLog(spec: StoreSpec): EventLog {
  return createEventLog({
    adapter: spec.kind === 'sqlite' ? sqliteAdapter({ file: spec.file }) : postgresAdapter({ url: spec.url }),
  });
}

/** The payload of a probe: its index and when it was sent (epoch ms, sub-millisecond). */
export interface Probe {
  i: number;
  sentAt: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Appends `count` probes one at a time, `intervalMs` apart, to the stream `probes`; returns how long
 * each `appendEvent` call took (ms), warm-up probes included.
 */
export async function appendProbes(
  log: EventLog,
  instanceId: string,
  count: number,
  intervalMs: number,
): Promise<number[]> {
  const durations: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const probe: Probe = { i, sentAt: epochMs() };
    expectSuccess(
      await log.appendEvent({ instanceId, streamId: 'probes', eventType: 'Probe', payload: { ...probe } }),
      'appendEvent',
    );
    durations[i] = epochMs() - probe.sentAt;
    if (intervalMs > 0) await sleep(intervalMs);
  }
  return durations;
}
