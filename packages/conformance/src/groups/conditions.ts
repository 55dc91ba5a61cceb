/**
 * Conditional appends (SPEC §8, the Dynamic Consistency Boundary): `condition: { failIfEventsMatch,
 * after? }` fails with `CONFLICT` `{ condition: true, after, position }` and writes nothing when an
 * event of the instance after `after` matches an item; checked after eventId replay and the
 * expected versions, atomically with the write, so of racing appends whose boundaries overlap
 * exactly one succeeds.
 */

import type { AppendCondition, EventRecord, NewEventInput } from '@eventlog/core';
import { expect, test } from 'vitest';
import {
  type ConformanceContext,
  type ContextHolder,
  expectFailure,
  expectOk,
  loose,
  snapshot,
  useContext,
} from '../context.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A course-subscription history: positions come back in the records. */
async function courseHistory(ctx: ConformanceContext, label: string) {
  const inst = await ctx.newInstance(label);
  const events: NewEventInput[] = [
    { streamId: 'course-c1', eventType: 'CourseDefined', tags: ['course:c1'], payload: { capacity: 2 } },
    { streamId: 'sub-1', eventType: 'StudentSubscribed', tags: ['course:c1', 'student:s1'] },
    { streamId: 'course-c2', eventType: 'CourseDefined', tags: ['course:c2'], payload: { capacity: 5 } },
    { streamId: 'other', eventType: 'Noted' },
  ];
  const records = await ctx.append(inst.id, events);
  return { inst, records };
}

function positionOf(records: EventRecord[], index: number): number {
  return (records[index] as EventRecord).global_position;
}

/** Registers the `conditions` group. */
export function registerConditionTests(holder: ContextHolder): void {
  test('given no event matching the condition after `after`, when appending, then it succeeds', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-ok');
    const condition: AppendCondition = {
      failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:c1'] }],
      after: positionOf(records, 1),
    };
    const { event } = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'sub-2',
        eventType: 'StudentSubscribed',
        tags: ['course:c1', 'student:s2'],
        condition,
      }),
    );
    expect(event.sequence_number).toBe(1);
  });

  test('given a matching event after `after`, when appending, then CONFLICT { condition, after, position } and nothing is written', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-conflict');
    const before = await snapshot(ctx, inst.id);
    const after = positionOf(records, 0);
    const res = await ctx.log.appendEvents({
      instanceId: inst.id,
      events: [{ streamId: 'sub-2', eventType: 'StudentSubscribed', tags: ['course:c1', 'student:s2'] }],
      condition: { failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:c1'] }], after },
    });
    const failure = expectFailure(res, 'CONFLICT', ['condition', String(positionOf(records, 1))]);
    expect(failure.details).toEqual({ condition: true, after, position: positionOf(records, 1) });
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given a condition without after, when any matching event exists, then CONFLICT with after 0 and the first match', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-no-after');
    const res = await ctx.log.appendEvent({
      instanceId: inst.id,
      eventType: 'x',
      condition: { failIfEventsMatch: [{ tags: ['course:c2'] }, { types: ['CourseDefined'] }] },
    });
    expect(expectFailure(res, 'CONFLICT').details).toEqual({
      condition: true,
      after: 0,
      position: positionOf(records, 0),
    });
  });

  test.each<[string, AppendCondition['failIfEventsMatch'], number | null]>([
    ['a type only', [{ types: ['Noted'] }], 3],
    ['a tag only', [{ tags: ['student:s1'] }], 1],
    ['every tag of an item', [{ tags: ['course:c1', 'student:s1'] }], 1],
    ['tags no single event holds together', [{ tags: ['course:c2', 'student:s1'] }], null],
    ['a type with a tag it lacks', [{ types: ['CourseDefined'], tags: ['student:s1'] }], null],
    ['a tag prefix (no substring match)', [{ tags: ['course:c'] }], null],
    ['a tag in another case', [{ tags: ['COURSE:C1'] }], null],
    ['two items, the second matching', [{ types: ['Nope'] }, { types: ['Noted'] }], 3],
    ['a type never written', [{ types: ['Nope'], tags: ['course:c1'] }], null],
  ])(
    'given an item matching %s, when appending after the first event, then the outcome follows SPEC §8',
    async (_label, items, matchIndex) => {
      const ctx = useContext(holder);
      const { inst, records } = await courseHistory(ctx, 'cond-items');
      const after = positionOf(records, 0);
      const res = await ctx.log.appendEvent({
        instanceId: inst.id,
        eventType: 'probe',
        condition: { failIfEventsMatch: items, after },
      });
      if (matchIndex === null) expectOk(res);
      else
        expect(expectFailure(res, 'CONFLICT').details).toEqual({
          condition: true,
          after,
          position: positionOf(records, matchIndex),
        });
    },
  );

  test('given matching events only at or before `after`, when appending, then it succeeds', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-boundary');
    expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        eventType: 'probe',
        condition: { failIfEventsMatch: [{ tags: ['course:c1'] }], after: positionOf(records, 1) },
      }),
    );
  });

  test('given matching events in another instance, when appending, then they do not count', async () => {
    const ctx = useContext(holder);
    await courseHistory(ctx, 'cond-other');
    const inst = await ctx.newInstance('cond-isolated');
    expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        eventType: 'probe',
        condition: { failIfEventsMatch: [{ tags: ['course:c1'] }, { types: ['CourseDefined'] }] },
      }),
    );
  });

  test('given a stored eventId and a failing condition, when appended again, then the duplicate comes back (replay is checked first)', async () => {
    const ctx = useContext(holder);
    const { inst } = await courseHistory(ctx, 'cond-replay');
    const params = {
      instanceId: inst.id,
      eventType: 'Paid',
      eventId: 'pay-1',
      tags: ['course:c1'],
      condition: { failIfEventsMatch: [{ types: ['Paid'] }], after: 0 },
    };
    expectOk(await ctx.log.appendEvent(params));
    expect(expectOk(await ctx.log.appendEvent(params))).toMatchObject({ duplicate: true });
  });

  test('given a failing expectedVersion and a failing condition, when appending, then the version CONFLICT is reported (versions before condition)', async () => {
    const ctx = useContext(holder);
    const { inst } = await courseHistory(ctx, 'cond-order');
    const res = await ctx.log.appendEvent({
      instanceId: inst.id,
      streamId: 'sub-1',
      eventType: 'x',
      expectedVersion: 0,
      condition: { failIfEventsMatch: [{ tags: ['course:c1'] }] },
    });
    expect(expectFailure(res, 'CONFLICT').details).toEqual({
      streamId: 'sub-1',
      expectedVersion: 0,
      actualVersion: 1,
    });
  });

  test('given autoCreateInstance and a condition, when the instance is missing, then both succeed', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('cond-auto');
    expectOk(
      await ctx.log.appendEvent({
        instanceId: name,
        eventType: 'first',
        tags: ['k'],
        autoCreateInstance: true,
        condition: { failIfEventsMatch: [{ tags: ['k'] }] },
      }),
    );
    expect((await ctx.stats(name)).eventCount).toBe(1);
  });

  test('given 10 racing appends whose boundaries overlap, then exactly one succeeds and nine get the condition CONFLICT', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-race');
    const after = (records[records.length - 1] as EventRecord).global_position;
    const results = await Promise.all(
      range(10).map((i) =>
        ctx.log.appendEvent({
          instanceId: inst.id,
          streamId: `sub-s${i}`,
          eventType: 'StudentSubscribed',
          tags: ['course:c1', `student:s${i}`],
          // Each racer read up to `after` and guards the course's subscriptions: they overlap.
          condition: { failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:c1'] }], after },
        }),
      ),
    );
    const wins = results.filter((r) => r.success);
    expect(wins).toHaveLength(1);
    const winner = (wins[0] as { data: { event: EventRecord } }).data.event;
    for (const loss of results.filter((r) => !r.success)) {
      expect(loss).toMatchObject({
        code: 'CONFLICT',
        details: { condition: true, after, position: winner.global_position },
      });
    }
    expect((await ctx.stats(inst.id)).eventCount).toBe(records.length + 1);
  });

  test('given 10 racing appends with disjoint boundaries, then all succeed', async () => {
    const ctx = useContext(holder);
    const { inst, records } = await courseHistory(ctx, 'cond-disjoint');
    const after = (records[records.length - 1] as EventRecord).global_position;
    const results = await Promise.all(
      range(10).map((i) =>
        ctx.log.appendEvents({
          instanceId: inst.id,
          events: [{ streamId: `course-x${i}`, eventType: 'CourseDefined', tags: [`course:x${i}`] }],
          condition: { failIfEventsMatch: [{ tags: [`course:x${i}`] }], after },
        }),
      ),
    );
    for (const res of results) expectOk(res);
    expect((await ctx.stats(inst.id)).eventCount).toBe(records.length + 10);
  });

  test.each<[string, string, unknown]>([
    ['a string', 'condition', 'course:c1'],
    ['an array', 'condition', [{ tags: ['t'] }]],
    ['no failIfEventsMatch', 'condition.failIfEventsMatch', { after: 1 }],
    ['an empty failIfEventsMatch', 'condition.failIfEventsMatch', { failIfEventsMatch: [] }],
    ['an item without types or tags', 'condition.failIfEventsMatch[0]', { failIfEventsMatch: [{}] }],
    ['empty types', 'condition.failIfEventsMatch[0].types', { failIfEventsMatch: [{ types: [] }] }],
    ['empty tags', 'condition.failIfEventsMatch[0].tags', { failIfEventsMatch: [{ tags: [] }] }],
    [
      'a type that is not a name',
      'condition.failIfEventsMatch[0].types[0]',
      { failIfEventsMatch: [{ types: [3] }] },
    ],
    [
      'a tag that is not a name',
      'condition.failIfEventsMatch[0].tags[0]',
      { failIfEventsMatch: [{ tags: [''] }] },
    ],
    ['an unknown item key', 'condition.failIfEventsMatch[0].tag', { failIfEventsMatch: [{ tag: ['t'] }] }],
    ['an unknown condition key', 'condition.until', { failIfEventsMatch: [{ tags: ['t'] }], until: 3 }],
    ['a negative after', 'condition.after', { failIfEventsMatch: [{ tags: ['t'] }], after: -1 }],
    ['a fractional after', 'condition.after', { failIfEventsMatch: [{ tags: ['t'] }], after: 0.5 }],
    ['a string after', 'condition.after', { failIfEventsMatch: [{ tags: ['t'] }], after: '7' }],
  ])(
    'given %s as condition, when appending, then VALIDATION_ERROR naming %s and nothing is written',
    async (_label, path, condition) => {
      const ctx = useContext(holder);
      // Untagged events: validation is the facade's, so these cases hold on every adapter.
      const inst = await ctx.newInstance('cond-bad');
      await ctx.append(inst.id, [{ eventType: 'StudentSubscribed' }, { eventType: 'Noted' }]);
      const before = await snapshot(ctx, inst.id);
      const log = loose(ctx.log);
      expectFailure(
        await log.appendEvent({ instanceId: inst.id, eventType: 't', condition }),
        'VALIDATION_ERROR',
        [path],
      );
      expectFailure(
        await log.appendEvents({ instanceId: inst.id, events: [{ eventType: 't' }], condition }),
        'VALIDATION_ERROR',
        [path],
      );
      const fresh = ctx.uniqueName('cond-bad-auto');
      expectFailure(
        await log.appendEvent({ instanceId: fresh, eventType: 't', autoCreateInstance: true, condition }),
        'VALIDATION_ERROR',
      );
      expectFailure(await ctx.log.getInstance(fresh), 'NOT_FOUND');
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );
}
