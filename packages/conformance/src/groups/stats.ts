/**
 * `getInstanceStats` (SPEC §3): counts, event types, distinct streams, first/last by timestamp.
 */

import { expect, test } from 'vitest';
import { type ContextHolder, expectOk, useContext } from '../context.js';

/** Registers the `stats` group. */
export function registerStatsTests(holder: ContextHolder): void {
  test('given an empty instance, then zero counts, no event types and null first/last', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stats-empty');
    const stats = expectOk(await ctx.log.getInstanceStats(inst.id));
    expect(stats).toEqual({
      instanceId: inst.id,
      name: inst.name,
      eventCount: 0,
      streamCount: 0,
      eventTypes: {},
      firstEventAt: null,
      lastEventAt: null,
      createdAt: inst.createdAt,
      updatedAt: inst.updatedAt,
    });
  });

  test('given events appended out of time order, then first/last are the smallest and largest timestamps', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stats');
    await ctx.append(inst.id, [
      { streamId: 'a', eventType: 'login', timestamp: '2024-05-01T00:00:00Z' },
      { streamId: 'b', eventType: 'login', timestamp: '2023-01-01T00:00:00+05:00' },
      { streamId: 'a', eventType: 'logout', timestamp: '2025-01-01T00:00:00Z' },
      { streamId: 'c', eventType: 'view', timestamp: 1_704_067_200_000 },
      { streamId: 'a', eventType: 'login', timestamp: '2024-01-01T00:00:00.001Z' },
    ]);
    const stats = expectOk(await ctx.log.getInstanceStats(inst.name));
    expect(stats).toEqual({
      instanceId: inst.id,
      name: inst.name,
      eventCount: 5,
      streamCount: 3,
      eventTypes: { login: 3, logout: 1, view: 1 },
      firstEventAt: '2022-12-31T19:00:00.000Z',
      lastEventAt: '2025-01-01T00:00:00.000Z',
      createdAt: inst.createdAt,
      updatedAt: inst.updatedAt,
    });
  });

  test('given a renamed instance, then stats show the new name and updatedAt', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stats-rename');
    const renamed = expectOk(
      await ctx.log.updateInstance(inst.id, { name: ctx.uniqueName('stats-renamed') }),
    ).instance;
    const stats = expectOk(await ctx.log.getInstanceStats(inst.id));
    expect(stats).toMatchObject({
      name: renamed.name,
      updatedAt: renamed.updatedAt,
      createdAt: inst.createdAt,
    });
  });

  test('given event types and streams differing only in case, then they count separately', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stats-case');
    await ctx.append(inst.id, [
      { streamId: 'S', eventType: 'Login' },
      { streamId: 's', eventType: 'login' },
      { streamId: 's ', eventType: 'login' },
    ]);
    const stats = await ctx.stats(inst.id);
    expect(stats.streamCount).toBe(3);
    expect(stats.eventTypes).toEqual({ Login: 1, login: 2 });
  });

  test('given a duplicate and a rejected append, then stats count only stored events', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('stats-dup');
    await ctx.append(inst.id, [{ eventType: 'a', eventId: 'x' }]);
    expectOk(await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'b', eventId: 'x' }));
    await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'c', expectedVersion: 5 });
    const stats = await ctx.stats(inst.id);
    expect(stats).toMatchObject({ eventCount: 1, streamCount: 1, eventTypes: { a: 1 } });
  });
}
