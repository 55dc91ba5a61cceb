/**
 * `expectedVersions` (SPEC §8): a batch across streams checks each named stream as
 * `expectedVersion` checks one, in the same transaction; with `expectedVersion` it is a
 * `VALIDATION_ERROR`.
 */

import type { EventRecord, ExpectedVersion } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, loose, snapshot, useContext } from '../context.js';

const TRANSFER = [
  { streamId: 'account-a', eventType: 'Debited', payload: { amount: 5 } },
  { streamId: 'account-b', eventType: 'Credited', payload: { amount: 5 } },
];

/** Registers the `expectedVersions` group. */
export function registerExpectedVersionsTests(holder: ContextHolder): void {
  test('given two streams at the expected versions, when appending a batch across them, then both continue', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('evs-ok');
    await ctx.append(inst.id, [{ eventType: 'Opened' }], 'account-a');
    const { events } = expectOk(
      await ctx.log.appendEvents({
        instanceId: inst.id,
        events: TRANSFER,
        expectedVersions: { 'account-a': 1, 'account-b': 'no_stream' },
      }),
    );
    expect(events.map((e) => [e.stream_id, e.sequence_number])).toEqual([
      ['account-a', 2],
      ['account-b', 1],
    ]);
  });

  test.each<[string, Record<string, ExpectedVersion>, Record<string, unknown>]>([
    [
      'the second stream is ahead',
      { 'account-a': 1, 'account-b': 0 },
      { streamId: 'account-b', expectedVersion: 0, actualVersion: 2 },
    ],
    [
      'the first stream is stale',
      { 'account-a': 0, 'account-b': 'any' },
      { streamId: 'account-a', expectedVersion: 0, actualVersion: 1 },
    ],
    [
      'a stream must exist but does not',
      { 'account-a': 'stream_exists', 'account-c': 'stream_exists' },
      { streamId: 'account-c', expectedVersion: 'stream_exists', actualVersion: 0 },
    ],
  ])(
    'given %s, when appending, then a version CONFLICT names it and nothing is written',
    async (_label, expectedVersions, details) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('evs-conflict');
      await ctx.append(inst.id, [{ eventType: 'Opened' }], 'account-a');
      await ctx.append(inst.id, [{ eventType: 'Opened' }, { eventType: 'Credited' }], 'account-b');
      const before = await snapshot(ctx, inst.id);
      const events = [...TRANSFER, { streamId: 'account-c', eventType: 'Noted' }];
      const res = await ctx.log.appendEvents({ instanceId: inst.id, events, expectedVersions });
      expect(expectFailure(res, 'CONFLICT').details).toEqual(details);
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );

  test('given 10 racing batches expecting both streams empty, then exactly one succeeds', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('evs-race');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        ctx.log.appendEvents({
          instanceId: inst.id,
          events: TRANSFER.map((e) => ({ ...e, payload: { i } })),
          expectedVersions: { 'account-a': 0, 'account-b': 0 },
        }),
      ),
    );
    expect(results.filter((r) => r.success)).toHaveLength(1);
    const stored = await ctx.readAll(inst.id);
    expect(stored.map((e: EventRecord) => e.sequence_number)).toEqual([1, 1]);
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'together with expectedVersion',
      { expectedVersion: 0, expectedVersions: { 'account-a': 0 } },
      'expectedVersions',
    ],
    ['naming a stream the batch does not write', { expectedVersions: { 'account-z': 0 } }, 'account-z'],
    ['with a negative version', { expectedVersions: { 'account-a': -1 } }, 'expectedVersions'],
    ['with an unknown word', { expectedVersions: { 'account-a': 'latest' } }, 'expectedVersions'],
    ['as an array', { expectedVersions: [0, 0] }, 'expectedVersions'],
    ['as a string', { expectedVersions: 'any' }, 'expectedVersions'],
  ])(
    'given expectedVersions %s, when appending, then VALIDATION_ERROR and nothing is written',
    async (_label, extra, mention) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('evs-bad');
      await ctx.append(inst.id, [{ eventType: 'Opened' }], 'account-a');
      const before = await snapshot(ctx, inst.id);
      const res = await loose(ctx.log).appendEvents({ instanceId: inst.id, events: TRANSFER, ...extra });
      expectFailure(res, 'VALIDATION_ERROR', [mention]);
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );

  test('given expectedVersions on appendEvent, when appending, then VALIDATION_ERROR (a single event has expectedVersion)', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('evs-single');
    const res = await loose(ctx.log).appendEvent({
      instanceId: inst.id,
      eventType: 't',
      expectedVersions: { default: 0 },
    });
    expectFailure(res, 'VALIDATION_ERROR', ['expectedVersions']);
    expect((await ctx.stats(inst.id)).eventCount).toBe(0);
  });
}
