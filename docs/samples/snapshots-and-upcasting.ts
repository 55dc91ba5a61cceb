import {
  aggregateStream,
  type Decider,
  type EventLog,
  handleCommand,
  SNAPSHOT_NAMESPACE,
  upcastChain,
} from '@eventlog/core';
import { openEventLog } from 'eventlog';

// #region events
// Today's shape of PriceSet. Version 1 stored cents; version 2 an amount; version 3 adds a currency.
type PriceEvents = { PriceSet: { sku: string; price: { amount: number; currency: string } } };

const upcasters = upcastChain<PriceEvents, 'PriceSet'>('PriceSet', [
  (v1: { sku: string; cents: number }) => ({ sku: v1.sku, amount: v1.cents / 100 }), // v1 → v2
  (v2: { sku: string; amount: number }) => ({ sku: v2.sku, price: { amount: v2.amount, currency: 'EUR' } }), // v2 → v3
]);
// #endregion events

const log = await openEventLog<PriceEvents>();

// #region old-events
// Events written by older versions of the program: schemaVersion 1 (absent) and 2.
// (Written here through an untyped view of the same log: today's types would refuse them.)
const legacy = log as unknown as EventLog;
await legacy.store.appendEvents({
  instanceId: 'catalog',
  autoCreateInstance: true,
  streamId: 'sku-A1',
  events: [
    { eventType: 'PriceSet', payload: { sku: 'A1', cents: 1250 } },
    { eventType: 'PriceSet', payload: { sku: 'A1', amount: 13 }, metadata: { schemaVersion: 2 } },
  ],
});
// #endregion old-events

// #region read
type Price = { amount: number; currency: string; changes: number };
const price: Decider<Price, { amount: number }, PriceEvents> = {
  initialState: () => ({ amount: 0, currency: 'EUR', changes: 0 }),
  // evolve only ever sees today's shape
  evolve: (s, e) => ({ ...e.payload.price, changes: s.changes + 1 }),
  decide: (command) => ({
    eventType: 'PriceSet',
    payload: { sku: 'A1', price: { amount: command.amount, currency: 'EUR' } },
    metadata: { schemaVersion: 3 },
  }),
};
const rebuilt = await aggregateStream(log, { instance: 'catalog', streamId: 'sku-A1', ...price, upcasters });
console.log('rebuilt:', JSON.stringify(rebuilt));

// Queries run in the database and see events as stored.
const stored = await log.store.queryEvents({ from: { instance: 'catalog' }, select: ['payload'] });
console.log('stored:', JSON.stringify(stored.events?.map((e) => e.payload)));
// #endregion read

// #region snapshot
// A snapshot every 3 events, written in the transaction of the command's append.
for (const amount of [14, 15, 16, 17]) {
  await handleCommand(log, {
    instance: 'catalog',
    streamId: 'sku-A1',
    decider: price,
    command: { amount },
    upcasters,
    snapshot: { every: 3 },
  });
}
const snapshots = await log.store.adapter.kv.list(SNAPSHOT_NAMESPACE);
for (const { value } of snapshots) {
  const { state, version, position } = value as { state: Price; version: number; position: number };
  console.log('snapshot at version', version, 'position', position, JSON.stringify(state));
}
// #endregion snapshot

await log.close();
