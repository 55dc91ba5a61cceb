/**
 * Concurrency (SPEC §3): parallel appends keep per-stream sequences gap-free and in position
 * order, optimistic checks let exactly one racer win, batches stay contiguous, auto-creation and
 * idempotency are safe under races, and readers see positions in commit order.
 */

import type { EventRecord } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectOk, sleep, useContext } from '../context.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Asserts that a stream's events, in position order, have sequence numbers 1..n. */
function expectStreamInOrder(events: EventRecord[], n: number): void {
  const byPosition = [...events].sort((x, y) => x.global_position - y.global_position);
  expect(byPosition.map((e) => e.sequence_number)).toEqual(range(1, n));
  expect(new Set(events.map((e) => e.global_position)).size).toBe(n);
}

/** Registers the `concurrency` group. */
export function registerConcurrencyTests(holder: ContextHolder): void {
  test('given 50 parallel appends to one stream, then sequence numbers are 1..50 without gaps, increasing with position', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('par');
    const results = await Promise.all(
      range(1, 50).map((i) =>
        ctx.log.appendEvent({ instanceId: inst.id, streamId: 'hot', eventType: 'tick', payload: { i } }),
      ),
    );
    const events = results.map((r) => expectOk(r).event);
    expectStreamInOrder(events, 50);
    const stored = await ctx.readAll(inst.id);
    expect(stored.map((e) => e.sequence_number)).toEqual(range(1, 50));
    expect(new Set(stored.map((e) => (e.payload as { i: number }).i)).size).toBe(50);
  });

  test('given 10 racing appends with expectedVersion 0, then exactly one succeeds and nine get CONFLICT with details', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('race');
    const results = await Promise.all(
      range(1, 10).map((i) =>
        ctx.log.appendEvent({
          instanceId: inst.id,
          streamId: 'order-1',
          eventType: 'created',
          expectedVersion: 0,
          payload: { i },
        }),
      ),
    );
    const wins = results.filter((r) => r.success);
    const losses = results.filter((r) => !r.success);
    expect(wins).toHaveLength(1);
    expect(losses).toHaveLength(9);
    for (const loss of losses) {
      expect(loss).toMatchObject({
        code: 'CONFLICT',
        details: { streamId: 'order-1', expectedVersion: 0, actualVersion: 1 },
      });
    }
    const stats = await ctx.stats(inst.id);
    expect(stats.eventCount).toBe(1);
    expect((await ctx.readAll(inst.id)).map((e) => e.sequence_number)).toEqual([1]);
  });

  test('given racing appends each expecting the version it read, then versions advance one winner at a time', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('race-rounds');
    for (let version = 0; version < 3; version++) {
      const results = await Promise.all(
        range(1, 5).map(() =>
          ctx.log.appendEvent({
            instanceId: inst.id,
            streamId: 's',
            eventType: 'e',
            expectedVersion: version,
          }),
        ),
      );
      expect(results.filter((r) => r.success)).toHaveLength(1);
    }
    expect((await ctx.readAll(inst.id)).map((e) => e.sequence_number)).toEqual([1, 2, 3]);
  });

  test('given 10 parallel batches of 5 to one stream, then each batch is contiguous and the stream is 1..50 in position order', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('par-batches');
    const results = await Promise.all(
      range(1, 10).map((b) =>
        ctx.log.appendEvents({
          instanceId: inst.id,
          streamId: 'hot',
          events: range(1, 5).map((i) => ({ eventType: 'e', payload: { b, i } })),
        }),
      ),
    );
    const all: EventRecord[] = [];
    for (const res of results) {
      const { events } = expectOk(res);
      const seqs = events.map((e) => e.sequence_number);
      const first = seqs[0] as number;
      expect(seqs).toEqual(range(first, first + 4));
      const positions = events.map((e) => e.global_position);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
      all.push(...events);
    }
    expectStreamInOrder(all, 50);
  });

  test('given parallel appends to five streams, then each stream counts 1..10 in position order', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('par-streams');
    const results = await Promise.all(
      range(0, 49).map((i) =>
        ctx.log.appendEvent({ instanceId: inst.id, streamId: `s${i % 5}`, eventType: 'e' }),
      ),
    );
    const events = results.map((r) => expectOk(r).event);
    for (let s = 0; s < 5; s++)
      expectStreamInOrder(
        events.filter((e) => e.stream_id === `s${s}`),
        10,
      );
    expect((await ctx.stats(inst.id)).streamCount).toBe(5);
  });

  test('given 10 racing appends with autoCreateInstance to a new name, then all succeed into one instance', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('race-auto');
    const results = await Promise.all(
      range(1, 10).map((i) =>
        ctx.log.appendEvent({ instanceId: name, eventType: 'e', autoCreateInstance: true, payload: { i } }),
      ),
    );
    const events = results.map((r) => expectOk(r).event);
    expect(new Set(events.map((e) => e.instanceId))).toEqual(new Set([name]));
    expectStreamInOrder(events, 10);
    const { instances } = expectOk(await ctx.log.listInstances());
    expect(instances.filter((i) => i.name === name || i.id === name)).toHaveLength(1);
    expect((await ctx.stats(name)).eventCount).toBe(10);
  });

  test('given 10 racing appends with the same eventId, then one event is stored and every caller gets it', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('race-idem');
    const results = await Promise.all(
      range(1, 10).map((i) =>
        ctx.log.appendEvent({ instanceId: inst.id, eventType: 'paid', eventId: 'payment-1', payload: { i } }),
      ),
    );
    const data = results.map((r) => expectOk(r));
    const ids = new Set(data.map((d) => d.event.id));
    expect(ids.size).toBe(1);
    expect(data.filter((d) => d.duplicate === true)).toHaveLength(9);
    expect((await ctx.stats(inst.id)).eventCount).toBe(1);
  });

  test('given parallel writers, when a reader follows by position, then it never misses an event that commits behind it', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('visibility');
    let done = false;
    const writes = Promise.all(
      range(0, 39).map((i) =>
        ctx.log.appendEvent({ instanceId: inst.id, streamId: `s${i % 4}`, eventType: 'e', payload: { i } }),
      ),
    ).finally(() => {
      done = true;
    });
    const seen: number[] = [];
    let last = 0;
    const readPage = async () => {
      const page = await ctx.log.store.readAfter({ instance: inst.id, after: last, limit: 100 });
      for (const e of page) {
        expect(e.global_position).toBeGreaterThan(last);
        seen.push(e.global_position);
        last = e.global_position;
      }
      return page.length;
    };
    while (!done) {
      await readPage();
      // Yield to timers too, in case the adapter schedules its work as macrotasks.
      await sleep(0);
    }
    for (const res of await writes) expectOk(res);
    while ((await readPage()) > 0) {
      // drain what committed after the writers finished
    }
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });
}
