/**
 * Tags (SPEC §8): events carry 1–32 distinct tags, stored sorted, returned wherever the event is;
 * the DSL field `tags` answers `contains` (and the DSL's other array rules); bad tags are a
 * `VALIDATION_ERROR` that writes nothing.
 */

import type { EventRecord } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, loose, snapshot, useContext } from '../context.js';

/** Registers the `tags` group. */
export function registerTagTests(holder: ContextHolder): void {
  test('given events with tags, when appended one by one and in a batch, then records carry them sorted; untagged records have no tags key', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('tags');
    const single = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'enrolment-1',
        eventType: 'StudentSubscribed',
        tags: ['student:s1', 'course:c1'],
      }),
    ).event;
    expect(single.tags).toEqual(['course:c1', 'student:s1']);
    const batch = await ctx.append(inst.id, [
      { eventType: 'CourseDefined', tags: ['course:c2', 'Course:C2', '😀'] },
      { eventType: 'Untagged' },
      { eventType: 'EmptyTags', tags: [] },
    ]);
    expect(batch.map((e) => e.tags)).toEqual([['Course:C2', 'course:c2', '😀'], undefined, undefined]);
    const stored = await ctx.readAll(inst.id);
    expect(stored.map((e) => e.tags)).toEqual([
      ['course:c1', 'student:s1'],
      ['Course:C2', 'course:c2', '😀'],
      undefined,
      undefined,
    ]);
    for (const e of stored.filter((x) => x.tags === undefined)) expect('tags' in e).toBe(false);
    const page = await ctx.log.store.readAfter({ instance: inst.id, after: 0, limit: 10 });
    expect(page.map((e) => e.tags)).toEqual(stored.map((e) => e.tags));
  });

  test('given tagged events, when querying tags contains, then exactly the events holding the tag match (no substring, case-sensitive)', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('tags-query');
    await ctx.append(inst.id, [
      { eventType: 'a', payload: { label: 't1' }, tags: ['course:c1', 'student:s1'] },
      { eventType: 'a', payload: { label: 't2' }, tags: ['course:c10'] },
      { eventType: 'a', payload: { label: 't3' }, tags: ['Course:c1'] },
      { eventType: 'a', payload: { label: 't4' } },
      { eventType: 'a', payload: { label: 't5' }, tags: ['course:c1'] },
    ]);
    const labels = async (where: unknown[]) =>
      (
        expectOk(await loose(ctx.log).queryEvents({ from: { instance: inst.id }, where })).result.events ?? []
      ).map((e: Partial<EventRecord>) => (e.payload as { label: string }).label);
    expect(await labels([{ field: 'tags', operator: 'contains', value: 'course:c1' }])).toEqual(['t1', 't5']);
    expect(await labels([{ field: 'tags', operator: 'contains', value: 'course' }])).toEqual([]);
    expect(
      await labels([
        { field: 'tags', operator: 'contains', value: 'course:c1' },
        { field: 'tags', operator: 'contains', value: 'student:s1' },
      ]),
    ).toEqual(['t1']);
    expect(await labels([{ field: 'tags', operator: 'exists', value: false }])).toEqual(['t4']);
    expect(await labels([{ field: 'tags', operator: 'eq', value: 'course:c10' }])).toEqual([]);
    expect(await labels([{ not: { field: 'tags', operator: 'contains', value: 'course:c1' } }])).toEqual([
      't2',
      't3',
      't4',
    ]);
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        select: ['tags'],
        where: [{ field: 'tags', operator: 'contains', value: 'course:c10' }],
      }),
    );
    expect(result.events).toEqual([{ tags: ['course:c10'] }]);
  });

  test('given a tagged eventId, when appended again, then the duplicate returns the stored tags', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('tags-idem');
    const params = { instanceId: inst.id, eventType: 'paid', eventId: 'pay-1', tags: ['order:o1'] };
    expectOk(await ctx.log.appendEvent(params));
    const again = expectOk(await ctx.log.appendEvent({ ...params, tags: ['order:other'] }));
    expect(again).toMatchObject({ duplicate: true, event: { tags: ['order:o1'] } });
  });

  test.each<[string, string, unknown]>([
    ['a string', 'tags', 'course:c1'],
    ['a number in the array', 'tags[1]', ['ok', 7]],
    ['an empty tag', 'tags[0]', ['']],
    ['a whitespace-only tag', 'tags[0]', [' ']],
    ['a tag with a control character', 'tags[0]', ['a\nb']],
    ['a 201-character tag', 'tags[0]', ['t'.repeat(201)]],
    ['a repeated tag', 'tags[1]', ['a', 'a']],
    ['33 tags', 'tags', Array.from({ length: 33 }, (_, i) => `t${i}`)],
    ['null', 'tags', null],
  ])(
    'given %s as tags, when appending, then VALIDATION_ERROR naming %s and nothing is written',
    async (_label, path, tags) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('tags-bad');
      await ctx.append(inst.id, [{ eventType: 'seed' }]);
      const before = await snapshot(ctx, inst.id);
      const log = loose(ctx.log);
      expectFailure(
        await log.appendEvent({ instanceId: inst.id, eventType: 't', tags }),
        'VALIDATION_ERROR',
        [path],
      );
      expectFailure(
        await log.appendEvents({
          instanceId: inst.id,
          events: [{ eventType: 'ok' }, { eventType: 't', tags }],
        }),
        'VALIDATION_ERROR',
        [`events[1].${path}`],
      );
      expect(await snapshot(ctx, inst.id)).toEqual(before);
    },
  );
}
