import type { Query } from '@eventlog/core';
import { openEventLog } from 'eventlog';

const log = await openEventLog();

await log.appendEvents({
  instanceId: 'shop',
  autoCreateInstance: true,
  events: [
    { eventType: 'OrderPlaced', timestamp: '2024-01-01T10:15:00Z', payload: { amount: 30 } },
    { eventType: 'OrderPlaced', timestamp: '2024-01-01T18:40:00Z', payload: { amount: 12.5 } },
    { eventType: 'PageViewed', timestamp: '2024-01-02T09:00:00Z', payload: {} },
    { eventType: 'OrderPlaced', timestamp: '2024-01-02T23:59:59Z', payload: { amount: '7' } },
  ],
});

// #region define
// Counts and sums per event type and hour, filled from the events held now and kept by every
// append, stream deletion, truncation and pruning in the same transaction.
const defined = await log.defineRollup({
  instanceId: 'shop',
  name: 'hourly',
  groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }],
  measures: [{ type: 'count' }, { type: 'sum', field: 'payload.amount' }],
});
if (!defined.success) throw new Error(defined.error);
// #endregion define

// #region query
// A reduce the rollup covers is answered from it, with the scan's result: count, sum or avg,
// grouped by its fields or coarser buckets (day, week, month from hours), filtered on its
// fields and on bucket-aligned time bounds.
const perDay: Query = {
  from: { instance: 'shop' },
  where: [
    { field: 'timestamp', operator: 'gte', value: '2024-01-01T00:00:00Z' },
    { field: 'timestamp', operator: 'lt', value: '2024-02-01T00:00:00Z' },
  ],
  reduce: { type: 'sum', field: 'payload.amount', groupBy: [{ field: 'timestamp', interval: 'day' }] },
};
console.log(await log.store.explainQuery(perDay)); // { rollup: 'hourly' }
const res = await log.queryEvents(perDay);
if (res.success) console.log(JSON.stringify(res.data.result.aggregation?.groups), res.data.result.total);

// Anything else scans, as before: here a bound inside an hour.
const unaligned = {
  ...perDay,
  where: [{ field: 'timestamp', operator: 'gte', value: '2024-01-01T10:30:00Z' }],
};
console.log(await log.store.explainQuery(unaligned as Query)); // { rollup: null }
// #endregion query

// #region manage
const listed = await log.listRollups({ instanceId: 'shop' });
if (listed.success) console.log(listed.data.rollups.map((r) => `${r.name}: ${JSON.stringify(r.groupBy)}`));
const dropped = await log.dropRollup({ instanceId: 'shop', name: 'hourly' });
if (dropped.success) console.log(dropped.data); // { dropped: true }
// #endregion manage

await log.close();
