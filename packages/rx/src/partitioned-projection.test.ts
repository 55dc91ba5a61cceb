import { createEventLog, type EventLog, type EventRecord } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { partitionOf } from './partitioned-projection.js';
import { type Projection, projection } from './projection.js';

const running: Projection[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

async function seed(log: EventLog, streams: number, perStream: number): Promise<void> {
  await log.createInstance('orders');
  for (let round = 0; round < perStream; round++) {
    await log.appendEvents({
      instanceId: 'orders',
      events: Array.from({ length: streams }, (_, s) => ({
        streamId: `order-${s}`,
        eventType: 'Step',
        payload: { round },
      })),
    });
  }
}

function start(log: EventLog, handled: EventRecord[], owner: string, partitions = 4): Projection {
  const p = projection({
    log,
    name: 'totals',
    instance: 'orders',
    partitions,
    lease: { ttlMs: 300, owner },
    handler: (event) => {
      handled.push(event);
    },
  });
  running.push(p);
  p.start();
  return p;
}

function expectOnceAndInOrder(handled: readonly EventRecord[], total: number): void {
  const positions = handled.map((e) => e.global_position);
  expect(new Set(positions).size).toBe(total);
  expect(positions).toHaveLength(total);
  const last = new Map<string, number>();
  for (const event of handled) {
    expect(event.sequence_number).toBe((last.get(event.stream_id) ?? 0) + 1);
    last.set(event.stream_id, event.sequence_number);
  }
}

describe('partitionOf', () => {
  it('given stream ids, then the partition is stable and spreads them', () => {
    expect(partitionOf('order-42', 4)).toBe(partitionOf('order-42', 4));
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 1000; i++) counts[partitionOf(`order-${i}`, 4)]++;
    for (const n of counts) expect(n).toBeGreaterThan(150);
  });
});

describe('Given a partitioned projection', () => {
  it('when one process runs it, then it runs every partition and handles each event once, each stream in order', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    await seed(log, 20, 5);
    const handled: EventRecord[] = [];
    const p = start(log, handled, 'a');
    expect(await p.caughtUp()).toBe(100);
    expectOnceAndInOrder(handled, 100);
  });

  it('when two processes run it, then they share the partitions, and when one stops the other takes them all', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    await seed(log, 20, 5);
    const a: EventRecord[] = [];
    const b: EventRecord[] = [];
    const first = start(log, a, 'a');
    const second = start(log, b, 'b');
    await first.caughtUp();
    // Both hold partitions once the assignment settled: more events go to both.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await log.appendEvents({
      instanceId: 'orders',
      events: Array.from({ length: 20 }, (_, s) => ({
        streamId: `order-${s}`,
        eventType: 'Step',
        payload: { round: 5 },
      })),
    });
    await second.caughtUp();
    const partitionsOf = (events: EventRecord[]) =>
      new Set(events.slice(-20).map((e) => partitionOf(e.stream_id, 4)));
    const late = [...a, ...b].filter((e) => (e.payload as { round: number }).round === 5);
    expect(late).toHaveLength(20);
    expect(partitionsOf(a.filter((e) => (e.payload as { round: number }).round === 5)).size).toBeGreaterThan(
      0,
    );
    expect(partitionsOf(b.filter((e) => (e.payload as { round: number }).round === 5)).size).toBeGreaterThan(
      0,
    );
    expectOnceAndInOrder(
      [...a, ...b].sort((x, y) => x.global_position - y.global_position),
      120,
    );

    await first.stop();
    await log.appendEvents({
      instanceId: 'orders',
      events: Array.from({ length: 20 }, (_, s) => ({
        streamId: `order-${s}`,
        eventType: 'Step',
        payload: { round: 6 },
      })),
    });
    await second.caughtUp();
    expect(b.filter((e) => (e.payload as { round: number }).round === 6)).toHaveLength(20);
    expectOnceAndInOrder(
      [...a, ...b].sort((x, y) => x.global_position - y.global_position),
      140,
    );
  });
});
