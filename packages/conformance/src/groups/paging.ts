/**
 * `limit`, `offset` and `total` (SPEC §4): defaults, echoes, pages, and `total` ignoring paging.
 */

import type { NewEventInput, Query } from '@eventlog/core';
import { beforeAll, expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, useContext } from '../context.js';
import { type Fixture, labels, seedFixture } from '../fixtures.js';

const PAGE_EVENTS: NewEventInput[] = Array.from({ length: 12 }, (_, i) => ({
  eventType: i % 3 === 0 ? 'fizz' : 'plain',
  payload: { label: `p${i + 1}` },
}));
const ALL = PAGE_EVENTS.map((e) => String(e.payload?.label));

/** Registers the `paging` group. */
export function registerPagingTests(holder: ContextHolder): void {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await seedFixture(useContext(holder), 'paging', PAGE_EVENTS);
  });

  const run = async (query: Omit<Query, 'from'>) => {
    const ctx = useContext(holder);
    return expectOk(await ctx.log.queryEvents({ from: { instance: fixture!.instance.id }, ...query })).result;
  };

  test.each([
    [0, 5, ALL.slice(0, 5)],
    [5, 5, ALL.slice(5, 10)],
    [10, 5, ALL.slice(10)],
    [12, 5, []],
    [50, 5, []],
  ])(
    'given 12 events, when reading offset %i limit %i, then the page is a slice and total stays 12',
    async (offset, limit, expected) => {
      const result = await run({ offset, limit });
      expect(labels(result.events)).toEqual(expected);
      expect(result).toMatchObject({ total: 12, limit, offset });
    },
  );

  test('given no limit or offset, then the defaults are echoed', async () => {
    const ctx = useContext(holder);
    const result = await run({});
    expect(result).toMatchObject({ total: 12, limit: ctx.limits.defaultQueryLimit, offset: 0 });
    expect(labels(result.events)).toEqual(ALL.slice(0, ctx.limits.defaultQueryLimit));
  });

  test('given limit 0, then no events and the full total', async () => {
    const result = await run({ limit: 0 });
    expect(result.events).toEqual([]);
    expect(result).toMatchObject({ total: 12, limit: 0, offset: 0 });
  });

  test('given an offset only, then the default limit applies from there', async () => {
    const ctx = useContext(holder);
    const result = await run({ offset: 9 });
    expect(labels(result.events)).toEqual(ALL.slice(9, 9 + ctx.limits.defaultQueryLimit));
    expect(result.offset).toBe(9);
  });

  test('given a filter, then total counts all matches, not the page', async () => {
    const result = await run({
      where: [{ field: 'event_type', operator: 'eq', value: 'fizz' }],
      limit: 2,
      offset: 1,
    });
    expect(labels(result.events)).toEqual(['p4', 'p7']);
    expect(result.total).toBe(4);
  });

  test('given more events than the default limit, when reading without a limit, then exactly the default limit comes back', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('paging-default');
    const n = ctx.limits.defaultQueryLimit + 3;
    await ctx.append(
      inst.id,
      Array.from({ length: n }, (_, i) => ({ eventType: 'e', payload: { i } })),
    );
    const { result } = expectOk(await ctx.log.queryEvents({ from: { instance: inst.id } }));
    expect(result.events).toHaveLength(ctx.limits.defaultQueryLimit);
    expect(result.total).toBe(n);
    expect(result.events?.[0]?.payload).toEqual({ i: 0 });
  });

  test('given a configured default limit, when reading without a limit, then it applies', async () => {
    const ctx = useContext(holder);
    const { result } = expectOk(await ctx.tight.queryEvents({ from: { instance: fixture!.instance.id } }));
    expect(result.events).toHaveLength(7);
    expect(result).toMatchObject({ total: 12, limit: 7, offset: 0 });
  });

  test('given the maximum limit, then it is accepted; one more is LIMIT_EXCEEDED naming limit', async () => {
    const ctx = useContext(holder);
    const max = ctx.limits.maxQueryLimit;
    const ok = await run({ limit: max });
    expect(ok).toMatchObject({ total: 12, limit: max });
    expectFailure(
      await ctx.log.queryEvents({ from: { instance: fixture!.instance.id }, limit: max + 1 }),
      'LIMIT_EXCEEDED',
      ['limit'],
    );
    const tightMax = ctx.tight.store.limits.maxQueryLimit;
    expectOk(await ctx.tight.queryEvents({ from: { instance: fixture!.instance.id }, limit: tightMax }));
    expectFailure(
      await ctx.tight.queryEvents({ from: { instance: fixture!.instance.id }, limit: tightMax + 1 }),
      'LIMIT_EXCEEDED',
      ['limit'],
    );
  });

  test('given consecutive pages, when concatenated, then they give every event once in order', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 12; offset += 5) {
      seen.push(...labels((await run({ offset, limit: 5 })).events));
    }
    expect(seen).toEqual(ALL);
  });
}
