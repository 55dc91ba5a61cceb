/**
 * The appending process of the cross-process latency case: opens the store the parent named and
 * appends the probes, then prints the timings of each (`ProbeTiming`) as one JSON line on stdout.
 * argv[2]: JSON `{ store, instanceId, count, intervalMs }`.
 */

import { appendProbes, openLog, type StoreSpec } from './probes.js';

const { store, instanceId, count, intervalMs } = JSON.parse(process.argv[2] ?? '{}') as {
  store: StoreSpec;
  instanceId: string;
  count: number;
  intervalMs: number;
};

const opened = openLog(store);
try {
  const timings = await appendProbes(opened, instanceId, count, intervalMs);
  process.stdout.write(`${JSON.stringify({ timings })}\n`);
} finally {
  await opened.log.close();
}
