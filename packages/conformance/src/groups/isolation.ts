/**
 * Isolation (SPEC §6): no query, aggregation, stats, read, version check, eventId lookup or delete
 * crosses from one instance into another, even when streams, types and eventIds are the same.
 */

import type { EventRecord, Instance, NewEventInput } from '@eventlog/core';
import { beforeEach, expect, test } from 'vitest';
import { type ContextHolder, expectOk, useContext } from '../context.js';

const TWIN_EVENTS = (tag: string): NewEventInput[] => [
  { streamId: 'shared', eventType: 'created', eventId: 'same-id', payload: { tag, n: 1 } },
  { streamId: 'shared', eventType: 'updated', payload: { tag, n: 2 } },
  { streamId: 'only', eventType: 'created', payload: { tag, n: 3 } },
];

/** Registers the `isolation` group. */
export function registerIsolationTests(holder: ContextHolder): void {
  let a: Instance;
  let b: Instance;
  let aEvents: EventRecord[];
  let bEvents: EventRecord[];
  beforeEach(async () => {
    const ctx = useContext(holder);
    a = await ctx.newInstance('iso-a');
    b = await ctx.newInstance('iso-b');
    aEvents = await ctx.append(a.id, TWIN_EVENTS('a'));
    bEvents = await ctx.append(b.id, [
      ...TWIN_EVENTS('b'),
      { streamId: 'shared', eventType: 'extra', payload: { tag: 'b' } },
    ]);
  });

  test('given twin instances, when querying one, then only its events come back', async () => {
    const ctx = useContext(holder);
    const { result } = expectOk(await ctx.log.queryEvents({ from: { instance: a.id }, limit: 100 }));
    expect(result.events).toEqual(aEvents);
    expect(result.total).toBe(3);
    const byStream = expectOk(
      await ctx.log.queryEvents({ from: { instance: b.name, stream: 'shared' } }),
    ).result;
    expect(byStream.events).toEqual([bEvents[0], bEvents[1], bEvents[3]]);
  });

  test('given twin instances, when filtering one by the other instanceId, then nothing matches', async () => {
    const ctx = useContext(holder);
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: a.id },
        where: [{ field: 'instanceId', operator: 'eq', value: b.id }],
      }),
    );
    expect(result.total).toBe(0);
    const anyOf = expectOk(
      await ctx.log.queryEvents({
        from: { instance: a.id },
        where: [
          {
            or: [
              { field: 'payload.tag', operator: 'eq', value: 'b' },
              { field: 'event_type', operator: 'eq', value: 'extra' },
            ],
          },
        ],
      }),
    ).result;
    expect(anyOf.total).toBe(0);
  });

  test('given twin instances, when aggregating one, then only its events count', async () => {
    const ctx = useContext(holder);
    const count = expectOk(
      await ctx.log.queryEvents({ from: { instance: a.id }, reduce: { type: 'count' } }),
    ).result;
    expect(count.aggregation?.value).toBe(3);
    const sum = expectOk(
      await ctx.log.queryEvents({ from: { instance: b.id }, reduce: { type: 'sum', field: 'payload.n' } }),
    ).result;
    expect(sum.aggregation?.value).toBe(6);
    const grouped = expectOk(
      await ctx.log.queryEvents({
        from: { instance: a.id },
        reduce: { type: 'count', groupBy: ['event_type'] },
      }),
    ).result;
    expect(grouped.aggregation?.groups).toEqual([
      { key: { event_type: 'created' }, value: 2 },
      { key: { event_type: 'updated' }, value: 1 },
    ]);
  });

  test('given twin instances, then stats count each separately', async () => {
    const ctx = useContext(holder);
    expect(await ctx.stats(a.id)).toMatchObject({
      eventCount: 3,
      streamCount: 2,
      eventTypes: { created: 2, updated: 1 },
    });
    expect(await ctx.stats(b.id)).toMatchObject({
      eventCount: 4,
      streamCount: 2,
      eventTypes: { created: 2, updated: 1, extra: 1 },
    });
  });

  test('given twin instances, then sequence numbers and expectedVersion are per instance stream', async () => {
    const ctx = useContext(holder);
    expect(aEvents.map((e) => e.sequence_number)).toEqual([1, 2, 1]);
    expect(bEvents.map((e) => e.sequence_number)).toEqual([1, 2, 1, 3]);
    const next = expectOk(
      await ctx.log.appendEvent({ instanceId: a.id, streamId: 'shared', eventType: 'x', expectedVersion: 2 }),
    );
    expect(next.event.sequence_number).toBe(3);
  });

  test('given the same eventId in both instances, then each instance holds its own event', async () => {
    const ctx = useContext(holder);
    expect(aEvents[0]?.id).not.toBe(bEvents[0]?.id);
    const dup = expectOk(
      await ctx.log.appendEvent({
        instanceId: b.id,
        streamId: 'shared',
        eventType: 'created',
        eventId: 'same-id',
      }),
    );
    expect(dup).toEqual({ event: bEvents[0], duplicate: true });
  });

  test('given twin instances, when reading after a position, then only the instance events come back', async () => {
    const ctx = useContext(holder);
    const read = await ctx.log.store.readAfter({ instance: a.id, after: 0, limit: 100 });
    expect(read).toEqual(aEvents);
    expect(await ctx.log.store.headPosition(a.id)).toBe(aEvents[2]?.global_position);
    expect(await ctx.log.store.headPosition(b.id)).toBe(bEvents[3]?.global_position);
  });

  test('given twin instances, when deleting one, then the other keeps every event', async () => {
    const ctx = useContext(holder);
    expect(expectOk(await ctx.log.deleteInstance(a.id)).deletedEvents).toBe(3);
    expect(await ctx.readAll(b.id)).toEqual(bEvents);
    expect((await ctx.stats(b.id)).eventCount).toBe(4);
    const again = expectOk(
      await ctx.log.appendEvent({ instanceId: b.id, streamId: 'shared', eventType: 'later' }),
    );
    expect(again.event.sequence_number).toBe(4);
  });
}
