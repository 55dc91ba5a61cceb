import type { Condition } from '@eventlog/core';
import { openEventLog } from 'eventlog';

const log = await openEventLog();

// #region data
// Six events; payload.v holds a different JSON type in each.
await log.appendEvents({
  instanceId: 'shop',
  autoCreateInstance: true,
  events: [
    {
      streamId: 'order-1',
      eventType: 'OrderCreated',
      payload: { label: 'a', v: 1, note: '50% off', tags: ['new'] },
    },
    { streamId: 'order-1', eventType: 'OrderPaid', payload: { label: 'b', v: '1', note: 'paid_in_full' } },
    { streamId: 'order-2', eventType: 'OrderCreated', payload: { label: 'c', v: true, note: 'Éclair' } },
    {
      streamId: 'order-2',
      eventType: 'orderNote',
      payload: { label: 'd', v: null, note: 'éclair', tags: ['vip', 'new'] },
    },
    { streamId: 'cart-7', eventType: 'ItemAdded', payload: { label: 'e', v: [1, 2], note: 'C:\\tmp' } },
    { streamId: 'cart-7', eventType: 'ItemAdded', payload: { label: 'f', note: '😀 smile' } },
  ],
});
// #endregion data

/** Prints the labels of the events matching `where`. */
async function show(title: string, where: Condition[]) {
  const res = await log.queryEvents({ from: { instance: 'shop' }, where, select: ['payload.label'] });
  if (!res.success) return console.log(`${title.padEnd(44)} → ${res.code}: ${res.error}`);
  const labels = (res.data.result.events ?? []).map((e) => e.payload?.label);
  console.log(`${title.padEnd(44)} → [${labels.join(', ')}]`);
}

// #region operators
await show('payload.v eq 1', [{ field: 'payload.v', operator: 'eq', value: 1 }]);
await show('payload.v eq "1"', [{ field: 'payload.v', operator: 'eq', value: '1' }]);
await show('payload.v eq null', [{ field: 'payload.v', operator: 'eq', value: null }]);
await show('payload.v neq 1 (also matches missing)', [{ field: 'payload.v', operator: 'neq', value: 1 }]);
await show('payload.v gt 0 (numbers only)', [{ field: 'payload.v', operator: 'gt', value: 0 }]);
await show('payload.v exists false', [{ field: 'payload.v', operator: 'exists', value: false }]);
await show('payload.v contains 2 (array element)', [{ field: 'payload.v', operator: 'contains', value: 2 }]);
await show('payload.note contains "%" (literal)', [
  { field: 'payload.note', operator: 'contains', value: '%' },
]);
await show('payload.note contains "_"', [{ field: 'payload.note', operator: 'contains', value: '_' }]);
await show('payload.note startsWith "é" (case-sensitive)', [
  { field: 'payload.note', operator: 'startsWith', value: 'é' },
]);
await show('payload.note startsWith "C:\\"', [
  { field: 'payload.note', operator: 'startsWith', value: 'C:\\' },
]);
await show('payload.note gt "a" (by code point)', [{ field: 'payload.note', operator: 'gt', value: 'a' }]);
await show('payload.tags contains "new"', [{ field: 'payload.tags', operator: 'contains', value: 'new' }]);
await show('stream_id startsWith "order-"', [
  { field: 'stream_id', operator: 'startsWith', value: 'order-' },
]);
await show('event_type in ["OrderPaid", "ItemAdded"]', [
  { field: 'event_type', operator: 'in', value: ['OrderPaid', 'ItemAdded'] },
]);
await show('sequence_number between [2, 3]', [
  { field: 'sequence_number', operator: 'between', value: [2, 3] },
]);
// #endregion operators

// #region logic
await show('or: label "a" or type ItemAdded', [
  {
    or: [
      { field: 'payload.label', operator: 'eq', value: 'a' },
      { field: 'eventType', operator: 'eq', value: 'ItemAdded' },
    ],
  },
]);
await show('not: stream_id startsWith "order-"', [
  { not: { field: 'stream_id', operator: 'startsWith', value: 'order-' } },
]);
// #endregion logic

// #region invalid
await show('startsWith ""', [{ field: 'stream_id', operator: 'startsWith', value: '' }]);
await show('payload.a..b eq 1', [{ field: 'payload.a..b', operator: 'eq', value: 1 }]);
// #endregion invalid

await log.close();
