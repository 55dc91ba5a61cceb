import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, test } from 'vitest';
import { describeAdapter } from './describe-adapter.js';

describe('describeAdapter options', () => {
  test('given an unknown group in disable, then it throws naming the group', () => {
    expect(() =>
      describeAdapter({
        name: 'x',
        create: () => memoryAdapter(),
        disable: { transactions: 'typo' } as never,
      }),
    ).toThrow(/unknown group "transactions"/);
  });

  test('given a disabled group without a reason, then it throws', () => {
    expect(() => describeAdapter({ name: 'x', create: () => memoryAdapter(), disable: { kv: ' ' } })).toThrow(
      /needs a reason/,
    );
  });
});
