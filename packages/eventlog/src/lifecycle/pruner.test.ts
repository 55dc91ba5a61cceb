import { createEventLog } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, it } from 'vitest';
import { cutoffOption } from '../cli/commands/archive-command.js';
import { parseDuration, startPruner } from './pruner.js';
import { pruneIntervalOption } from './serve-pruner.js';

describe('startPruner', () => {
  it('given expired events, when the interval passes, then they are pruned, one run at a time, until stopped', async () => {
    const clock = { ms: Date.UTC(2024, 0, 1) };
    const log = createEventLog({ adapter: memoryAdapter(), now: () => clock.ms });
    await log.store.createInstance('metrics');
    await log.store.appendEvents({
      instanceId: 'metrics',
      events: Array.from({ length: 5 }, (_, i) => ({
        eventType: 'tick',
        timestamp: clock.ms - (5 - i) * 60_000,
      })),
    });
    await log.store.setRetention({ instanceId: 'metrics', maxAgeMs: 150_000 });
    const pruned: number[] = [];
    const pruner = startPruner(log, { intervalMs: 20, onPruned: (r) => pruned.push(r.deletedEvents) });
    expect(pruner.active).toBe(true);
    await expect.poll(() => pruned, { timeout: 2000 }).toEqual([3]);
    clock.ms += 60_000;
    await expect.poll(() => pruned, { timeout: 2000 }).toEqual([3, 1]);
    await pruner.stop();
    expect(await pruner.runOnce()).toBeUndefined();
    await log.close();
  });

  it('given an adapter without lifecycle, then the pruner is inactive', async () => {
    const base = memoryAdapter();
    const adapter = new Proxy(base, {
      get: (target, key, receiver) => (key === 'capabilities' ? {} : Reflect.get(target, key, receiver)),
    });
    const log = createEventLog({ adapter });
    const pruner = startPruner(log, { intervalMs: 10 });
    expect(pruner.active).toBe(false);
    expect(await pruner.runOnce()).toBeUndefined();
    await pruner.stop();
    await log.close();
  });
});

describe('durations and cutoffs', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['45s', 45_000],
    ['10m', 600_000],
    ['1.5h', 5_400_000],
    ['90d', 7_776_000_000],
    ['2w', 1_209_600_000],
  ])('given %s, then it is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('given bad durations and cutoffs, then they are refused; ages count back from now', () => {
    for (const bad of ['', 'ten', '-5s', '5y', '1e3']) expect(parseDuration(bad)).toBeUndefined();
    expect(pruneIntervalOption('off')).toBeUndefined();
    expect(pruneIntervalOption('1h')).toBe(3_600_000);
    expect(() => pruneIntervalOption('10ms')).toThrow(/at least 1s/);
    const now = Date.UTC(2024, 6, 1);
    expect(cutoffOption('30d', now)).toBe('2024-06-01T00:00:00.000Z');
    expect(cutoffOption('2024-01-01T01:00:00+01:00', now)).toBe('2024-01-01T00:00:00.000Z');
    expect(cutoffOption(String(now), now)).toBe('2024-07-01T00:00:00.000Z');
    expect(() => cutoffOption('last year', now)).toThrow(/--before must be/);
  });
});
