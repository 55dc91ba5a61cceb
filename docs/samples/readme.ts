// The snippets of the repository's README.md, as one program: each README block is a region here
// (docs/test/pages.test.ts checks they are equal), so the README's code runs with the samples.

// #region tour
import { openEventLog } from 'eventlog';

const log = await openEventLog('sqlite:./events.db'); // or 'memory:', 'postgres://…'; default: $EVENTLOG_URL

const created = await log.createInstance('user-activity', 'Logs user actions');
if (!created.success) throw new Error(created.error);

await log.appendEvent({
  instanceId: 'user-activity', // an instance's id or its name
  streamId: 'user-123',
  eventType: 'login',
  payload: { ip: '192.168.1.1' },
  timestamp: '2024-01-19T10:00:00Z',
  expectedVersion: 'no_stream', // optimistic concurrency: CONFLICT if the stream already has events
  eventId: 'login-7f3a', // idempotency: appending it again returns the stored event
});

const res = await log.queryEvents({
  from: { instance: 'user-activity' },
  where: [{ field: 'timestamp', operator: 'gte', value: '2024-01-01T00:00:00Z' }],
  reduce: { type: 'count', groupBy: ['event_type', { field: 'timestamp', interval: 'day' }] },
});
if (res.success) console.log(res.data.result.aggregation?.groups);

// → [ { key: { event_type: 'login', timestamp: '2024-01-19T00:00:00.000Z' }, value: 1 } ]
// #endregion tour

// #region cart
import { type Decider, handleCommand } from '@eventlog/core';

const cart: Decider<{ items: string[] }, { sku: string }> = {
  initialState: () => ({ items: [] }),
  evolve: (state, event) => ({ items: [...state.items, event.payload.sku as string] }),
  decide: (command, state) => {
    if (state.items.length >= 10) throw new Error('A cart holds at most 10 items.');
    return { eventType: 'ItemAdded', payload: { sku: command.sku } };
  },
};
const cart7 = await handleCommand(log, {
  instance: 'carts',
  streamId: 'cart-7',
  decider: cart,
  command: { sku: 'A1' },
  autoCreateInstance: true,
});
console.log(cart7.state, cart7.version); // { items: [ 'A1' ] } 1

// #endregion cart

// #region explicit-adapter
import { createEventLog } from '@eventlog/core';
import { sqliteAdapter } from '@eventlog/sqlite';

const embedded = createEventLog({ adapter: sqliteAdapter({ file: './events.db' }) });
// #endregion explicit-adapter
console.log((await embedded.listInstances()).success);
await embedded.close();

// #region tags
import { memoryAdapter } from '@eventlog/memory';

const school = createEventLog({ adapter: memoryAdapter() });
await school.store.appendEvent({
  instanceId: 'school',
  autoCreateInstance: true,
  streamId: 'course-c1',
  eventType: 'CourseDefined',
  payload: { capacity: 30 },
  tags: ['course:c1'],
});
const head = await school.store.headPosition('school'); // "I have read everything up to here"

const subscribed = await school.appendEvent({
  instanceId: 'school',
  streamId: 'subscription-s1-c1',
  eventType: 'StudentSubscribed',
  payload: { courseId: 'c1', studentId: 's1' },
  tags: ['course:c1', 'student:s1'],
  condition: { failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:c1'] }], after: head },
});
// someone subscribed to c1 after `head` → { success: false, code: 'CONFLICT',
//   details: { condition: true, after, position } } and nothing is written

const c1 = await school.queryEvents({
  from: { instance: 'school' },
  where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }],
});
// #endregion tags
console.log(subscribed.success, c1.success && c1.data.result.total);

// #region decide
import { type BoundaryDecider, decide } from '@eventlog/core';

type Events = {
  CourseDefined: { capacity: number };
  StudentSubscribed: { courseId: string; studentId: string };
};
type Cmd = { courseId: string; studentId: string };

const subscribe: BoundaryDecider<{ capacity: number; taken: number }, Cmd, Events> = {
  boundary: (c) => [{ types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${c.courseId}`] }],
  initialState: () => ({ capacity: 0, taken: 0 }),
  evolve: (s, e) =>
    e.event_type === 'CourseDefined' ? { ...s, capacity: e.payload.capacity } : { ...s, taken: s.taken + 1 },
  decide: (c, s) => {
    if (s.taken >= s.capacity) throw new Error(`Course ${c.courseId} is full.`);
    return {
      streamId: `subscription-${c.studentId}-${c.courseId}`,
      eventType: 'StudentSubscribed',
      payload: c,
      tags: [`course:${c.courseId}`, `student:${c.studentId}`],
    };
  },
};
const { state, retries } = await decide(school, {
  instance: 'school',
  decider: subscribe,
  command: { courseId: 'c1', studentId: 's2' },
});
// #endregion decide
console.log(state, retries);

// #region snapshots
await handleCommand(log, {
  instance: 'carts',
  streamId: 'cart-7',
  decider: cart,
  command: { sku: 'A1' },
  snapshot: { every: 100 }, // or { when: ({ state }) => …, version: 2 }
});

// #endregion snapshots

// #region upcasting
import { upcastChain } from '@eventlog/core';

type CatalogEvents = { PriceSet: { sku: string; price: { amount: number; currency: string } } };
const upcasters = upcastChain<CatalogEvents, 'PriceSet'>('PriceSet', [
  (v1: { sku: string; cents: number }) => ({ sku: v1.sku, amount: v1.cents / 100 }), // v1 → v2
  (v2: { sku: string; amount: number }) => ({ sku: v2.sku, price: { amount: v2.amount, currency: 'EUR' } }), // v2 → v3
]);
const shop = createEventLog<CatalogEvents>({ adapter: memoryAdapter(), upcasters });
// #endregion upcasting
await shop.close();

// #region decider-spec
import { deciderSpec } from '@eventlog/testing';

deciderSpec(subscribe)
  .given([
    { eventType: 'CourseDefined', payload: { capacity: 1 }, tags: ['course:c1'] },
    { eventType: 'StudentSubscribed', payload: { courseId: 'c1', studentId: 's1' } },
  ])
  .when({ courseId: 'c1', studentId: 's2' })
  .then(/is full/); // or .then([{ eventType: 'StudentSubscribed', payload: … }])
// #endregion decider-spec
console.log('deciderSpec passed');

let rendered = '';
function render(groups: unknown) {
  rendered = JSON.stringify(groups);
}

// #region live
import { liveEvents, liveQuery, projection } from '@eventlog/rx';

// every event after position 0, then each new one as it commits: in order, no gaps, no repeats
const positions: number[] = [];
const live = liveEvents(log, { instance: 'user-activity', after: 0 }).subscribe((e) =>
  positions.push(e.global_position),
);

// a query result, emitted again (coalesced) when matching events commit
const dashboard = liveQuery(log, {
  from: { instance: 'user-activity' },
  reduce: { type: 'count', groupBy: ['event_type'] },
}).subscribe((result) => render(result.aggregation?.groups));

// a read model: resumable checkpoint in the same backend, one process at a time (a lease),
// exactly once on SQLite and PostgreSQL (the checkpoint commits in the handler's transaction)
const counts = projection({
  log,
  name: 'activity-per-user',
  instance: 'user-activity',
  handler: async (event, { kv }) => {
    const seen = await kv.get('activity', event.stream_id);
    await kv.put('activity', event.stream_id, ((seen?.value as number) ?? 0) + 1);
  },
});
counts.start();
await counts.caughtUp();
// #endregion live

while (positions.length < 1 || rendered === '') await new Promise((r) => setTimeout(r, 10));
console.log(positions, rendered, (await log.store.adapter.kv.get('activity', 'user-123'))?.value);
live.unsubscribe();
dashboard.unsubscribe();
await counts.stop();
await log.close();
await school.close();
