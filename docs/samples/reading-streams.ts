// #region types
import { appendToStream, EventLogError, readStream, streamEvents } from '@eventlog/core';
import { openEventLog } from 'eventlog';

type ShopEvents = {
  OrderCreated: { orderId: string; customer: string };
  ItemAdded: { sku: string; price: number };
  OrderShipped: { carrier: string };
};

const log = await openEventLog<ShopEvents>();
await log.createInstance('shop');
// #endregion types

// #region append
const created = await appendToStream(log, {
  instance: 'shop',
  streamId: 'order-42',
  expectedVersion: 'no_stream', // the stream must not exist yet
  events: [
    { eventType: 'OrderCreated', payload: { orderId: '42', customer: 'ann' } },
    { eventType: 'ItemAdded', payload: { sku: 'A1', price: 12 } },
  ],
});
console.log('next expected version:', created.nextExpectedVersion);

for (const [sku, price] of [
  ['B2', 5],
  ['C3', 7.5],
] as const) {
  await appendToStream(log, {
    instance: 'shop',
    streamId: 'order-42',
    events: [{ eventType: 'ItemAdded', payload: { sku, price } }],
  });
}
// #endregion append

// #region conflict
try {
  await appendToStream(log, {
    instance: 'shop',
    streamId: 'order-42',
    expectedVersion: created.nextExpectedVersion, // 2, but two items were added since
    events: [{ eventType: 'OrderShipped', payload: { carrier: 'ups' } }],
  });
} catch (error) {
  if (EventLogError.isInstance(error) && error.code === 'CONFLICT') {
    console.log('conflict:', JSON.stringify(error.details));
  }
}
// #endregion conflict

// #region forward
const { events, currentVersion, streamExists } = await readStream(log, {
  instance: 'shop',
  streamId: 'order-42',
});
let total = 0;
for (const e of events) {
  if (e.event_type === 'ItemAdded') total += e.payload.price; // typed by the event map
}
console.log(`${events.length} events, version ${currentVersion}, exists ${streamExists}, total ${total}`);
// #endregion forward

// #region backward
const last2 = await readStream(log, {
  instance: 'shop',
  streamId: 'order-42',
  direction: 'backward',
  maxCount: 2,
});
console.log('newest first:', last2.events.map((e) => `#${e.sequence_number} ${e.event_type}`).join(', '));

const from3 = await readStream(log, { instance: 'shop', streamId: 'order-42', fromVersion: 3 });
console.log('from version 3:', from3.events.map((e) => e.sequence_number).join(', '));
// #endregion backward

// #region iterate
// A long stream, one page per round trip; nothing is read before you iterate.
for await (const e of streamEvents(log, { instance: 'shop', streamId: 'order-42', pageSize: 2 })) {
  if (e.event_type === 'ItemAdded') console.log('item', e.payload.sku, e.payload.price);
}
// #endregion iterate

// #region missing
console.log(JSON.stringify(await readStream(log, { instance: 'shop', streamId: 'order-404' })));
// #endregion missing

// #region category
// Every stream of a category: `startsWith` on stream_id is served by an index.
const orders = await log.queryEvents({
  from: { instance: 'shop' },
  where: [{ field: 'stream_id', operator: 'startsWith', value: 'order-' }],
  reduce: { type: 'count', groupBy: ['stream_id'] },
});
if (orders.success) console.log(JSON.stringify(orders.data.result.aggregation?.groups));
// #endregion category

await log.close();
