/**
 * What an append to a quiet instance costs on PostgreSQL when a busy instance wrote since:
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-quiet-append.ts`.
 * Not part of `pnpm bench`. In a database of its own: rounds of `BUSY` (default 100,000) events
 * appended to a busy instance, then one single append to a quiet instance, timed, and 20 more
 * single appends to it (its own last event is then the table's last). Prints each round's times.
 * Before migration 0009 the first took time in proportion to the busy instance's events (the
 * generic plan of `append_events`'s head read walked the primary key past them).
 */

import { profileLog } from './postgres/databases.js';

const BUSY = Number(process.env.BUSY ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const { log, done } = await profileLog();
await log.createInstance('quiet');
await log.createInstance('busy');
const single = async (instanceId: string) => {
  const start = performance.now();
  const result = await log.appendEvents({
    instanceId,
    streamId: 's',
    events: [{ eventType: 'Noted', payload: { k: 1 } }],
  });
  if (!result.success) throw new Error(result.error);
  return performance.now() - start;
};
await single('quiet');
for (let round = 1; round <= ROUNDS; round++) {
  for (let k = 0; k < BUSY; k += 5000) {
    const result = await log.appendEvents({
      instanceId: 'busy',
      streamId: `b${k}`,
      events: Array.from({ length: Math.min(5000, BUSY - k) }, () => ({
        eventType: 'Noted',
        payload: { k },
      })),
    });
    if (!result.success) throw new Error(result.error);
  }
  const first = await single('quiet');
  const next: number[] = [];
  for (let k = 0; k < 20; k++) next.push(await single('quiet'));
  next.sort((a, b) => a - b);
  console.log(
    `round ${round}: after ${BUSY * round} busy events, the quiet instance's append ${first.toFixed(2)} ms; the next 20: median ${next[10]?.toFixed(2)} ms`,
  );
}
await done();
