import { EventLogError } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { AppendCoalescer, type GroupRunner, type Pending } from './append-coalescer.js';

interface Req {
  id: number;
  weight?: number;
  fail?: boolean;
  defer?: boolean;
}

/** A runner that records its groups and settles each call with its id (or an error). */
function recordingRunner(options: { delayMs?: number } = {}) {
  const groups: Array<{ lane: string; ids: number[] }> = [];
  const deferredOnce = new Set<number>();
  const run: GroupRunner<Req, number> = async (lane, group) => {
    groups.push({ lane, ids: group.map((p) => p.request.id) });
    await new Promise((r) => setTimeout(r, options.delayMs ?? 5));
    const deferred: Array<Pending<Req, number>> = [];
    for (const p of group) {
      if (p.request.defer && !deferredOnce.has(p.request.id)) {
        deferredOnce.add(p.request.id);
        deferred.push(p);
      } else if (p.request.fail) p.reject(new Error(`call ${p.request.id} failed`));
      else p.resolve(p.request.id);
    }
    return deferred;
  };
  return { groups, run };
}

function coalescer(run: GroupRunner<Req, number>, enabled = true, maxWeight = 100) {
  return new AppendCoalescer<Req, number>(run, { enabled, maxWeight, weight: (r) => r.weight ?? 1 });
}

describe('AppendCoalescer', () => {
  it('given a lone call, when submitted, then it runs at once in a group of its own', async () => {
    const { groups, run } = recordingRunner();
    const c = coalescer(run);
    await expect(c.submit('a', { id: 1 })).resolves.toBe(1);
    expect(groups).toEqual([{ lane: 'a', ids: [1] }]);
  });

  it('given 16 concurrent calls on one lane, when submitted, then they share about two groups', async () => {
    const { groups, run } = recordingRunner();
    const c = coalescer(run);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => c.submit('a', { id: i })));
    expect(results).toEqual(Array.from({ length: 16 }, (_, i) => i));
    // Calls made in the same tick as the first join its group.
    expect(groups.length).toBeLessThanOrEqual(2);
    expect(groups.flatMap((g) => g.ids).sort((x, y) => x - y)).toEqual(results);
  });

  it('given calls arriving while a group runs, when it ends, then they go together in the next group', async () => {
    const { groups, run } = recordingRunner({ delayMs: 20 });
    const c = coalescer(run);
    const first = c.submit('a', { id: 0 });
    await new Promise((r) => setTimeout(r, 5));
    const later = Array.from({ length: 5 }, (_, i) => c.submit('a', { id: i + 1 }));
    await Promise.all([first, ...later]);
    expect(groups.map((g) => g.ids)).toEqual([[0], [1, 2, 3, 4, 5]]);
  });

  it('given two lanes, when called concurrently, then each lane has its own groups and they run in parallel', async () => {
    let active = 0;
    let most = 0;
    const lanes: string[] = [];
    const c = coalescer(async (lane, group) => {
      lanes.push(lane);
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      for (const p of group) p.resolve(p.request.id);
      return [];
    });
    await Promise.all([c.submit('a', { id: 1 }), c.submit('b', { id: 2 })]);
    expect(most).toBe(2);
    expect(lanes.sort()).toEqual(['a', 'b']);
  });

  it('given one failing call in a group, when the group runs, then only that call rejects', async () => {
    const { run } = recordingRunner();
    const c = coalescer(run);
    const outcomes = await Promise.allSettled([
      c.submit('a', { id: 1 }),
      c.submit('a', { id: 2, fail: true }),
      c.submit('a', { id: 3 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('given a runner that throws, when a group runs, then every call of the group rejects with the error', async () => {
    const c = coalescer(async () => {
      throw new Error('database down');
    });
    const outcomes = await Promise.allSettled([c.submit('a', { id: 1 }), c.submit('a', { id: 2 })]);
    expect(outcomes.every((o) => o.status === 'rejected' && /database down/.test(String(o.reason)))).toBe(
      true,
    );
  });

  it('given a deferred call, when its group ends, then it runs first in the next group', async () => {
    const { groups, run } = recordingRunner();
    const c = coalescer(run);
    const results = await Promise.all([c.submit('a', { id: 1 }), c.submit('a', { id: 2, defer: true })]);
    expect(results).toEqual([1, 2]);
    expect(groups.map((g) => g.ids)).toEqual([[1, 2], [2]]);
  });

  it('given a weight cap, when heavy calls queue, then groups stay under it but a heavier call still runs alone', async () => {
    const { groups, run } = recordingRunner();
    const c = coalescer(run, true, 10);
    await Promise.all([
      c.submit('a', { id: 1, weight: 6 }),
      c.submit('a', { id: 2, weight: 6 }),
      c.submit('a', { id: 3, weight: 25 }),
      c.submit('a', { id: 4, weight: 4 }),
    ]);
    expect(groups.map((g) => g.ids)).toEqual([[1], [2], [3], [4]]);
  });

  it('given coalescing disabled, when calls are concurrent, then each runs in its own group', async () => {
    const { groups, run } = recordingRunner();
    const c = coalescer(run, false);
    await Promise.all([c.submit('a', { id: 1 }), c.submit('a', { id: 2 }), c.submit('a', { id: 3 })]);
    expect(groups.map((g) => g.ids)).toEqual([[1], [2], [3]]);
  });

  it('given queued calls, when closed, then they finish and later calls are refused with STORAGE_ERROR', async () => {
    const { run } = recordingRunner({ delayMs: 10 });
    const c = coalescer(run);
    const pending = [c.submit('a', { id: 1 }), c.submit('a', { id: 2 })];
    await c.close();
    await expect(Promise.all(pending)).resolves.toEqual([1, 2]);
    const refused = await c.submit('a', { id: 3 }).catch((e: unknown) => e);
    expect(EventLogError.isInstance(refused) && refused.code).toBe('STORAGE_ERROR');
  });
});
