import type { Query } from '@eventlog/core';
import { openEventLog } from 'eventlog';

const log = await openEventLog();

// #region data
await log.appendEvents({
  instanceId: 'sales',
  autoCreateInstance: true,
  events: [
    { eventType: 'sale', timestamp: '2024-01-01T10:15:30Z', payload: { region: 'north', amount: 10 } },
    { eventType: 'sale', timestamp: '2024-01-01T10:15:59Z', payload: { region: 'north', amount: 2.5 } },
    { eventType: 'refund', timestamp: '2024-01-01T10:16:00Z', payload: { region: 'south', amount: -4 } },
    { eventType: 'sale', timestamp: '2024-01-07T23:59:59Z', payload: { region: null, amount: '7' } },
    { eventType: 'sale', timestamp: '2024-01-08T00:00:00Z', payload: { amount: null } },
    { eventType: 'view', timestamp: '2024-02-29T12:00:00Z', payload: { region: 'south', amount: 1.5 } },
  ],
});
// #endregion data

async function show(reduce: Query['reduce'], where?: Query['where']) {
  const res = await log.queryEvents({ from: { instance: 'sales' }, reduce, ...(where ? { where } : {}) });
  if (!res.success) return console.log(res.code, res.error);
  const { aggregation, total } = res.data.result;
  const shown = aggregation?.groups ? JSON.stringify(aggregation.groups) : JSON.stringify(aggregation?.value);
  console.log(`${JSON.stringify(reduce)}\n  → ${shown} (over ${total} events)`);
}

// #region reduce
await show({ type: 'count' });
await show({ type: 'count', field: 'payload.region' }); // present and not null
await show({ type: 'sum', field: 'payload.amount' }); // numbers only: "7" and null are skipped
await show({ type: 'avg', field: 'payload.amount' });
await show({ type: 'min', field: 'payload.amount' });
await show({ type: 'max', field: 'payload.region' }); // no numbers: the largest string
await show({ type: 'collect', field: 'payload.region' }); // present values, in position order
await show({ type: 'sum', field: 'payload.amount' }, [
  { field: 'event_type', operator: 'eq', value: 'sale' },
]);
// #endregion reduce

// #region group
await show({ type: 'count', groupBy: ['event_type'] });
await show({ type: 'sum', field: 'payload.amount', groupBy: ['payload.region'] }); // missing and null: one null group
await show({ type: 'count', groupBy: ['event_type', { field: 'timestamp', interval: 'week' }] });
await show({ type: 'count', groupBy: [{ field: 'timestamp', interval: 'month' }] });
// #endregion group

await log.close();
