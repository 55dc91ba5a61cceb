import type { EventLog, NewEventInput } from '@eventlog/core';
import { openEventLog } from 'eventlog';

// Some history in the store we leave ($EVENTLOG_URL here).
const source = await openEventLog();
await source.createInstance('billing', 'Invoices and payments');
await source.appendEvents({
  instanceId: 'billing',
  events: [
    {
      streamId: 'invoice-1',
      eventType: 'InvoiceIssued',
      payload: { amount: 40 },
      timestamp: '2023-05-01T09:00:00Z',
      eventId: 'inv-1',
    },
    {
      streamId: 'invoice-1',
      eventType: 'InvoicePaid',
      payload: { amount: 40 },
      timestamp: '2023-05-03T17:30:00Z',
      tags: ['customer:c9'],
    },
    {
      streamId: 'invoice-2',
      eventType: 'InvoiceIssued',
      payload: { amount: 15 },
      timestamp: '2023-06-01T09:00:00Z',
      metadata: { by: 'api' },
    },
  ],
});

// #region copy
/**
 * Copies every instance and its events, in position order, into an empty store: names,
 * descriptions, streams, sequence numbers, types, payloads, metadata, timestamps, eventIds and tags
 * are kept; record ids and global positions are new.
 */
async function copyStore(from: EventLog, to: EventLog, pageSize = 1000): Promise<void> {
  for (const instance of await from.store.listInstances()) {
    await to.store.createInstance(instance.name, instance.description);
    let after = 0;
    for (;;) {
      const page = await from.store.readAfter({ instance: instance.id, after, limit: pageSize });
      if (page.length === 0) break;
      const events: NewEventInput[] = page.map((e) => ({
        streamId: e.stream_id,
        eventType: e.event_type,
        payload: e.payload,
        metadata: e.metadata,
        timestamp: e.timestamp,
        ...(e.eventId === undefined ? {} : { eventId: e.eventId }),
        ...(e.tags === undefined ? {} : { tags: e.tags }),
      }));
      await to.store.appendEvents({ instanceId: instance.name, events }); // atomic per page
      after = page[page.length - 1]!.global_position;
    }
  }
}
// #endregion copy

// #region run
const target = await openEventLog('sqlite:./migrated.db');
await copyStore(source, target);

for (const log of [source, target]) {
  const stats = await log.store.getInstanceStats('billing');
  const { events = [] } = await log.store.queryEvents({ from: { instance: 'billing' } });
  console.log(
    stats.name,
    `"${(await log.store.getInstance('billing')).description}"`,
    stats.eventCount,
    'events;',
    events
      .map(
        (e) =>
          `${e.stream_id}#${e.sequence_number} ${e.timestamp.slice(0, 10)} ${e.eventId ?? '-'} ${e.tags ?? '-'}`,
      )
      .join(' | '),
  );
}
// #endregion run

await source.close();
await target.close();
