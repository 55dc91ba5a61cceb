/**
 * The adapter's key-value store (checkpoints and leases): get/put/delete/list, versions that
 * start at 1 and grow by one, compare-and-set conflicts, and namespaces kept apart.
 */

import { EventLogError, type JsonValue } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, useContext } from '../context.js';

/** Asserts that a promise rejects with an EventLogError of `code`. */
async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${code} rejection`).toBeDefined();
  expect(EventLogError.isInstance(caught), `expected an EventLogError, got ${String(caught)}`).toBe(true);
  expect((caught as EventLogError).code).toBe(code);
}

/** Registers the `kv` group. */
export function registerKvTests(holder: ContextHolder): void {
  test('given a missing key, then get returns undefined and delete returns false', async () => {
    const ctx = useContext(holder);
    const ns = ctx.uniqueName('ns');
    expect(await ctx.adapter.kv.get(ns, 'nope')).toBeUndefined();
    expect(await ctx.adapter.kv.delete(ns, 'nope')).toBe(false);
    expect(await ctx.adapter.kv.list(ns)).toEqual([]);
  });

  test('given puts, then versions start at 1 and grow by one, and values round-trip as JSON', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = ctx.uniqueName('ns');
    const value: JsonValue = {
      position: 42,
      nested: { list: [1, 'two', null, true] },
      text: '😀 \uFFFF "q"',
    };
    expect(await kv.put(ns, 'checkpoint', value)).toEqual({ value, version: 1 });
    expect(await kv.get(ns, 'checkpoint')).toEqual({ value, version: 1 });
    expect(await kv.put(ns, 'checkpoint', 43)).toEqual({ value: 43, version: 2 });
    expect(await kv.put(ns, 'checkpoint', null)).toEqual({ value: null, version: 3 });
    expect(await kv.get(ns, 'checkpoint')).toEqual({ value: null, version: 3 });
    expect(await kv.put(ns, 'checkpoint', 'text')).toEqual({ value: 'text', version: 4 });
  });

  test('given expectedVersion null, then put creates a missing key and conflicts with an existing one', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = ctx.uniqueName('ns');
    expect(await kv.put(ns, 'lease', { owner: 'a' }, { expectedVersion: null })).toEqual({
      value: { owner: 'a' },
      version: 1,
    });
    await expectCode(kv.put(ns, 'lease', { owner: 'b' }, { expectedVersion: null }), 'CONFLICT');
    expect(await kv.get(ns, 'lease')).toEqual({ value: { owner: 'a' }, version: 1 });
  });

  test('given an expectedVersion, then put succeeds on a match and conflicts on a stale or missing version', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = ctx.uniqueName('ns');
    await kv.put(ns, 'k', 'v1');
    await kv.put(ns, 'k', 'v2');
    expect(await kv.put(ns, 'k', 'v3', { expectedVersion: 2 })).toEqual({ value: 'v3', version: 3 });
    await expectCode(kv.put(ns, 'k', 'stale', { expectedVersion: 2 }), 'CONFLICT');
    await expectCode(kv.put(ns, 'k', 'ahead', { expectedVersion: 9 }), 'CONFLICT');
    await expectCode(kv.put(ns, 'missing', 'x', { expectedVersion: 1 }), 'CONFLICT');
    expect(await kv.get(ns, 'k')).toEqual({ value: 'v3', version: 3 });
    expect(await kv.get(ns, 'missing')).toBeUndefined();
  });

  test('given a key, then delete removes it; with a stale expectedVersion it conflicts and keeps it', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = ctx.uniqueName('ns');
    await kv.put(ns, 'a', 1);
    await kv.put(ns, 'a', 2);
    await expectCode(kv.delete(ns, 'a', { expectedVersion: 1 }), 'CONFLICT');
    expect(await kv.get(ns, 'a')).toEqual({ value: 2, version: 2 });
    expect(await kv.delete(ns, 'a', { expectedVersion: 2 })).toBe(true);
    expect(await kv.get(ns, 'a')).toBeUndefined();
    await kv.put(ns, 'b', 'x');
    expect(await kv.delete(ns, 'b')).toBe(true);
    expect(await kv.delete(ns, 'b')).toBe(false);
  });

  test('given keys in two namespaces, then list returns only the namespace keys with values and versions', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns1 = ctx.uniqueName('ns');
    const ns2 = ctx.uniqueName('ns');
    await kv.put(ns1, 'b', 2);
    await kv.put(ns1, 'a', 1);
    await kv.put(ns1, 'a', 11);
    await kv.put(ns2, 'a', 'other');
    const listed = (await kv.list(ns1)).sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(listed).toEqual([
      { key: 'a', value: 11, version: 2 },
      { key: 'b', value: 2, version: 1 },
    ]);
    expect(await kv.list(ns2)).toEqual([{ key: 'a', value: 'other', version: 1 }]);
    expect(await kv.get(ns2, 'b')).toBeUndefined();
  });

  test('given racing compare-and-set puts on a new key, then exactly one wins', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = ctx.uniqueName('ns');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => kv.put(ns, 'lease', { owner: i }, { expectedVersion: null })),
    );
    const wins = results.filter((r) => r.status === 'fulfilled');
    expect(wins).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(EventLogError.isInstance(r.reason) && r.reason.code).toBe('CONFLICT');
      }
    }
    const stored = await kv.get(ns, 'lease');
    expect(stored?.version).toBe(1);
    expect(stored?.value).toEqual((wins[0] as PromiseFulfilledResult<{ value: JsonValue }>).value.value);
  });

  test('given keys with awkward characters, then they are stored exactly', async () => {
    const ctx = useContext(holder);
    const kv = ctx.adapter.kv;
    const ns = `${ctx.uniqueName('ns')} 😀/%_\\`;
    const keys = ['a%b', 'a_b', 'a\\b', "it's", '😀', ' spaced '];
    for (const [i, key] of keys.entries()) await kv.put(ns, key, i);
    for (const [i, key] of keys.entries()) expect(await kv.get(ns, key)).toEqual({ value: i, version: 1 });
    expect((await kv.list(ns)).map((e) => e.key).sort()).toEqual([...keys].sort());
    expect(await kv.get(ns, 'a_')).toBeUndefined();
  });
}
