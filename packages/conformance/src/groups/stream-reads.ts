/**
 * The stream helpers of `@eventlog/core` over this adapter: `readStream` forward and backward,
 * from a version, with `maxCount`; `streamEvents` page by page; `appendToStream` with expected
 * versions; upcasting on read; a missing stream and a missing instance.
 */

import {
  appendToStream,
  type EventLog,
  EventLogError,
  type EventMap,
  readStream,
  streamEvents,
  type Upcaster,
} from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, useContext } from '../context.js';

type Shop = { OrderCreated: { orderId: string; total: number }; ItemAdded: { sku: string; price: number } };

const typed = <E extends EventMap>(log: EventLog): EventLog<E> => log as unknown as EventLog<E>;

async function errorOf(promise: Promise<unknown>): Promise<EventLogError> {
  try {
    await promise;
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an EventLogError');
}

/** Registers the `streamReads` group. */
export function registerStreamReadTests(holder: ContextHolder): void {
  /** An instance with stream `order-1` holding 12 events (prices 1..12) among other streams' events. */
  async function seeded() {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stream-reads');
    const log = typed<Shop>(ctx.log);
    await appendToStream(log, {
      instance: inst.id,
      streamId: 'order-1',
      expectedVersion: 'no_stream',
      events: [{ eventType: 'OrderCreated', payload: { orderId: '1', total: 0 } }],
    });
    for (let i = 1; i <= 11; i++) {
      await appendToStream(log, {
        instance: inst.id,
        streamId: i % 3 === 0 ? 'order-2' : 'order-1',
        events: [{ eventType: 'ItemAdded', payload: { sku: `s${i}`, price: i } }],
      });
      if (i % 3 === 0) {
        await appendToStream(log, {
          instance: inst.id,
          streamId: 'order-1',
          events: [{ eventType: 'ItemAdded', payload: { sku: `t${i}`, price: 100 + i } }],
        });
      }
    }
    return { ctx, inst, log };
  }

  test('given a stream, when read forward, then every event in sequence order and the current version', async () => {
    const { inst, log } = await seeded();
    const res = await readStream(log, { instance: inst.id, streamId: 'order-1' });
    expect(res.events.map((e) => e.sequence_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(res.events.every((e) => e.stream_id === 'order-1')).toBe(true);
    expect(res.currentVersion).toBe(12);
    expect(res.streamExists).toBe(true);
    // The same by name.
    const byName = await readStream(log, { instance: inst.name, streamId: 'order-1' });
    expect(byName.events.map((e) => e.id)).toEqual(res.events.map((e) => e.id));
  });

  test('given a stream, when read backward, then newest first; fromVersion and maxCount bound it', async () => {
    const { inst, log } = await seeded();
    const all = await readStream(log, { instance: inst.id, streamId: 'order-1', direction: 'backward' });
    expect(all.events.map((e) => e.sequence_number)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(all.currentVersion).toBe(12);
    const last3 = await readStream(log, {
      instance: inst.id,
      streamId: 'order-1',
      direction: 'backward',
      maxCount: 3,
    });
    expect(last3.events.map((e) => e.sequence_number)).toEqual([12, 11, 10]);
    const from5 = await readStream(log, {
      instance: inst.id,
      streamId: 'order-1',
      direction: 'backward',
      fromVersion: 5,
      pageSize: 2,
    });
    expect(from5.events.map((e) => e.sequence_number)).toEqual([5, 4, 3, 2, 1]);
    expect(from5.currentVersion).toBe(12);
  });

  test('given fromVersion and maxCount forward, then the events from that version on, at most maxCount', async () => {
    const { inst, log } = await seeded();
    const res = await readStream(log, {
      instance: inst.id,
      streamId: 'order-1',
      fromVersion: 4,
      maxCount: 5,
    });
    expect(res.events.map((e) => e.sequence_number)).toEqual([4, 5, 6, 7, 8]);
    expect(res.currentVersion).toBe(12);
    const past = await readStream(log, { instance: inst.id, streamId: 'order-1', fromVersion: 13 });
    expect(past).toEqual({ events: [], currentVersion: 12, streamExists: true });
    const none = await readStream(log, { instance: inst.id, streamId: 'order-1', maxCount: 0 });
    expect(none).toEqual({ events: [], currentVersion: 12, streamExists: true });
  });

  test('given streamEvents with small pages, when iterated, then pages are read lazily and the order holds', async () => {
    const { inst, log } = await seeded();
    const seen: number[] = [];
    for await (const e of streamEvents(log, { instance: inst.id, streamId: 'order-1', pageSize: 5 })) {
      seen.push(e.sequence_number);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const back: number[] = [];
    for await (const e of streamEvents(log, {
      instance: inst.id,
      streamId: 'order-1',
      direction: 'backward',
      pageSize: 5,
    })) {
      back.push(e.sequence_number);
      if (back.length === 7) break;
    }
    expect(back).toEqual([12, 11, 10, 9, 8, 7, 6]);
  });

  test('given a missing stream, then nothing and streamExists false; a missing instance is NOT_FOUND', async () => {
    const { inst, log } = await seeded();
    expect(await readStream(log, { instance: inst.id, streamId: 'order-9' })).toEqual({
      events: [],
      currentVersion: 0,
      streamExists: false,
    });
    expect(await readStream(log, { instance: inst.id, streamId: 'order-9', direction: 'backward' })).toEqual({
      events: [],
      currentVersion: 0,
      streamExists: false,
    });
    const missing = useContext(holder).uniqueName('missing');
    expect((await errorOf(readStream(log, { instance: missing, streamId: 's' }))).code).toBe('NOT_FOUND');
  });

  test('given bad options, then VALIDATION_ERROR naming the option', async () => {
    const { inst, log } = await seeded();
    const bad = [
      { direction: 'sideways' },
      { fromVersion: -1 },
      { fromVersion: 1.5 },
      { maxCount: -2 },
      { pageSize: 0 },
      { pageSize: useContext(holder).limits.maxQueryLimit + 1 },
    ];
    for (const options of bad) {
      const error = await errorOf(
        readStream(log, { instance: inst.id, streamId: 'order-1', ...(options as object) }),
      );
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toContain(Object.keys(options)[0] as string);
    }
  });

  test('given appendToStream with expected versions, then the next version and position; a stale version is a CONFLICT that writes nothing', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('append-to-stream');
    const log = typed<Shop>(ctx.log);
    const first = await appendToStream(log, {
      instance: inst.id,
      streamId: 'order-7',
      expectedVersion: 'no_stream',
      events: [
        { eventType: 'OrderCreated', payload: { orderId: '7', total: 0 } },
        { eventType: 'ItemAdded', payload: { sku: 'A', price: 3 }, eventId: 'add-A' },
      ],
    });
    expect(first.nextExpectedVersion).toBe(2);
    expect(first.events.map((e) => e.sequence_number)).toEqual([1, 2]);
    expect(first.lastPosition).toBe(first.events[1]?.global_position);
    const conflict = await errorOf(
      appendToStream(log, {
        instance: inst.id,
        streamId: 'order-7',
        expectedVersion: 1,
        events: [{ eventType: 'ItemAdded', payload: { sku: 'B', price: 4 } }],
      }),
    );
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.details).toMatchObject({ streamId: 'order-7', expectedVersion: 1, actualVersion: 2 });
    const next = await appendToStream(log, {
      instance: inst.id,
      streamId: 'order-7',
      expectedVersion: first.nextExpectedVersion,
      events: [{ eventType: 'ItemAdded', payload: { sku: 'B', price: 4 } }],
    });
    expect(next.nextExpectedVersion).toBe(3);
    const replay = await appendToStream(log, {
      instance: inst.id,
      streamId: 'order-7',
      events: [{ eventType: 'ItemAdded', payload: { sku: 'A', price: 3 }, eventId: 'add-A' }],
    });
    expect(replay.duplicate).toBe(true);
    expect(replay.events[0]?.id).toBe(first.events[1]?.id);
    expect((await readStream(log, { instance: inst.id, streamId: 'order-7' })).currentVersion).toBe(3);
  });

  test('given appendToStream on a missing instance, then NOT_FOUND, or the instance is created with autoCreateInstance', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('auto-stream');
    const event = { eventType: 'OrderCreated' as const, payload: { orderId: '1', total: 0 } };
    const missing = await errorOf(
      appendToStream(typed<Shop>(ctx.log), { instance: name, streamId: 'o', events: [event] }),
    );
    expect(missing.code).toBe('NOT_FOUND');
    const created = await appendToStream(typed<Shop>(ctx.log), {
      instance: name,
      streamId: 'o',
      events: [event],
      autoCreateInstance: true,
    });
    expect(created.nextExpectedVersion).toBe(1);
  });

  test('given events of an older schema, when read, then readStream and streamEvents upcast them', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stream-upcast');
    await ctx.append(
      inst.id,
      [
        { eventType: 'ItemAdded', payload: { sku: 'A', cents: 250 } },
        { eventType: 'ItemAdded', payload: { sku: 'B', price: 4 }, metadata: { schemaVersion: 2 } },
      ],
      'cart-1',
    );
    const upcasters: Upcaster<Shop>[] = [
      {
        eventType: 'ItemAdded',
        fromVersion: 1,
        upcast: (p) => ({ sku: p.sku as string, price: (p.cents as number) / 100 }),
      },
    ];
    const res = await readStream(typed<Shop>(ctx.log), { instance: inst.id, streamId: 'cart-1', upcasters });
    expect(res.events.map((e) => e.payload)).toEqual([
      { sku: 'A', price: 2.5 },
      { sku: 'B', price: 4 },
    ]);
    const back = [];
    for await (const e of streamEvents(typed<Shop>(ctx.log), {
      instance: inst.id,
      streamId: 'cart-1',
      direction: 'backward',
      upcasters,
    })) {
      back.push(e.payload);
    }
    expect(back).toEqual([
      { sku: 'B', price: 4 },
      { sku: 'A', price: 2.5 },
    ]);
  });
}
