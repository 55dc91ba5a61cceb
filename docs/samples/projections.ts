import { projection } from '@eventlog/rx';
import { openEventLog } from 'eventlog';
import { type CartEvents, revenuePerDay } from './_cart.js';

const log = await openEventLog<CartEvents>();
const day = (d: number) => `2024-01-${String(d).padStart(2, '0')}T12:00:00Z`;
await log.appendEvents({
  instanceId: 'shop',
  autoCreateInstance: true,
  events: [19, 19, 20, 21].map((d, i) => ({
    streamId: `cart-${i}`,
    eventType: 'CheckedOut' as const,
    payload: { total: 10 * (i + 1) },
    timestamp: day(d),
  })),
});

// #region setup
const revenue = projection({
  log,
  name: 'revenue-per-day', // names the checkpoint and the lease: one name per read model
  instance: 'shop',
  handler: revenuePerDay, // writes through context.kv: in the batch's transaction
  onReset: async ({ kv }) => {
    for (const { key } of await kv.list('revenue')) await kv.delete('revenue', key);
  },
  batchSize: 100,
  lease: { ttlMs: 10_000 }, // a standby process takes over 10 s after this one stops renewing
});
// #endregion setup

// #region supervise
// Supervision: a handler error stops the projection at that event; storage errors are retried.
revenue.errors$.subscribe((error) => {
  console.error(`${error.projection}: ${error.message}${error.retrying ? ' (retrying)' : ''}`);
});
revenue.status$.subscribe((status) => {
  if (status.state === 'failed')
    console.error(`failed at position ${status.position}; fix, then start() again`);
});
revenue.start();
console.log('caught up at position', await revenue.caughtUp());
// #endregion supervise

// #region read-model
const readModel = async () =>
  Object.fromEntries((await log.store.adapter.kv.list('revenue')).map(({ key, value }) => [key, value]));
console.log('read model:', JSON.stringify(await readModel()));
// #endregion read-model

// #region lag
/** How far the read model is behind the log, in positions: export it as a metric, alert when it grows. */
async function lag(): Promise<number> {
  return (await log.store.headPosition('shop')) - revenue.status.position;
}
await log.appendEvent({
  instanceId: 'shop',
  streamId: 'cart-9',
  eventType: 'CheckedOut',
  payload: { total: 5 },
  timestamp: day(21),
});
await revenue.caughtUp(); // resolves once everything committed before the call is handled
console.log('lag after caughtUp():', await lag());
// #endregion lag

// #region rebuild
// Rebuild after changing the handler: clear the read model and the checkpoint, replay everything.
await revenue.reset();
await revenue.caughtUp();
console.log('rebuilt:', JSON.stringify(await readModel()));
// #endregion rebuild

// #region sigterm
// Graceful shutdown: finish (or roll back) the batch in hand, write the checkpoint, release the lease.
process.once('SIGTERM', async () => {
  await revenue.stop();
  await log.close();
  console.log(`stopped at position ${revenue.status.position}; the next start resumes there`);
});
// #endregion sigterm

process.kill(process.pid, 'SIGTERM'); // as an orchestrator would
