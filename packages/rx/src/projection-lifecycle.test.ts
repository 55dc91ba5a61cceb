import { createEventLog, type EventRecord, type StreamRemovalInfo } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, it } from 'vitest';
import { projection, projectionFilter } from './projection.js';

const LEASE = { ttlMs: 400, renewIntervalMs: 100, retryIntervalMs: 20 };

async function shop() {
  const log = createEventLog({ adapter: memoryAdapter() });
  const { id } = await log.store.createInstance('shop');
  const add = (cart: string, sku: string) =>
    log.store.appendEvent({ instanceId: id, streamId: cart, eventType: 'ItemAdded', payload: { sku } });
  return { log, id, add };
}

describe('projection: stream removals (SPEC §9)', () => {
  it('given onStreamDeleted and onStreamTruncated, when carts are deleted and truncated, then the read model drops them in order, and the handler never sees the records', async () => {
    const { log, id, add } = await shop();
    // The read model keeps each cart's items by sequence number, so a truncation is a filter.
    const carts = new Map<string, Array<[number, string]>>();
    const handled: string[] = [];
    const removals: Array<Pick<StreamRemovalInfo, 'kind' | 'streamId' | 'before' | 'deletedEvents'>> = [];
    const p = projection({
      log,
      name: 'carts',
      instance: id,
      lease: LEASE,
      handler: (event) => {
        handled.push(event.event_type);
        const items = carts.get(event.stream_id) ?? [];
        carts.set(event.stream_id, [...items, [event.sequence_number, event.payload.sku as string]]);
      },
      onStreamDeleted: ({ kind, streamId, deletedEvents }) => {
        removals.push({ kind, streamId, deletedEvents });
        carts.delete(streamId);
      },
      onStreamTruncated: ({ kind, streamId, before, deletedEvents }) => {
        removals.push({ kind, streamId, before, deletedEvents });
        carts.set(
          streamId,
          (carts.get(streamId) ?? []).filter(([sequence]) => sequence >= (before ?? 1)),
        );
      },
    });
    p.start();
    await add('cart-1', 'A');
    await add('cart-1', 'B');
    await add('cart-2', 'C');
    await add('cart-2', 'D');
    await p.caughtUp();
    await log.store.deleteStream({ instanceId: id, streamId: 'cart-1' });
    await log.store.truncateStream({ instanceId: id, streamId: 'cart-2', before: 2 });
    await p.caughtUp();
    const expected = [['cart-2', [[2, 'D']]]];
    expect([...carts]).toEqual(expected);
    expect(removals).toEqual([
      { kind: 'deleted', streamId: 'cart-1', deletedEvents: 2 },
      { kind: 'truncated', streamId: 'cart-2', before: 2, deletedEvents: 1 },
    ]);
    expect(handled).toEqual(['ItemAdded', 'ItemAdded', 'ItemAdded', 'ItemAdded']);
    // A rebuild reads what remains (and the records): the same read model.
    carts.clear();
    await p.reset();
    p.start();
    await p.caughtUp();
    expect([...carts]).toEqual(expected);
    await p.stop();
  });

  it('given a projection of one stream with onStreamDeleted, then it hears its own stream deleted (read through the widened filter) and not the others', async () => {
    const { log, id, add } = await shop();
    const seen: string[] = [];
    const p = projection({
      log,
      name: 'one-cart',
      instance: id,
      stream: 'cart-1',
      where: [{ field: 'event_type', operator: 'eq', value: 'ItemAdded' }],
      lease: LEASE,
      handler: (event) => void seen.push(`${event.stream_id}:${event.payload.sku as string}`),
      onStreamDeleted: ({ streamId }) => void seen.push(`deleted ${streamId}`),
    });
    p.start();
    await add('cart-1', 'A');
    await add('cart-2', 'B');
    await log.store.appendEvent({ instanceId: id, streamId: 'cart-1', eventType: 'Noted' });
    await log.store.deleteStream({ instanceId: id, streamId: 'cart-2' });
    await log.store.deleteStream({ instanceId: id, streamId: 'cart-1' });
    await add('cart-1', 'C');
    await p.caughtUp();
    expect(seen).toEqual(['cart-1:A', 'deleted cart-1', 'cart-1:C']);
    await p.stop();
  });

  it('given no hooks, then the handler receives the $stream.* records as events (streamRemovalOf reads them)', async () => {
    const { log, id, add } = await shop();
    const seen: EventRecord[] = [];
    const p = projection({
      log,
      name: 'plain',
      instance: id,
      lease: LEASE,
      handler: (e) => void seen.push(e),
    });
    p.start();
    await add('cart-1', 'A');
    await p.caughtUp();
    await log.store.deleteStream({ instanceId: id, streamId: 'cart-1' });
    await p.caughtUp();
    expect(seen.map((e) => [e.stream_id, e.event_type])).toEqual([
      ['cart-1', 'ItemAdded'],
      ['$system', '$stream.deleted'],
    ]);
    await p.stop();
  });

  it('given filters and hooks, then the reader reads the filters or the wanted removal records', () => {
    expect(projectionFilter({ stream: 's' })).toEqual({ stream: 's' });
    expect(projectionFilter({ onStreamDeleted: () => {} })).toEqual({});
    expect(projectionFilter({ stream: 's', onStreamTruncated: () => {} })).toEqual({
      where: [
        {
          or: [
            { field: 'stream_id', operator: 'eq', value: 's' },
            {
              not: {
                or: [
                  { not: { field: 'stream_id', operator: 'eq', value: '$system' } },
                  { not: { field: 'event_type', operator: 'in', value: ['$stream.truncated'] } },
                  { not: { field: 'payload.streamId', operator: 'eq', value: 's' } },
                ],
              },
            },
          ],
        },
      ],
    });
  });
});
