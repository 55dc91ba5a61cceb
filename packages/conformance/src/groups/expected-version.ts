/**
 * Optimistic concurrency with `expectedVersion` (SPEC §3): numbers, `no_stream`, `any`,
 * `stream_exists`; a mismatch is a CONFLICT with details and writes nothing.
 */

import type { ExpectedVersion } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, snapshot, useContext } from '../context.js';

/** Registers the `expectedVersion` group. */
export function registerExpectedVersionTests(holder: ContextHolder): void {
  test.each<[string, ExpectedVersion]>([
    ['0', 0],
    ["'no_stream'", 'no_stream'],
  ])(
    'given an empty stream, when appending with expectedVersion %s twice, then the first succeeds and the second is a CONFLICT',
    async (_label, expectedVersion) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('ev-empty');
      const first = expectOk(
        await ctx.log.appendEvent({
          instanceId: inst.id,
          streamId: 'order-1',
          eventType: 'created',
          expectedVersion,
        }),
      );
      expect(first.event.sequence_number).toBe(1);
      const before = await snapshot(ctx, inst.id);
      const res = await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'order-1',
        eventType: 'created',
        expectedVersion,
      });
      const failure = expectFailure(res, 'CONFLICT', ['order-1']);
      expect(failure.details).toEqual({ streamId: 'order-1', expectedVersion, actualVersion: 1 });
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );

  test('given a stream at version 3, when appending with 3, then it succeeds with sequence 4', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-exact');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }], 's');
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 's', eventType: 'd', expectedVersion: 3 }),
    );
    expect(event.sequence_number).toBe(4);
  });

  test.each([
    ['stale', 2],
    ['ahead', 4],
    ['zero', 0],
  ])(
    'given a stream at version 3, when appending with a %s expectedVersion, then CONFLICT with actualVersion 3 and nothing is written',
    async (_label, expectedVersion) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('ev-mismatch');
      await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }], 's');
      const before = await snapshot(ctx, inst.id);
      const res = await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'd',
        expectedVersion,
      });
      expect(expectFailure(res, 'CONFLICT').details).toEqual({
        streamId: 's',
        expectedVersion,
        actualVersion: 3,
      });
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );

  test("given any stream state, when appending with 'any', then it succeeds", async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-any');
    expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'a',
        expectedVersion: 'any',
      }),
    );
    const { event } = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'a',
        expectedVersion: 'any',
      }),
    );
    expect(event.sequence_number).toBe(2);
  });

  test("given an empty stream, when appending with 'stream_exists', then CONFLICT with actualVersion 0; after an event it succeeds", async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-exists');
    const res = await ctx.log.appendEvent({
      instanceId: inst.id,
      streamId: 's',
      eventType: 'a',
      expectedVersion: 'stream_exists',
    });
    expect(expectFailure(res, 'CONFLICT').details).toEqual({
      streamId: 's',
      expectedVersion: 'stream_exists',
      actualVersion: 0,
    });
    expect((await ctx.stats(inst.id)).eventCount).toBe(0);
    await ctx.append(inst.id, [{ eventType: 'a' }], 's');
    const ok = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's',
        eventType: 'b',
        expectedVersion: 'stream_exists',
      }),
    );
    expect(ok.event.sequence_number).toBe(2);
  });

  test('given events on another stream, when appending with expectedVersion 0, then only the named stream counts', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-per-stream');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'a' }], 'other');
    const { event } = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'mine',
        eventType: 'a',
        expectedVersion: 0,
      }),
    );
    expect(event.sequence_number).toBe(1);
  });

  test('given a batch to one stream, when appending with a matching expectedVersion, then all events continue the stream', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-batch');
    await ctx.append(inst.id, [{ eventType: 'a' }], 's');
    const data = expectOk(
      await ctx.log.appendEvents({
        instanceId: inst.id,
        streamId: 's',
        expectedVersion: 1,
        events: [{ eventType: 'b' }, { eventType: 'c', streamId: 's' }],
      }),
    );
    expect(data.events.map((e) => e.sequence_number)).toEqual([2, 3]);
  });

  test('given a batch to one stream, when appending with a stale expectedVersion, then CONFLICT and none of its events is written', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('ev-batch-conflict');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'a' }], 's');
    const before = await snapshot(ctx, inst.id);
    const res = await ctx.log.appendEvents({
      instanceId: inst.id,
      expectedVersion: 1,
      events: [
        { eventType: 'b', streamId: 's' },
        { eventType: 'c', streamId: 's' },
      ],
    });
    expect(expectFailure(res, 'CONFLICT').details).toEqual({
      streamId: 's',
      expectedVersion: 1,
      actualVersion: 2,
    });
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given autoCreateInstance and a failing expectedVersion, when appending to a missing instance, then CONFLICT and the instance is not created', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('ev-auto');
    const res = await ctx.log.appendEvent({
      instanceId: name,
      eventType: 'a',
      expectedVersion: 'stream_exists',
      autoCreateInstance: true,
    });
    expectFailure(res, 'CONFLICT');
    expectFailure(await ctx.log.getInstance(name), 'NOT_FOUND');
  });

  test('given autoCreateInstance and expectedVersion 0, when appending to a missing instance, then both succeed', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('ev-auto-ok');
    const { event } = expectOk(
      await ctx.log.appendEvent({
        instanceId: name,
        eventType: 'a',
        expectedVersion: 0,
        autoCreateInstance: true,
      }),
    );
    expect(event.sequence_number).toBe(1);
    expect(expectOk(await ctx.log.getInstance(name)).instance.id).toBe(name);
  });
}
