import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, it } from 'vitest';
import { LEASE_NAMESPACE, ProjectionLease } from './projection-lease.js';

function setup() {
  const kv = memoryAdapter().kv;
  const clock = { a: 0, b: 0 };
  const a = new ProjectionLease({ kv, name: 'p', owner: 'a', ttlMs: 1000, now: () => clock.a });
  const b = new ProjectionLease({ kv, name: 'p', owner: 'b', ttlMs: 1000, now: () => clock.b });
  return { kv, clock, a, b };
}

describe('ProjectionLease', () => {
  it('given a free lease, when a takes it, then b waits a full ttl by its own clock after it last saw a change', async () => {
    const { kv, clock, a, b } = setup();
    expect(await a.tryAcquire()).toBe(true);
    expect(a.held).toBe(true);
    expect((await kv.get(LEASE_NAMESPACE, 'p'))?.value).toMatchObject({ owner: 'a', ttlMs: 1000 });
    // b's clock is far ahead of a's: wall-clock differences do not matter, only elapsed time.
    clock.b = 1_000_000;
    expect(await b.tryAcquire()).toBe(false);
    clock.b += 999;
    expect(await b.tryAcquire()).toBe(false);
    clock.b += 1;
    expect(await b.tryAcquire()).toBe(true);
    expect(b.held).toBe(true);
    // a finds out at its next renewal.
    expect(await a.renew()).toBe(false);
    expect(a.held).toBe(false);
  });

  it('given a holder that renews, then the contender never takes over', async () => {
    const { clock, a, b } = setup();
    await a.tryAcquire();
    for (let i = 0; i < 10; i++) {
      expect(await b.tryAcquire()).toBe(false);
      clock.a += 400;
      clock.b += 400;
      expect(await a.renew()).toBe(true);
    }
    expect(a.held).toBe(true);
    expect(b.held).toBe(false);
  });

  it('given a holder whose renewals fail, then it considers the lease gone after ttl by its own clock', async () => {
    const { clock, a } = setup();
    await a.tryAcquire();
    clock.a += 999;
    expect(a.held).toBe(true);
    clock.a += 1;
    expect(a.held).toBe(false);
  });

  it('given a released lease, then the contender takes it at once; an owner re-acquires its own', async () => {
    const { kv, a, b } = setup();
    await a.tryAcquire();
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(await kv.get(LEASE_NAMESPACE, 'p')).toBeUndefined();
    expect(await b.tryAcquire()).toBe(true);
    const again = new ProjectionLease({ kv, name: 'p', owner: 'b', ttlMs: 1000, now: () => 0 });
    expect(await again.tryAcquire()).toBe(true);
  });

  it('given two contenders racing for a free lease, then exactly one gets it', async () => {
    const { a, b } = setup();
    const results = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
