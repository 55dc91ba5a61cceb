/**
 * What a rollup costs `deleteInstance` on PostgreSQL:
 * `EVENTLOG_TEST_PG_URL=… N=100000 tsx --conditions=@eventlog/source src/profile-delete-instance.ts`.
 * Not part of `pnpm bench`. In a database of its own, with another instance holding an hourly
 * rollup (so rollup triggers exist whatever is deleted), it fills instances of `N` events (default
 * 200,000), alternately without and with a rollup of their own, and times deleting each.
 */
import { profileLog } from './postgres/databases.js';

const { log, done } = await profileLog();
const N = Number(process.env.N ?? 200_000);
async function fill(name: string, rollup: boolean) {
  await log.createInstance(name);
  if (rollup)
    await log.defineRollup({
      instanceId: name,
      name: 'hourly',
      groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }],
      measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
    });
  for (let done = 0; done < N; done += 1000) {
    const events = Array.from({ length: 1000 }, (_, j) => ({
      streamId: `s-${(done + j) % 1000}`,
      eventType: `T${j % 5}`,
      payload: { amount: j },
    }));
    const r = await log.appendEvents({ instanceId: name, events });
    if (!r.success) throw new Error(r.error);
  }
}
// another instance with a rollup, so the triggers exist whatever is deleted
await fill('other', true);
for (const rollup of [false, true, false, true]) {
  const name = `i-${rollup}-${crypto.randomUUID()}`;
  await fill(name, rollup);
  const start = performance.now();
  const r = await log.deleteInstance(name);
  if (!r.success) throw new Error(r.error);
  console.log(
    `deleteInstance of ${N} events, rollup ${rollup}: ${(performance.now() - start).toFixed(0)} ms`,
  );
}
await done();
