// Deleting and truncating streams, retention, archiving and erasure (README "Lifecycle" and
// docs/guides/lifecycle.md): each region is a README block, run here against memory and SQLite.

// #region delete
import { createEventLog } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';

const log = createEventLog({ adapter: memoryAdapter() });
await log.createInstance('shop');
await log.appendEvents({
  instanceId: 'shop',
  streamId: 'cart-7',
  events: [
    { eventType: 'ItemAdded', payload: { sku: 'A1' } },
    { eventType: 'ItemAdded', payload: { sku: 'B2' } },
  ],
});

const deleted = await log.deleteStream({ instanceId: 'shop', streamId: 'cart-7', expectedVersion: 2 });
if (deleted.success) console.log(deleted.data); // { streamId: 'cart-7', deletedEvents: 2, version: 2 }

// The stream's sequence continues: expected versions stay meaningful, positions are never reused.
const next = await log.appendEvents({
  instanceId: 'shop',
  streamId: 'cart-7',
  expectedVersion: 2,
  events: [{ eventType: 'ItemAdded' }, { eventType: 'ItemAdded' }],
});
if (next.success) console.log(next.data.events.map((e) => e.sequence_number)); // [ 3, 4 ]

const truncated = await log.truncateStream({ instanceId: 'shop', streamId: 'cart-7', before: 4 });
if (truncated.success) console.log(truncated.data); // events with sequence_number < 4 are gone
// #endregion delete

const system = await log.queryEvents({
  from: { instance: 'shop', stream: '$system' },
  select: ['event_type', 'payload'],
});
if (system.success) console.log(system.data.result.events);

// #region retention
await log.setRetention({ instanceId: 'shop', maxAgeMs: 90 * 86_400_000, maxEventsPerStream: 1000 });
// a rule left out is kept; null removes it: setRetention({ instanceId: 'shop', maxAgeMs: null })

const pruned = await log.pruneExpired({ instanceId: 'shop' }); // or pruneExpired() for every instance
if (pruned.success) console.log(pruned.data.deletedEvents);

// #endregion retention

// #region archive
import { archiveEvents, openArchive, openEventLog, restoreArchive } from 'eventlog';

const store = await openEventLog('memory:'); // any store whose adapter declares capabilities.archive
await store.createInstance('audit-log');
await store.appendEvent({ instanceId: 'audit-log', eventType: 'login', timestamp: '2020-05-01T10:00:00Z' });

// Move events older than the cutoff into ./archive (gzip NDJSON + manifest.json with SHA-256).
await archiveEvents(store.store, {
  dir: './archive',
  instance: 'audit-log',
  before: '2024-01-01T00:00:00.000Z',
});

// Query the archive with the same DSL (read-only, in memory)…
const archive = await openArchive('./archive');
const old = await archive.queryEvents({ from: { instance: 'audit-log' }, reduce: { type: 'count' } });
if (old.success) console.log(old.data.result.aggregation?.value); // 1
await archive.close();

// …or bring the events back: same ids, timestamps, eventIds, tags, sequence numbers and positions.
await restoreArchive(store.store, { dir: './archive' });
await store.close();
// #endregion archive

// #region erasure
await log.appendEvent({
  instanceId: 'shop',
  streamId: 'customer-42',
  eventType: 'CustomerRegistered',
  payload: { email: 'ada@example.com', address: { city: 'London' }, plan: 'pro' },
  metadata: { subject: 'customer-42', personal: ['payload.email', 'payload.address.city'] },
});

await log.forgetSubject('customer-42');
// every read — queries, live events, projections rebuilt from now on — returns
// { email: '[erased]', address: { city: '[erased]' }, plan: 'pro' }
// #endregion erasure

const customer = await log.queryEvents({
  from: { instance: 'shop', stream: 'customer-42' },
  select: ['payload'],
});
if (customer.success) console.log(JSON.stringify(customer.data.result.events));
await log.close();
