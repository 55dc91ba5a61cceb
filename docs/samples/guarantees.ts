import { openEventLog } from 'eventlog';

const log = await openEventLog();
await log.createInstance('orders');

// #region sequences
// Sequence numbers count per stream from 1, without gaps; positions are global and increasing.
const batch = await log.appendEvents({
  instanceId: 'orders',
  events: [
    { streamId: 'order-1', eventType: 'OrderCreated', payload: { total: 0 } },
    { streamId: 'order-2', eventType: 'OrderCreated', payload: { total: 0 } },
    { streamId: 'order-1', eventType: 'ItemAdded', payload: { sku: 'A1', price: 12 } },
  ],
});
if (batch.success) {
  for (const e of batch.data.events)
    console.log(e.stream_id, 'seq', e.sequence_number, 'pos', e.global_position);
}
// #endregion sequences

// #region expected-version
// Optimistic concurrency: append only if the stream is still at the version we read.
const stale = await log.appendEvent({
  instanceId: 'orders',
  streamId: 'order-1',
  eventType: 'ItemAdded',
  payload: { sku: 'B2', price: 5 },
  expectedVersion: 1, // we read the stream when it had one event
});
if (!stale.success) console.log(stale.code, JSON.stringify(stale.details));

const fresh = await log.appendEvent({
  instanceId: 'orders',
  streamId: 'order-1',
  eventType: 'ItemAdded',
  payload: { sku: 'B2', price: 5 },
  expectedVersion: 2,
});
console.log('with the right version:', fresh.success);
// #endregion expected-version

// #region idempotency
// An eventId makes a retry safe: the second append returns the stored event and writes nothing.
const pay = {
  instanceId: 'orders',
  streamId: 'order-1',
  eventType: 'OrderPaid',
  payload: { amount: 17 },
  eventId: 'payment-9f2c',
};
const first = await log.appendEvent(pay);
const retry = await log.appendEvent(pay);
if (first.success && retry.success) {
  console.log('same event:', first.data.event.id === retry.data.event.id, 'duplicate:', retry.data.duplicate);
}
// #endregion idempotency

// #region atomic
// A batch is atomic: one bad event and nothing is written.
const broken = await log.appendEvents({
  instanceId: 'orders',
  events: [
    { streamId: 'order-3', eventType: 'OrderCreated' },
    { streamId: 'order-3', eventType: '' }, // an empty event type
  ],
});
if (!broken.success) console.log(broken.code, '-', broken.error);
const stats = await log.getInstanceStats('orders');
if (stats.success) console.log('events:', stats.data.eventCount, 'streams:', stats.data.streamCount);
// #endregion atomic

await log.close();
