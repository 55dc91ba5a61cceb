// Running on several machines (README and docs/guides/scaling.md): one PostgreSQL primary, its
// streaming replicas, and partitioned projection workers. Runs against PostgreSQL only
// (docs/test/samples.test.ts gives it DATABASE_URL and REPLICA_URLS).

// #region several-machines
import { createEventLog } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { projection } from '@eventlog/rx';

const primary = process.env.DATABASE_URL; // postgres://app:secret@primary:5432/app
const replicas = process.env.REPLICA_URLS?.split(',') ?? []; // postgres://app:secret@replica-1:5432/app,…
if (primary === undefined) throw new Error('Set DATABASE_URL to the primary.');

// Queries and statistics go to the replicas in turn, once they have replayed this process's last
// write (else the primary answers): a read after an append always sees it.
const log = createEventLog({ adapter: postgresAdapter({ url: primary, replicas }) });
await log.createInstance('orders'); // the first worker creates it; the others get ALREADY_EXISTS

// Run this in every worker process: they share the 8 partitions (by a hash of stream_id) through
// leases in the database. Each stream's events are handled in order by one process at a time, each
// event exactly once when the handler writes through the transaction it is given (here its
// key-value store; `driver` is the postgres.js transaction), and the partitions of a process that
// dies move to the others once its lease expires (10 s by default).
const totals = projection({
  log,
  name: 'order-totals',
  instance: 'orders',
  partitions: 8,
  handler: async (event, { kv }) => {
    const total = (await kv.get('order-totals', event.stream_id))?.value ?? 0;
    await kv.put('order-totals', event.stream_id, Number(total) + Number(event.payload.amount));
  },
});
totals.start();
// #endregion several-machines

for (const [order, amount] of [
  ['order-1', 10],
  ['order-2', 5],
  ['order-1', 7],
] as const) {
  await log.appendEvent({
    instanceId: 'orders',
    streamId: order,
    eventType: 'ItemAdded',
    payload: { amount },
  });
}
// A read right after the appends sees them, whichever server answers.
const count = await log.queryEvents({ from: { instance: 'orders' }, reduce: { type: 'count' } });
if (count.success) console.log('events:', count.data.result.aggregation?.value);

await totals.caughtUp();
const kv = log.store.adapter.kv;
console.log(
  'totals:',
  Object.fromEntries((await kv.list('order-totals')).map(({ key, value }) => [key, value])),
);
await totals.stop();
await log.close();
