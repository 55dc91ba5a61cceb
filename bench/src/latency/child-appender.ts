/**
 * The appending process of the cross-process latency case: opens the store the parent named and
 * appends the probes, then prints the duration of each append as one JSON line on stdout.
 * argv[2]: JSON `{ store, instanceId, count, intervalMs }`.
 */

import { appendProbes, openLog, type StoreSpec } from './probes.js';

const { store, instanceId, count, intervalMs } = JSON.parse(process.argv[2] ?? '{}') as {
  store: StoreSpec;
  instanceId: string;
  count: number;
  intervalMs: number;
};

const log = openLog(store);
try {
  const durations = await appendProbes(log, instanceId, count, intervalMs);
  process.stdout.write(`${JSON.stringify({ durations })}\n`);
} finally {
  await log.close();
}
