import { appendToStream, createEventLog, readStream, streamEvents } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

type Shop = { ItemAdded: { sku: string; price: number } };

/** A log whose adapter counts the pages it is asked for. */
async function setup(events: number) {
  const adapter = memoryAdapter();
  const reads = { readAfter: 0, query: 0 };
  const readAfter = adapter.readAfter.bind(adapter);
  const query = adapter.query.bind(adapter);
  adapter.readAfter = (request) => {
    reads.readAfter++;
    return readAfter(request);
  };
  adapter.query = (...args) => {
    reads.query++;
    return query(...args);
  };
  const log = createEventLog<Shop>({ adapter });
  await appendToStream(log, {
    instance: 'shop',
    streamId: 'cart-1',
    autoCreateInstance: true,
    events: Array.from({ length: events }, (_, i) => ({
      eventType: 'ItemAdded' as const,
      payload: { sku: `s${i + 1}`, price: i + 1 },
    })),
  });
  reads.readAfter = 0;
  reads.query = 0;
  return { log, reads };
}

describe('streamEvents', () => {
  it('given a long stream, when iterated, then each page is read only once the previous one was taken', async () => {
    const { log, reads } = await setup(25);
    const iterator = streamEvents(log, { instance: 'shop', streamId: 'cart-1', pageSize: 10 });
    expect(reads.readAfter).toBe(0); // nothing is read before the first next()
    const first = await iterator.next();
    expect(first.value?.sequence_number).toBe(1);
    expect(reads.readAfter).toBe(1);
    for (let i = 0; i < 9; i++) await iterator.next();
    expect(reads.readAfter).toBe(1);
    await iterator.next(); // the 11th event: the second page
    expect(reads.readAfter).toBe(2);
    let rest = 0;
    for await (const _ of iterator) rest++;
    expect(rest).toBe(14);
    expect(reads.readAfter).toBe(3); // a short page ends the stream: no extra empty read
  });

  it('given maxCount, then no more pages are read than needed', async () => {
    const { log, reads } = await setup(25);
    const events = [];
    for await (const e of streamEvents(log, {
      instance: 'shop',
      streamId: 'cart-1',
      pageSize: 10,
      maxCount: 12,
    })) {
      events.push(e.payload.price);
    }
    expect(events).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(reads.readAfter).toBe(2);
  });
});

describe('readStream', () => {
  it('given a read to the end of the stream, then the version comes from the last event: no extra query', async () => {
    const { log, reads } = await setup(5);
    const res = await readStream(log, { instance: 'shop', streamId: 'cart-1' });
    expect(res.currentVersion).toBe(5);
    expect(reads.query).toBe(0);
    const back = await readStream(log, {
      instance: 'shop',
      streamId: 'cart-1',
      direction: 'backward',
      maxCount: 2,
    });
    expect(back.events.map((e) => e.payload.sku)).toEqual(['s5', 's4']);
    expect(back.currentVersion).toBe(5);
    expect(reads.query).toBe(1); // the backward page itself
  });
});
