/**
 * The stream helpers of `@eventlog/core` over this adapter: `readStream` forward and backward,
 * from a version, with `maxCount`; `streamEvents` page by page; `appendToStream` with expected
 * versions; upcasting on read; a missing stream and a missing instance. And the store's
 * `loadStream` (the start of a fold: instance, snapshot entry, first page from the snapshot's
 * version), the adapter's `loadStream` when it has one, else the core's two round trips.
 */

import {
  appendToStream,
  type EventLog,
  EventLogError,
  type EventMap,
  hasCapability,
  type JsonValue,
  readStream,
  SNAPSHOT_NAMESPACE,
  streamEvents,
  type Upcaster,
} from '@eventlog/core';
import { expect, type TestContext, test } from 'vitest';
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

  /** What `loadStream` answered, with the events as their sequence numbers. */
  async function load(log: EventLog, instance: string, limit: number, snapshotKey?: string) {
    const start = await log.store.loadStream({
      instance,
      streamId: 'order-1',
      limit,
      ...(snapshotKey === undefined ? {} : { snapshotKey }),
    });
    return { ...start, events: start.events.map((e) => e.sequence_number) };
  }

  test("given a snapshot entry, when a stream is loaded, then its page starts at the entry's version, by id or by name", async () => {
    const { ctx, inst, log } = await seeded();
    const kv = ctx.adapter.kv;
    const key = ctx.uniqueName('snapshot');
    const all = (await readStream(log, { instance: inst.id, streamId: 'order-1' })).events;
    const anchor = all[4];
    const value = {
      state: { total: 7 },
      version: 5,
      position: anchor?.global_position ?? 0,
      eventId: anchor?.id ?? '',
    };
    await kv.put(SNAPSHOT_NAMESPACE, key, value);

    const byId = await log.store.loadStream({
      instance: inst.id,
      streamId: 'order-1',
      snapshotKey: key,
      limit: 4,
    });
    expect(byId).toEqual({ instanceId: inst.id, snapshot: value, from: 5, events: all.slice(4, 8) });
    expect(await load(ctx.log, inst.name, 4, key)).toEqual({
      instanceId: inst.id,
      snapshot: value,
      from: 5,
      events: [5, 6, 7, 8],
    });
    expect((await load(ctx.log, inst.name, 50, key)).events).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    // No key, or a key with no entry: from the start.
    expect(await load(ctx.log, inst.id, 3)).toEqual({
      instanceId: inst.id,
      snapshot: undefined,
      from: 1,
      events: [1, 2, 3],
    });
    expect(await load(ctx.log, inst.id, 3, ctx.uniqueName('none'))).toEqual({
      instanceId: inst.id,
      snapshot: undefined,
      from: 1,
      events: [1, 2, 3],
    });
    // Without a usable snapshot, from fromVersion; a usable one wins.
    const from = (fromVersion: number, snapshotKey?: string) =>
      log.store.loadStream({
        instance: inst.name,
        streamId: 'order-1',
        limit: 3,
        fromVersion,
        ...(snapshotKey === undefined ? {} : { snapshotKey }),
      });
    expect(await from(10)).toEqual({
      instanceId: inst.id,
      snapshot: undefined,
      from: 10,
      events: all.slice(9, 12),
    });
    expect((await from(10, key)).events.map((e) => e.sequence_number)).toEqual([5, 6, 7]);
    const unusable = ctx.uniqueName('unusable');
    await kv.put(SNAPSHOT_NAMESPACE, unusable, { version: 'five' });
    expect(await from(11, unusable)).toMatchObject({ from: 11, snapshot: { version: 'five' } });
    expect((await from(11, unusable)).events.map((e) => e.sequence_number)).toEqual([11, 12]);
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      expect((await errorOf(from(bad))).code, String(bad)).toBe('VALIDATION_ERROR');
    }
    // A version past the stream's end: nothing after it.
    await kv.put(SNAPSHOT_NAMESPACE, key, { ...value, version: 13 });
    expect(await load(ctx.log, inst.id, 3, key)).toMatchObject({ from: 13, events: [] });
    // Another stream of the instance is not read.
    const other = await log.store.loadStream({ instance: inst.id, streamId: 'order-2', limit: 50 });
    expect(other.events.every((e) => e.stream_id === 'order-2')).toBe(true);
    expect(other.events.map((e) => e.sequence_number)).toEqual([1, 2, 3]);
  });

  test('given a snapshot entry whose version is not a sequence number, when loaded, then the page starts at 1 and the entry comes back as stored', async () => {
    const { ctx, inst } = await seeded();
    const kv = ctx.adapter.kv;
    const values: JsonValue[] = [
      { version: '5' },
      { version: 2.5 },
      { version: 0 },
      { version: -3 },
      { version: 1e300 },
      { version: 2 ** 53 },
      { version: null },
      { version: [5] },
      {},
      [5],
      5,
      'version',
      null,
    ];
    for (const value of values) {
      const key = ctx.uniqueName('bad-snapshot');
      await kv.put(SNAPSHOT_NAMESPACE, key, value);
      expect(await load(ctx.log, inst.id, 3, key), JSON.stringify(value)).toEqual({
        instanceId: inst.id,
        snapshot: value,
        from: 1,
        events: [1, 2, 3],
      });
    }
    // The largest version that is one: read from there (nothing).
    const key = ctx.uniqueName('big-snapshot');
    await kv.put(SNAPSHOT_NAMESPACE, key, { version: Number.MAX_SAFE_INTEGER });
    expect(await load(ctx.log, inst.id, 3, key)).toMatchObject({ from: Number.MAX_SAFE_INTEGER, events: [] });
  });

  test('given a missing instance or stream, when loaded, then no instance id or no events', async () => {
    const { ctx, inst } = await seeded();
    const key = ctx.uniqueName('snapshot');
    await ctx.adapter.kv.put(SNAPSHOT_NAMESPACE, key, { version: 2 });
    expect(await load(ctx.log, ctx.uniqueName('missing'), 10, key)).toEqual({
      instanceId: undefined,
      snapshot: undefined,
      from: 1,
      events: [],
    });
    const empty = await ctx.log.store.loadStream({ instance: inst.id, streamId: 'nothing-here', limit: 10 });
    expect(empty).toEqual({ instanceId: inst.id, snapshot: undefined, from: 1, events: [] });
    const bad = await errorOf(ctx.log.store.loadStream({ instance: '', streamId: 'order-1', limit: 10 }));
    expect(bad.code).toBe('VALIDATION_ERROR');
    const tooMany = await errorOf(
      ctx.log.store.loadStream({
        instance: inst.id,
        streamId: 'order-1',
        limit: ctx.limits.maxQueryLimit + 1,
      }),
    );
    expect(tooMany.code).toBe('LIMIT_EXCEEDED');
  });

  test('given retention rules set after a stream was loaded, when loaded again by name, then expired events are left out', async (t: TestContext) => {
    const { ctx, inst } = await seeded();
    if (!hasCapability(ctx.adapter, 'lifecycle')) t.skip(`adapter "${ctx.options.name}" has no lifecycle`);
    const key = ctx.uniqueName('snapshot');
    await ctx.adapter.kv.put(SNAPSHOT_NAMESPACE, key, { version: 5 });
    expect((await load(ctx.log, inst.name, 50, key)).events).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    await ctx.log.store.setRetention({ instanceId: inst.id, maxEventsPerStream: 3 });
    expect((await load(ctx.log, inst.name, 50, key)).events).toEqual([10, 11, 12]);
    expect((await load(ctx.log, inst.name, 50)).events).toEqual([10, 11, 12]);
    await ctx.log.store.setRetention({ instanceId: inst.id, maxEventsPerStream: null });
    expect((await load(ctx.log, inst.name, 50, key)).events).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
  });
}
