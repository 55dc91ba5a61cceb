/**
 * Idempotent appends by `eventId` (SPEC §3): duplicates return the stored event with
 * `duplicate: true`, are checked before `expectedVersion`, are scoped to an instance, and batches
 * are all-or-nothing duplicates.
 */

import { expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, snapshot, useContext } from '../context.js';

/** Registers the `idempotency` group. */
export function registerIdempotencyTests(holder: ContextHolder): void {
  test('given a stored eventId, when appending it again with another payload, then the stored event returns with duplicate: true and nothing is written', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem');
    const first = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        eventType: 'created',
        eventId: 'evt-1',
        payload: { v: 1 },
      }),
    );
    expect(first.duplicate).toBeUndefined();
    const before = await snapshot(ctx, inst.id);
    const again = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'elsewhere',
        eventType: 'changed',
        eventId: 'evt-1',
        payload: { v: 2 },
      }),
    );
    expect(again.duplicate).toBe(true);
    expect(again.event).toEqual(first.event);
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given a stored eventId, when appending it again with a stale expectedVersion, then it is a duplicate, not a CONFLICT', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-before-version');
    const first = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'a',
        eventId: 'k',
        expectedVersion: 0,
      }),
    );
    await ctx.append(inst.id, [{ eventType: 'b', streamId: 's' }]);
    const again = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'a',
        eventId: 'k',
        expectedVersion: 0,
      }),
    );
    expect(again).toEqual({ event: first.event, duplicate: true });
    expect((await ctx.stats(inst.id)).eventCount).toBe(2);
  });

  test('given an eventId stored in one instance, when appending it to another, then it is a new event there', async () => {
    const ctx = useContext(holder);
    const a = await ctx.newInstance('idem-a');
    const b = await ctx.newInstance('idem-b');
    expectOk(await ctx.log.appendEvent({ instanceId: a.id, eventType: 'x', eventId: 'shared' }));
    const inB = expectOk(await ctx.log.appendEvent({ instanceId: b.id, eventType: 'x', eventId: 'shared' }));
    expect(inB.duplicate).toBeUndefined();
    expect(inB.event.instanceId).toBe(b.id);
    expect((await ctx.stats(b.id)).eventCount).toBe(1);
  });

  test('given a batch whose eventIds are all stored, when appending it in another order, then the stored events return in request order with duplicate: true', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-batch');
    const stored = expectOk(
      await ctx.log.appendEvents({
        instanceId: inst.id,
        events: [
          { eventType: 'a', eventId: 'e1' },
          { eventType: 'b', eventId: 'e2', streamId: 'other' },
          { eventType: 'c', eventId: 'e3' },
        ],
      }),
    ).events;
    const before = await snapshot(ctx, inst.id);
    const again = expectOk(
      await ctx.log.appendEvents({
        instanceId: inst.id,
        events: [
          { eventType: 'z', eventId: 'e3' },
          { eventType: 'z', eventId: 'e1' },
        ],
      }),
    );
    expect(again.duplicate).toBe(true);
    expect(again.events).toEqual([stored[2], stored[0]]);
    expect(again.count).toBe(2);
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given a batch mixing stored and new eventIds, when appending, then CONFLICT with the duplicate ids and nothing is written', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-partial');
    await ctx.append(inst.id, [{ eventType: 'a', eventId: 'old' }]);
    const before = await snapshot(ctx, inst.id);
    const res = await ctx.log.appendEvents({
      instanceId: inst.id,
      events: [{ eventType: 'b', eventId: 'new' }, { eventType: 'a', eventId: 'old' }, { eventType: 'c' }],
    });
    const failure = expectFailure(res, 'CONFLICT', ['old']);
    expect(failure.details).toMatchObject({ reason: 'partial_duplicate', duplicateEventIds: ['old'] });
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given a batch where only some events carry a stored eventId and others none, when appending, then CONFLICT', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-partial-none');
    await ctx.append(inst.id, [{ eventType: 'a', eventId: 'held' }]);
    const res = await ctx.log.appendEvents({
      instanceId: inst.id,
      events: [{ eventType: 'a', eventId: 'held' }, { eventType: 'b' }],
    });
    expectFailure(res, 'CONFLICT');
    expect((await ctx.stats(inst.id)).eventCount).toBe(1);
  });

  test('given an eventId stored on one stream, when appending it to another stream of the instance, then it is a duplicate', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-streams');
    const first = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 's1', eventType: 'a', eventId: 'x' }),
    );
    const again = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 's2', eventType: 'a', eventId: 'x' }),
    );
    expect(again).toEqual({ event: first.event, duplicate: true });
    expect((await ctx.stats(inst.id)).streamCount).toBe(1);
  });

  test('given a stored eventId, when appending it as a single-event batch, then appendEvents reports the duplicate', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-single-batch');
    const first = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'a', eventId: 'one' }),
    );
    const again = expectOk(
      await ctx.log.appendEvents({ instanceId: inst.id, events: [{ eventType: 'a', eventId: 'one' }] }),
    );
    expect(again).toEqual({ events: [first.event], count: 1, duplicate: true });
  });

  test('given eventIds that differ only in case or spaces, when appending, then they are distinct events', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('idem-exact');
    const ids = ['Key', 'key', ' key', 'key '];
    for (const eventId of ids) {
      const res = expectOk(await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'a', eventId }));
      expect(res.duplicate).toBeUndefined();
      expect(res.event.eventId).toBe(eventId);
    }
    expect((await ctx.stats(inst.id)).eventCount).toBe(4);
  });
}
