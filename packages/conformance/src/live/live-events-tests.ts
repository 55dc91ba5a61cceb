/**
 * The `liveEvents` part of the live group (SPEC §5): catch-up then live, exactly once and in
 * order under concurrent writers, `after`/`stream`/`where`, completion on delete, release on
 * unsubscribe, bounded reads.
 */

import type { EventRecord } from '@eventlog/core';
import { expect, test } from 'vitest';
import {
  append,
  instrument,
  type LiveGroupOptions,
  type LiveTestContext,
  newInstance,
  numbered,
  ok,
  readAll,
  record,
  sleep,
  waitUntil,
} from './live-harness.js';

function positions(events: readonly EventRecord[]): number[] {
  return events.map((e) => e.global_position);
}

function expectStrictlyIncreasing(events: readonly EventRecord[]): void {
  for (let i = 1; i < events.length; i++) {
    const previous = (events[i - 1] as EventRecord).global_position;
    const current = (events[i] as EventRecord).global_position;
    if (!(current > previous)) {
      throw new Error(`positions are not strictly increasing at index ${i}: ${previous} then ${current}`);
    }
  }
}

/** Registers the liveEvents tests. */
export function registerLiveEventsTests(context: () => LiveTestContext, options: LiveGroupOptions): void {
  const { rx } = options;
  const perWriter = options.eventsPerWriter ?? 250;

  test(`given a subscriber from the start, when 8 writers append ${perWriter} events each concurrently, then it receives exactly ${8 * perWriter}, in strictly increasing position order`, async () => {
    const { log } = context();
    const inst = await newInstance(log, 'live-writers');
    const rec = record(rx.liveEvents(log, { instance: inst.id }));
    try {
      const total = 8 * perWriter;
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < perWriter; i++) {
            ok(
              await log.appendEvent({
                instanceId: inst.id,
                streamId: `writer-${writer}`,
                eventType: 'tick',
                payload: { writer, i },
              }),
            );
          }
        }),
      );
      await rec.until((v) => v.length >= total, 30_000, `${total} events`);
      // Give duplicates, if any, the chance to show up.
      await sleep(100);
      expect(rec.error).toBeUndefined();
      expect(rec.values).toHaveLength(total);
      expectStrictlyIncreasing(rec.values);
      const stored = await readAll(log, inst.id);
      expect(positions(rec.values)).toEqual(positions(stored));
      // Per writer, its own events in its own order.
      for (let writer = 0; writer < 8; writer++) {
        const mine = rec.values.filter((e) => e.stream_id === `writer-${writer}`);
        expect(mine.map((e) => (e.payload as { i: number }).i)).toEqual(
          Array.from({ length: perWriter }, (_, i) => i),
        );
      }
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given stored events, when subscribing with a small page size and appending more, then it catches up in pages and goes live, each event once', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'live-catchup');
    const before = await append(log, inst.id, numbered(7));
    const rec = record(rx.liveEvents(log, { instance: inst.id, pageSize: 3 }));
    try {
      await rec.until((v) => v.length >= 7, signalTimeoutMs, 'the catch-up');
      const after = await append(log, inst.id, numbered(4, { from: 8 }));
      ok(await log.appendEvent({ instanceId: inst.id, eventType: 'tick', payload: { n: 12 } }));
      await rec.until((v) => v.length >= 12, signalTimeoutMs, 'the live events');
      await sleep(50);
      expect(rec.values.map((e) => (e.payload as { n: number }).n)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      expect(rec.values.slice(0, 11)).toEqual([...before, ...after].map((e) => expect.objectContaining(e)));
      expectStrictlyIncreasing(rec.values);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given commits that land while the catch-up read is in flight, then they arrive too (the watcher was registered before the read)', async () => {
    const { adapter, signalTimeoutMs } = context();
    const probe = instrument(adapter, { delayMs: 150 });
    const inst = await newInstance(probe.log, 'live-handoff');
    await append(probe.log, inst.id, numbered(2));
    const rec = record(rx.liveEvents(probe.log, { instance: inst.id }));
    try {
      // The first read has answered (2 events) but its answer is delayed: commit now.
      await waitUntil(() => probe.counters.readAfter >= 1, signalTimeoutMs, 'the first read');
      await sleep(20);
      await append(probe.log, inst.id, numbered(1, { from: 3 }));
      await rec.until((v) => v.length >= 3, signalTimeoutMs, 'the event committed during the catch-up');
      await sleep(200);
      expect(rec.values.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3]);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given after = a position in the middle, then only later events come, then live ones', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'live-after');
    const stored = await append(log, inst.id, numbered(6));
    const rec = record(
      rx.liveEvents(log, { instance: inst.id, after: (stored[2] as EventRecord).global_position }),
    );
    try {
      await rec.until((v) => v.length >= 3, signalTimeoutMs, 'the events after the position');
      await append(log, inst.id, numbered(2, { from: 7 }));
      await rec.until((v) => v.length >= 5, signalTimeoutMs, 'the live events');
      await sleep(50);
      expect(rec.values.map((e) => (e.payload as { n: number }).n)).toEqual([4, 5, 6, 7, 8]);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given after = the head, then only new events come', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'live-after-head');
    await append(log, inst.id, numbered(3));
    const head = await log.store.headPosition(inst.id);
    const rec = record(rx.liveEvents(log, { instance: inst.name, after: head }));
    try {
      await sleep(30);
      expect(rec.values).toEqual([]);
      await append(log, inst.id, numbered(1, { from: 4 }));
      await rec.until((v) => v.length >= 1, signalTimeoutMs, 'the new event');
      await sleep(50);
      expect(rec.values.map((e) => (e.payload as { n: number }).n)).toEqual([4]);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given stream and where filters, then only matching events come, before and after going live', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'live-where');
    const mixed = (from: number) => [
      { streamId: 'a', eventType: 'keep', payload: { n: from, big: true } },
      { streamId: 'b', eventType: 'keep', payload: { n: from + 1, big: true } },
      { streamId: 'a', eventType: 'drop', payload: { n: from + 2, big: true } },
      { streamId: 'a', eventType: 'keep', payload: { n: from + 3, big: false } },
      { streamId: 'a', eventType: 'keep', payload: { n: from + 4, big: true } },
    ];
    await append(log, inst.id, mixed(1));
    const rec = record(
      rx.liveEvents(log, {
        instance: inst.id,
        stream: 'a',
        where: [
          { field: 'event_type', operator: 'eq', value: 'keep' },
          { field: 'payload.big', operator: 'eq', value: true },
        ],
        pageSize: 2,
      }),
    );
    const all = record(rx.liveEvents(log, { instance: inst.id }));
    try {
      await rec.until((v) => v.length >= 2, signalTimeoutMs, 'the matching stored events');
      await append(log, inst.id, mixed(6));
      await all.until((v) => v.length >= 10, signalTimeoutMs, 'every event on an unfiltered subscription');
      await rec.until((v) => v.length >= 4, signalTimeoutMs, 'the matching live events');
      await sleep(50);
      expect(rec.values.map((e) => (e.payload as { n: number }).n)).toEqual([1, 5, 6, 10]);
      expect(rec.values.every((e) => e.stream_id === 'a' && e.event_type === 'keep')).toBe(true);
    } finally {
      rec.subscription.unsubscribe();
      all.subscription.unsubscribe();
    }
  });

  test('given a subscription, when the instance is deleted, then the Observable completes', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'live-delete');
    await append(log, inst.id, numbered(2));
    const rec = record(rx.liveEvents(log, { instance: inst.id }));
    await rec.until((v) => v.length >= 2, signalTimeoutMs, 'the stored events');
    ok(await log.deleteInstance(inst.id));
    await rec.ended(signalTimeoutMs + 1000);
    expect(rec.error).toBeUndefined();
    expect(rec.completed).toBe(true);
    expect(rec.values).toHaveLength(2);
  });

  test('given a missing instance or a bad where, then the Observable errors with NOT_FOUND or VALIDATION_ERROR', async () => {
    const { log, signalTimeoutMs } = context();
    const missing = record(rx.liveEvents(log, { instance: `missing-${Date.now()}` }));
    await missing.ended(signalTimeoutMs);
    expect(missing.error).toMatchObject({ code: 'NOT_FOUND' });
    const inst = await newInstance(log, 'live-bad-where');
    const bad = record(
      rx.liveEvents(log, { instance: inst.id, where: [{ field: 'payload..x', operator: 'eq', value: 1 }] }),
    );
    await bad.ended(signalTimeoutMs);
    expect(bad.error).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  test('given a subscription, when it unsubscribes, then its watcher is released and nothing reads any more', async () => {
    const { adapter, signalTimeoutMs } = context();
    const probe = instrument(adapter);
    const inst = await newInstance(probe.log, 'live-release');
    await append(probe.log, inst.id, numbered(2));
    const first = record(rx.liveEvents(probe.log, { instance: inst.id }));
    const second = record(rx.liveEvents(probe.log, { instance: inst.name, stream: 'default' }));
    await first.until((v) => v.length >= 2, signalTimeoutMs, 'the first subscription');
    await second.until((v) => v.length >= 2, signalTimeoutMs, 'the second subscription');
    expect(probe.counters.watchers).toBe(2);
    first.subscription.unsubscribe();
    second.subscription.unsubscribe();
    expect(probe.counters.watchers).toBe(0);
    // A read already in flight at unsubscribe (e.g. woken by a reconnect signal) may still reach
    // the adapter; it is abandoned. Let it land, then no further read may start.
    await sleep(50);
    const reads = probe.counters.readAfter;
    await append(probe.log, inst.id, numbered(3));
    await sleep(Math.min(signalTimeoutMs, 300));
    expect(probe.counters.readAfter).toBe(reads);
    expect(first.values).toHaveLength(2);
  });

  test('given a backlog, when a subscriber consumes it, then pages are read one at a time as it goes (nothing buffered ahead)', async () => {
    const { adapter, signalTimeoutMs } = context();
    const probe = instrument(adapter);
    const inst = await newInstance(probe.log, 'live-pages');
    await append(probe.log, inst.id, numbered(95));
    const readsAtEvent: number[] = [];
    const seen: number[] = [];
    const subscription = rx.liveEvents(probe.log, { instance: inst.id, pageSize: 10 }).subscribe({
      next: (event) => {
        seen.push((event.payload as { n: number }).n);
        readsAtEvent.push(probe.counters.readAfter);
      },
    });
    try {
      await waitUntil(() => seen.length >= 95, signalTimeoutMs, 'the backlog');
      expect(seen).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
      expect(Math.max(...probe.counters.pageSizes)).toBeLessThanOrEqual(10);
      // While the subscriber is at event k (0-based), at most page ⌊k/10⌋ + 1 has been read.
      readsAtEvent.forEach((reads, k) => {
        expect(reads, `reads when event ${k} was delivered`).toBeLessThanOrEqual(Math.floor(k / 10) + 1);
      });
    } finally {
      subscription.unsubscribe();
    }
  });
}
