/**
 * One program, any backend: the store is chosen only by EVENTLOG_URL (`memory:`,
 * `sqlite:<path>`, `sqlite::memory:`, `postgres://…`; default: the embedded SQLite file
 * `./eventlog.db`). It appends, queries, aggregates, decides across streams and meets every kind of
 * conflict, and prints only what the contract fixes (no ids, positions or clock times), so the
 * output is the same on every backend — `src/main.test.ts` checks that against
 * `expected-output.txt`, on memory and on every URL listed in BACKEND_SWAP_URLS.
 */

import { pathToFileURL } from 'node:url';
import { type BoundaryDecider, decide, type EventLog, EventLogError, handleCommand } from '@eventlog/core';
import { openEventLog } from 'eventlog';

type ShopEvents = {
  ProductListed: { sku: string; stock: number; price: number };
  OrderPlaced: { orderId: string; sku: string; quantity: number; total: number };
  OrderCancelled: { orderId: string };
};
type ShopTag = `sku:${string}` | `customer:${string}`;

const INSTANCE = 'backend-swap';
const DAY = (d: number, h = 12) =>
  `2024-05-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;

/** Places an order only while the product has stock: a rule over the product's events, across order streams. */
const placeOrder: BoundaryDecider<
  { stock: number; price: number },
  { orderId: string; sku: string; quantity: number; customer: string },
  ShopEvents,
  ShopTag
> = {
  boundary: ({ sku }) => [
    { types: ['ProductListed', 'OrderPlaced', 'OrderCancelled'], tags: [`sku:${sku}`] },
  ],
  initialState: () => ({ stock: 0, price: 0 }),
  evolve: (s, e) => {
    if (e.event_type === 'ProductListed') return { stock: e.payload.stock, price: e.payload.price };
    if (e.event_type === 'OrderPlaced') return { ...s, stock: s.stock - e.payload.quantity };
    return s;
  },
  decide: ({ orderId, sku, quantity, customer }, s) => {
    if (quantity > s.stock) throw new Error(`Only ${s.stock} of ${sku} left.`);
    return {
      streamId: `order-${orderId}`,
      eventType: 'OrderPlaced',
      payload: { orderId, sku, quantity, total: quantity * s.price },
      tags: [`sku:${sku}`, `customer:${customer}`],
      timestamp: DAY(3),
    };
  },
};

function failure(error: unknown): string {
  return EventLogError.isInstance(error)
    ? `${error.code} ${JSON.stringify(error.details ?? {})}`
    : String(error);
}

/**
 * Runs the program on `url` (default: `EVENTLOG_URL`, else `sqlite:./eventlog.db`); `print`
 * receives each line.
 */
export async function main(url?: string, print: (line: string) => void = console.log): Promise<void> {
  const log: EventLog<ShopEvents> = await openEventLog<ShopEvents>(url);
  const store = log.store;
  try {
    if ((await log.getInstance(INSTANCE)).success) await store.deleteInstance(INSTANCE);
    await store.createInstance(INSTANCE, 'the same program on every backend');

    // Appends: a batch across streams with expectedVersions, tags and eventIds.
    const listed = await store.appendEvents({
      instanceId: INSTANCE,
      events: [
        {
          streamId: 'product-p1',
          eventType: 'ProductListed',
          payload: { sku: 'p1', stock: 5, price: 3 },
          tags: ['sku:p1'],
          eventId: 'list-p1',
          timestamp: DAY(1),
        },
        {
          streamId: 'product-p2',
          eventType: 'ProductListed',
          payload: { sku: 'p2', stock: 2, price: 10 },
          tags: ['sku:p2'],
          eventId: 'list-p2',
          timestamp: DAY(1, 18),
        },
      ],
      expectedVersions: { 'product-p1': 'no_stream', 'product-p2': 'no_stream' },
    });
    print(
      `listed: ${listed.events.map((e) => `${e.stream_id}#${e.sequence_number} ${e.tags?.join(',')}`).join('; ')}`,
    );
    const replay = await store.appendEvents({
      instanceId: INSTANCE,
      events: [
        {
          streamId: 'product-p1',
          eventType: 'ProductListed',
          payload: { sku: 'p1', stock: 5, price: 3 },
          eventId: 'list-p1',
        },
        {
          streamId: 'product-p2',
          eventType: 'ProductListed',
          payload: { sku: 'p2', stock: 2, price: 10 },
          eventId: 'list-p2',
        },
      ],
    });
    print(`replayed eventIds: duplicate=${replay.duplicate === true}, count=${replay.count}`);

    // Decisions across streams: orders must not oversell.
    for (const [orderId, sku, quantity, customer] of [
      ['o1', 'p1', 2, 'ada'],
      ['o2', 'p2', 2, 'bob'],
      ['o3', 'p1', 4, 'bob'],
      ['o4', 'p1', 3, 'cy'],
    ] as const) {
      try {
        const { events } = await decide(log, {
          instance: INSTANCE,
          decider: placeOrder,
          command: { orderId, sku, quantity, customer },
        });
        const placed = events[0];
        if (placed?.event_type === 'OrderPlaced') {
          print(`order ${orderId}: placed ${placed.payload.quantity} × ${sku} for ${placed.payload.total}`);
        }
      } catch (error) {
        print(`order ${orderId}: refused — ${(error as Error).message}`);
      }
    }

    // A condition conflict by hand: someone orders p2 after our read.
    const head = await store.headPosition(INSTANCE);
    const { event: meanwhile } = await store.appendEvent({
      instanceId: INSTANCE,
      streamId: 'order-o5',
      eventType: 'OrderCancelled',
      payload: { orderId: 'o2' },
      tags: ['sku:p2'],
      timestamp: DAY(4),
    });
    try {
      await store.appendEvent({
        instanceId: INSTANCE,
        streamId: 'order-o6',
        eventType: 'OrderPlaced',
        payload: { orderId: 'o6', sku: 'p2', quantity: 1, total: 10 },
        tags: ['sku:p2'],
        condition: { failIfEventsMatch: [{ tags: ['sku:p2'] }], after: head },
      });
    } catch (error) {
      const details = (EventLogError.isInstance(error) ? error.details : {}) as {
        condition?: boolean;
        after?: number;
        position?: number;
      };
      print(
        `conditional append: ${EventLogError.isInstance(error) ? error.code : 'failed'}, condition=${details.condition}, after is our read: ${details.after === head}, position is the event appended meanwhile: ${details.position === meanwhile.global_position}`,
      );
    }

    // Optimistic concurrency on one stream, and the aggregate helper's retries.
    try {
      await store.appendEvent({
        instanceId: INSTANCE,
        streamId: 'product-p1',
        eventType: 'ProductListed',
        payload: { sku: 'p1', stock: 9, price: 3 },
        expectedVersion: 0,
      });
    } catch (error) {
      print(`stale expectedVersion: ${failure(error)}`);
    }
    const restock = await Promise.all(
      [1, 2, 3].map(() =>
        handleCommand(log, {
          instance: INSTANCE,
          streamId: 'product-p1',
          decider: {
            initialState: () => ({ stock: 0 }),
            evolve: (s, e) => (e.event_type === 'ProductListed' ? { stock: e.payload.stock } : s),
            decide: (_: null, s) => ({
              eventType: 'ProductListed',
              payload: { sku: 'p1', stock: s.stock + 1, price: 3 },
              tags: ['sku:p1'],
              timestamp: DAY(5),
            }),
          },
          command: null,
        }),
      ),
    );
    print(
      `3 concurrent restocks: versions ${restock
        .map((r) => r.version)
        .sort()
        .join(',')}, stock ${Math.max(...restock.map((r) => r.state.stock))}`,
    );

    // Queries: filters on tags, grouping by day, paging.
    const byTag = await store.queryEvents({
      from: { instance: INSTANCE },
      where: [{ field: 'tags', operator: 'contains', value: 'customer:bob' }],
      select: ['event_type', 'payload.orderId', 'tags'],
    });
    print(`bob's events: ${JSON.stringify(byTag.events)}`);
    const perDay = await store.queryEvents({
      from: { instance: INSTANCE },
      reduce: { type: 'count', groupBy: ['event_type', { field: 'timestamp', interval: 'day' }] },
    });
    print(`per type and day: ${JSON.stringify(perDay.aggregation?.groups)}`);
    const sold = await store.queryEvents({
      from: { instance: INSTANCE },
      where: [{ field: 'event_type', operator: 'eq', value: 'OrderPlaced' }],
      reduce: { type: 'sum', field: 'payload.total' },
    });
    print(`revenue: ${sold.aggregation?.value} over ${sold.total} orders`);
    const page = await store.queryEvents({
      from: { instance: INSTANCE, stream: 'product-p1' },
      orderBy: { field: 'sequence_number', direction: 'desc' },
      limit: 2,
      offset: 1,
      select: ['sequence_number', 'payload.stock'],
    });
    print(
      `product-p1 by version desc, limit 2 offset 1: ${JSON.stringify(page.events)} (total ${page.total})`,
    );

    const stats = await store.getInstanceStats(INSTANCE);
    const types = Object.entries(stats.eventTypes).sort(([a], [b]) => (a < b ? -1 : 1));
    print(
      `stats: ${stats.eventCount} events in ${stats.streamCount} streams, ${types.map(([t, n]) => `${t} ${n}`).join(', ')}, from ${stats.firstEventAt} to ${stats.lastEventAt}`,
    );
  } finally {
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
