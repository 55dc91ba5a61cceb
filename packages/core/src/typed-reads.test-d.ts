/**
 * Type tests of reads: `queryEvents` results narrowed by the event map (whole records without
 * `select`, partial ones with it), and the stream helpers typed by the log they read.
 */

import { describe, expectTypeOf, it } from 'vitest';
import type { EventLog } from './event-log.js';
import type { EventRecord, EventRecordOf, JsonObject, Query } from './model.js';
import { appendToStream, readStream, streamEvents } from './stream-reads.js';

type Shop = {
  OrderCreated: { orderId: string; total: number; lines: { sku: string }[] };
  OrderShipped: { orderId: string; carrier: string };
};

declare const shop: EventLog<Shop>;
declare const untyped: EventLog;

describe('queryEvents', () => {
  it('without select: whole records, narrowed by event_type', async () => {
    const res = await shop.queryEvents({ from: { instance: 'shop' }, where: [] });
    if (!res.success) return;
    for (const e of res.data.result.events ?? []) {
      expectTypeOf(e).toEqualTypeOf<EventRecordOf<Shop>>();
      if (e.event_type === 'OrderCreated') {
        expectTypeOf(e.payload.total).toEqualTypeOf<number>();
        expectTypeOf(e.payload.lines[0]?.sku).toEqualTypeOf<string | undefined>();
      } else {
        expectTypeOf(e.payload.carrier).toEqualTypeOf<string>();
        // @ts-expect-error — OrderShipped has no total
        void e.payload.total;
      }
      expectTypeOf(e.global_position).toEqualTypeOf<number>();
    }
  });

  it('on the typed store too', async () => {
    const result = await shop.store.queryEvents({
      from: { instance: 'shop' },
      orderBy: { field: 'timestamp' },
    });
    const first = result.events?.[0];
    if (first?.event_type === 'OrderShipped') expectTypeOf(first.payload.carrier).toEqualTypeOf<string>();
  });

  it('with select: partial records, still discriminated when event_type is selected', async () => {
    const res = await shop.queryEvents({
      from: { instance: 'shop' },
      select: ['event_type', 'payload.total'],
    });
    if (!res.success) return;
    const e = res.data.result.events?.[0];
    if (e?.event_type === 'OrderCreated') {
      expectTypeOf(e.payload).toEqualTypeOf<
        { orderId?: string; total?: number; lines?: { sku: string }[] } | undefined
      >();
    }
    // @ts-expect-error — fields of a selected event may be missing
    void (e?.global_position satisfies number);
  });

  it('with a query typed as Query (select unknown): partial records', async () => {
    const query: Query = { from: { instance: 'shop' } };
    const result = await shop.store.queryEvents(query);
    expectTypeOf(result.events).toEqualTypeOf<
      | (
          | Partial<
              EventRecord<'OrderCreated', { orderId?: string; total?: number; lines?: { sku: string }[] }>
            >
          | Partial<EventRecord<'OrderShipped', { orderId?: string; carrier?: string }>>
        )[]
      | undefined
    >();
  });

  it('on an untyped log: records with JSON payloads, as before', async () => {
    const whole = await untyped.store.queryEvents({ from: { instance: 'x' } });
    expectTypeOf(whole.events).toEqualTypeOf<EventRecord[] | undefined>();
    expectTypeOf(whole.events?.[0]?.payload).toEqualTypeOf<JsonObject | undefined>();
    const selected = await untyped.store.queryEvents({ from: { instance: 'x' }, select: ['id'] });
    expectTypeOf(selected.events).toEqualTypeOf<Partial<EventRecord>[] | undefined>();
  });
});

describe('stream helpers', () => {
  it('readStream and streamEvents yield the log’s records', async () => {
    const { events, currentVersion } = await readStream(shop, { instance: 'shop', streamId: 'order-1' });
    expectTypeOf(events).toEqualTypeOf<EventRecordOf<Shop>[]>();
    expectTypeOf(currentVersion).toEqualTypeOf<number>();
    for await (const e of streamEvents(shop, {
      instance: 'shop',
      streamId: 'order-1',
      direction: 'backward',
    })) {
      if (e.event_type === 'OrderCreated') expectTypeOf(e.payload.total).toEqualTypeOf<number>();
    }
    // @ts-expect-error — direction is forward or backward
    void readStream(shop, { instance: 'shop', streamId: 'o', direction: 'backwards' });
  });

  it('appendToStream takes events of the map only', async () => {
    await appendToStream(shop, {
      instance: 'shop',
      streamId: 'order-1',
      expectedVersion: 'no_stream',
      events: [{ eventType: 'OrderCreated', payload: { orderId: '1', total: 3, lines: [] } }],
    });
    await appendToStream(shop, {
      instance: 'shop',
      streamId: 'order-1',
      // @ts-expect-error — the payload of another type
      events: [{ eventType: 'OrderShipped', payload: { orderId: '1', total: 3 } }],
    });
    await appendToStream(shop, {
      instance: 'shop',
      streamId: 'order-1',
      // @ts-expect-error — a type the map does not have
      events: [{ eventType: 'OrderLost', payload: {} }],
    });
  });
});
