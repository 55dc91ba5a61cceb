/**
 * `transaction` (exactly-once read models): key-value writes inside the callback commit with it,
 * and roll back when it throws. Runs only when the adapter declares `capabilities.transactions`;
 * otherwise each test is skipped with that reason in the report.
 */

import { hasCapability, type StorageAdapter } from '@eventlog/core';
import { expect, type TestContext, test } from 'vitest';
import { type ContextHolder, useContext } from '../context.js';

type Transactional = Required<Pick<StorageAdapter, 'transaction'>> & StorageAdapter;

/** The adapter when it declares transactions; otherwise the test is skipped, saying why. */
function transactional(holder: ContextHolder, t: TestContext): Transactional {
  const { adapter, options } = useContext(holder);
  if (!hasCapability(adapter, 'transactions')) {
    t.skip(`adapter "${options.name}" declares capabilities.transactions = false`);
  }
  expect(typeof adapter.transaction, 'capabilities.transactions is true, so transaction() must exist').toBe(
    'function',
  );
  return adapter as Transactional;
}

/** Registers the `transaction` group. */
export function registerTransactionTests(holder: ContextHolder): void {
  test('given a transaction that returns, then its kv writes are visible afterwards and its value is returned', async (t) => {
    const adapter = transactional(holder, t);
    const ns = useContext(holder).uniqueName('tx');
    const result = await adapter.transaction(async (tx) => {
      await tx.kv.put(ns, 'checkpoint', 10);
      expect(await tx.kv.get(ns, 'checkpoint')).toEqual({ value: 10, version: 1 });
      await tx.kv.put(ns, 'checkpoint', 11);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await adapter.kv.get(ns, 'checkpoint')).toEqual({ value: 11, version: 2 });
  });

  test('given a transaction that throws, then its kv writes roll back and the error propagates', async (t) => {
    const adapter = transactional(holder, t);
    const ns = useContext(holder).uniqueName('tx');
    await adapter.kv.put(ns, 'existing', 'before');
    const failure = new Error('projection handler failed');
    await expect(
      adapter.transaction(async (tx) => {
        await tx.kv.put(ns, 'existing', 'after');
        await tx.kv.put(ns, 'created', 1);
        await tx.kv.delete(ns, 'existing');
        throw failure;
      }),
    ).rejects.toThrow('projection handler failed');
    expect(await adapter.kv.get(ns, 'existing')).toEqual({ value: 'before', version: 1 });
    expect(await adapter.kv.get(ns, 'created')).toBeUndefined();
  });

  test('given a compare-and-set conflict inside a transaction, then nothing of it commits', async (t) => {
    const adapter = transactional(holder, t);
    const ns = useContext(holder).uniqueName('tx');
    await adapter.kv.put(ns, 'lease', 'held');
    await expect(
      adapter.transaction(async (tx) => {
        await tx.kv.put(ns, 'progress', 5);
        await tx.kv.put(ns, 'lease', 'mine', { expectedVersion: null });
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await adapter.kv.get(ns, 'progress')).toBeUndefined();
    expect(await adapter.kv.get(ns, 'lease')).toEqual({ value: 'held', version: 1 });
  });
}
