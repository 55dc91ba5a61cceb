/**
 * The adapter side of archiving: `removeEvents` takes events out without a record and keeps
 * stream versions; `importEvents` puts records back with their original ids, timestamps,
 * eventIds, tags, sequence numbers and global positions, skips what is already there, refuses
 * clashes, and moves the position counter so positions are never reused. Needs
 * `capabilities.archive` (skipped with that reason otherwise).
 */

import { type EventRecord, hasCapability, type StorageAdapter } from '@eventlog/core';
import { expect, type TestContext, test } from 'vitest';
import {
  type ConformanceContext,
  type ContextHolder,
  expectFailure,
  expectOk,
  useContext,
} from '../context.js';

type Archiving = StorageAdapter & Required<Pick<StorageAdapter, 'importEvents' | 'removeEvents'>>;

function archiving(holder: ContextHolder, t: TestContext): { ctx: ConformanceContext; adapter: Archiving } {
  const ctx = useContext(holder);
  if (!hasCapability(ctx.adapter, 'archive')) {
    t.skip(`adapter "${ctx.options.name}" declares capabilities.archive = false`);
  }
  expect(typeof ctx.adapter.importEvents, 'capabilities.archive is true, so importEvents() must exist').toBe(
    'function',
  );
  expect(typeof ctx.adapter.removeEvents, 'capabilities.archive is true, so removeEvents() must exist').toBe(
    'function',
  );
  return { ctx, adapter: ctx.adapter as Archiving };
}

/** Registers the `archive` group. */
export function registerArchiveTests(holder: ContextHolder): void {
  test('given events removed by position and imported back, then the instance equals the original, positions, ids, tags and eventIds included', async (t) => {
    const { ctx, adapter } = archiving(holder, t);
    const inst = await ctx.newInstance('archive-roundtrip');
    await ctx.append(inst.id, [
      {
        streamId: 'a',
        eventType: 'x',
        payload: { n: 1 },
        eventId: 'e-1',
        tags: ['t:1', 't:2'],
        timestamp: '2020-01-01T00:00:00.000Z',
      },
      { streamId: 'b', eventType: 'y', payload: { n: 2 }, metadata: { who: 'me' } },
      { streamId: 'a', eventType: 'x', payload: { n: 3 }, tags: ['t:1'] },
    ]);
    await ctx.append(inst.id, [{ streamId: 'b', eventType: 'z', eventId: 'e-4' }]);
    const original = await ctx.readAll(inst.id);
    const statsBefore = await ctx.stats(inst.id);
    const archived = original.slice(0, 3);

    expect(
      await adapter.removeEvents({ instanceId: inst.id, positions: archived.map((e) => e.global_position) }),
    ).toEqual({
      deletedEvents: 3,
    });
    expect(await ctx.readAll(inst.id)).toEqual(original.slice(3));
    // Positions of other instances, or not held, are ignored.
    expect(
      await adapter.removeEvents({ instanceId: inst.id, positions: [archived[0]?.global_position ?? 0] }),
    ).toEqual({
      deletedEvents: 0,
    });

    expect(await adapter.importEvents({ instanceId: inst.id, events: archived })).toEqual({
      imported: 3,
      skipped: 0,
    });
    expect(await ctx.readAll(inst.id)).toEqual(original);
    expect(await ctx.stats(inst.id)).toEqual(statsBefore);
    // Importing again skips what is there; the eventIds answer idempotent appends as before.
    expect(await adapter.importEvents({ instanceId: inst.id, events: original })).toEqual({
      imported: 0,
      skipped: 4,
    });
    const replay = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 'a', eventType: 'x', eventId: 'e-1' }),
    );
    expect(replay).toMatchObject({ duplicate: true, event: { id: original[0]?.id } });
    const tagged = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: 'tags', operator: 'contains', value: 't:1' }],
      }),
    );
    expect(tagged.result.total).toBe(2);
    // Streams continue after their versions, at new positions.
    const next = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 'a', eventType: 'x', expectedVersion: 2 }),
    );
    expect(next.event.sequence_number).toBe(3);
    expect(next.event.global_position).toBeGreaterThan(Math.max(...original.map((e) => e.global_position)));
  });

  test('given a stream whose events were all removed, then its version stays and it continues after it', async (t) => {
    const { ctx, adapter } = archiving(holder, t);
    const inst = await ctx.newInstance('archive-version');
    const stored = await ctx.append(inst.id, [{ eventType: 'x' }, { eventType: 'x' }], 's');
    await adapter.removeEvents({ instanceId: inst.id, positions: stored.map((e) => e.global_position) });
    expect(await ctx.readAll(inst.id)).toEqual([]);
    expectFailure(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'x',
        expectedVersion: 'no_stream',
      }),
      'CONFLICT',
    );
    const next = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 's', eventType: 'x', expectedVersion: 2 }),
    );
    expect(next.event.sequence_number).toBe(3);
  });

  test('given records from elsewhere with higher positions, when imported, then later appends get higher positions still and streams continue after them', async (t) => {
    const { ctx, adapter } = archiving(holder, t);
    const inst = await ctx.newInstance('archive-counter');
    const [template] = await ctx.append(inst.id, [{ streamId: 'seed', eventType: 'seed' }]);
    const base = (template as EventRecord).global_position + 1_000_000;
    const records: EventRecord[] = [1, 2, 3].map((n) => ({
      ...(template as EventRecord),
      id: globalThis.crypto.randomUUID(),
      stream_id: 'imported',
      event_type: 'old',
      payload: { n },
      timestamp: `2019-0${n}-01T00:00:00.000Z`,
      sequence_number: n,
      global_position: base + n,
    }));
    expect(await adapter.importEvents({ instanceId: inst.id, events: records })).toEqual({
      imported: 3,
      skipped: 0,
    });
    const appended = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'imported',
        eventType: 'new',
        expectedVersion: 3,
      }),
    ).event;
    expect(appended.sequence_number).toBe(4);
    expect(appended.global_position).toBeGreaterThan(base + 3);
  });

  test('given an import that clashes (a position held by another event, a sequence or an eventId already held), then CONFLICT and nothing is imported', async (t) => {
    const { ctx, adapter } = archiving(holder, t);
    const inst = await ctx.newInstance('archive-clash');
    const [held] = await ctx.append(inst.id, [{ streamId: 's', eventType: 'x', eventId: 'held' }]);
    const h = held as EventRecord;
    const fresh = (over: Partial<EventRecord>): EventRecord => ({
      ...h,
      id: globalThis.crypto.randomUUID(),
      stream_id: 'other',
      sequence_number: 1,
      global_position: h.global_position + 500_000,
      ...over,
    });
    const before = await ctx.readAll(inst.id);
    const clashes: EventRecord[][] = [
      // the second holds a position another event holds (the first must not be imported either)
      [fresh({}), fresh({ global_position: h.global_position })],
      // a sequence number the stream holds
      [fresh({ stream_id: 's', sequence_number: 1 })],
      // an eventId the instance holds
      [{ ...fresh({}), eventId: 'held' }],
      // the same sequence twice in one import
      [fresh({}), fresh({ global_position: h.global_position + 500_001 })],
    ];
    for (const events of clashes) {
      await expect(adapter.importEvents({ instanceId: inst.id, events })).rejects.toMatchObject({
        code: 'CONFLICT',
      });
      expect(await ctx.readAll(inst.id)).toEqual(before);
    }
    await expect(
      adapter.importEvents({ instanceId: ctx.uniqueName('none'), events: [fresh({})] }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
}
