/**
 * The projection part of the live group: checkpoint and resume, caught-up, the lease (one
 * process at a time, takeover), reset, handler errors, exactly once with transactions, release.
 */

import type { EventRecord, JsonValue } from '@eventlog/core';
import { expect, test } from 'vitest';
import {
  append,
  freshName,
  instrument,
  type LiveGroupOptions,
  type LiveTestContext,
  newInstance,
  numbered,
  ok,
  sleep,
  waitUntil,
} from './live-harness.js';
import type { LiveProjection, LiveProjectionTestOptions } from './live-rx-api.js';

/** Lease timings short enough for tests. */
const LEASE = { ttlMs: 400, renewIntervalMs: 100, retryIntervalMs: 50 };

const CHECKPOINTS = 'eventlog.checkpoints';
const LEASES = 'eventlog.leases';

function ns(event: readonly EventRecord[]): number[] {
  return event.map((e) => (e.payload as { n: number }).n);
}

/** Registers the projection tests. */
export function registerProjectionTests(context: () => LiveTestContext, options: LiveGroupOptions): void {
  const { rx } = options;
  const running: LiveProjection[] = [];
  /** Creates a projection that is stopped at the end of the test. */
  const make = (opts: LiveProjectionTestOptions) => {
    const p = rx.projection({ lease: LEASE, ...opts });
    running.push(p);
    return p;
  };
  const stopAll = async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  };

  test('given events, when a projection starts, then caughtUp() resolves after the handler saw all of them in order, and the checkpoint is stored', async () => {
    const { log, adapter } = context();
    const inst = await newInstance(log, 'proj-basic');
    await append(log, inst.id, numbered(12));
    const seen: EventRecord[] = [];
    const name = freshName('basic');
    const p = make({ log, name, instance: inst.id, batchSize: 5, handler: (e) => void seen.push(e) });
    try {
      p.start();
      const position = await p.caughtUp();
      expect(ns(seen)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(position).toBe(seen.at(-1)?.global_position);
      expect(p.status).toMatchObject({ state: 'running', position });
      const stored = await adapter.kv.get(CHECKPOINTS, name);
      expect((stored?.value as { position?: JsonValue } | undefined)?.position).toBe(position);
      // Live: new events reach the handler, and caughtUp() waits for them.
      await append(log, inst.id, numbered(3, { from: 13 }));
      await p.caughtUp();
      expect(ns(seen)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    } finally {
      await stopAll();
    }
  });

  test('given a stopped projection, when another one with the same name starts, then it resumes after the checkpoint without repeating', async () => {
    const { log } = context();
    const inst = await newInstance(log, 'proj-resume');
    await append(log, inst.id, numbered(5));
    const name = freshName('resume');
    const first: number[] = [];
    const p1 = make({
      log,
      name,
      instance: inst.id,
      handler: (e) => void first.push((e.payload as { n: number }).n),
    });
    p1.start();
    await p1.caughtUp();
    await p1.stop();
    expect(p1.status.state).toBe('stopped');
    await append(log, inst.id, numbered(3, { from: 6 }));
    const second: number[] = [];
    const p2 = make({
      log,
      name,
      instance: inst.id,
      handler: (e) => void second.push((e.payload as { n: number }).n),
    });
    try {
      p2.start();
      await p2.caughtUp();
      expect(first).toEqual([1, 2, 3, 4, 5]);
      expect(second).toEqual([6, 7, 8]);
    } finally {
      await stopAll();
    }
  });

  test('given filters, when caughtUp() is awaited after non-matching commits, then it resolves (it scans past them)', async () => {
    const { log } = context();
    const inst = await newInstance(log, 'proj-filter');
    await append(log, inst.id, [...numbered(2, { type: 'keep' }), ...numbered(3, { type: 'skip', from: 3 })]);
    const seen: number[] = [];
    const p = make({
      log,
      name: freshName('filter'),
      instance: inst.id,
      where: [{ field: 'event_type', operator: 'eq', value: 'keep' }],
      handler: (e) => void seen.push((e.payload as { n: number }).n),
    });
    try {
      p.start();
      await p.caughtUp();
      await append(log, inst.id, numbered(4, { type: 'skip', from: 6 }));
      await p.caughtUp();
      expect(seen).toEqual([1, 2]);
    } finally {
      await stopAll();
    }
  });

  test('given two projections with one name, then only one runs; when it stops, the other takes over from its checkpoint', async () => {
    const { log } = context();
    const inst = await newInstance(log, 'proj-lease');
    await append(log, inst.id, numbered(4));
    const name = freshName('lease');
    const handled: Array<{ by: string; n: number }> = [];
    const handler = (by: string) => (e: EventRecord) =>
      void handled.push({ by, n: (e.payload as { n: number }).n });
    const a = make({ log, name, instance: inst.id, handler: handler('a') });
    const b = make({ log, name, instance: inst.id, handler: handler('b') });
    try {
      a.start();
      await a.caughtUp();
      b.start();
      await waitUntil(() => b.status.state === 'standby', 2000, 'b to stand by');
      await append(log, inst.id, numbered(2, { from: 5 }));
      // Longer than the lease's ttl: the holder keeps renewing, so the standby never takes over.
      await sleep(LEASE.ttlMs * 2);
      await a.caughtUp();
      expect(a.status.state).toBe('running');
      expect(b.status.state).toBe('standby');
      await a.stop();
      await waitUntil(() => b.status.state === 'running', 3000, 'b to take over');
      await append(log, inst.id, numbered(2, { from: 7 }));
      await b.caughtUp();
      expect(handled.map((h) => h.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(handled.filter((h) => h.by === 'a').map((h) => h.n)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(handled.filter((h) => h.by === 'b').map((h) => h.n)).toEqual([7, 8]);
    } finally {
      await stopAll();
    }
  });

  test('given a lease held by a process that died (never renews), then a projection takes over after the ttl', async () => {
    const { log, adapter } = context();
    const inst = await newInstance(log, 'proj-takeover');
    await append(log, inst.id, numbered(3));
    const name = freshName('takeover');
    await adapter.kv.put(
      LEASES,
      name,
      { owner: 'dead-process', ttlMs: LEASE.ttlMs, renewedAt: new Date().toISOString() },
      { expectedVersion: null },
    );
    const seen: number[] = [];
    const p = make({
      log,
      name,
      instance: inst.id,
      handler: (e) => void seen.push((e.payload as { n: number }).n),
    });
    try {
      p.start();
      await waitUntil(() => p.status.state === 'standby', 2000, 'standby behind the dead holder');
      await sleep(LEASE.ttlMs / 2);
      // Not before the ttl has passed since it first saw the lease.
      expect(p.status.state).toBe('standby');
      expect(seen).toEqual([]);
      await waitUntil(() => p.status.state === 'running', LEASE.ttlMs * 5, 'the takeover');
      await p.caughtUp();
      expect(seen).toEqual([1, 2, 3]);
      const lease = await adapter.kv.get(LEASES, name);
      expect((lease?.value as { owner?: string } | undefined)?.owner).not.toBe('dead-process');
    } finally {
      await stopAll();
    }
  });

  test('given a projection that processed events, when reset, then onReset runs and it rebuilds from the start', async () => {
    const { log, adapter } = context();
    const inst = await newInstance(log, 'proj-reset');
    await append(log, inst.id, numbered(4));
    const name = freshName('reset');
    let model: number[] = [];
    let resets = 0;
    const p = make({
      log,
      name,
      instance: inst.id,
      handler: (e) => void model.push((e.payload as { n: number }).n),
      onReset: () => {
        resets++;
        model = [];
      },
    });
    try {
      p.start();
      await p.caughtUp();
      expect(model).toEqual([1, 2, 3, 4]);
      await p.reset();
      expect(resets).toBe(1);
      await p.caughtUp();
      expect(model).toEqual([1, 2, 3, 4]);
      // Reset of a stopped projection clears the checkpoint; the next start rebuilds.
      await p.stop();
      await p.reset();
      expect(await adapter.kv.get(CHECKPOINTS, name)).toBeUndefined();
      expect(p.status.state).toBe('stopped');
      p.start();
      await p.caughtUp();
      expect(resets).toBe(2);
      expect(model).toEqual([1, 2, 3, 4]);
    } finally {
      await stopAll();
    }
  });

  test('given a running projection, when another process resets it, then the running one notices the moved checkpoint and rebuilds', async () => {
    const { log } = context();
    const inst = await newInstance(log, 'proj-remote-reset');
    await append(log, inst.id, numbered(3));
    const name = freshName('remote-reset');
    const seen: number[] = [];
    const a = make({
      log,
      name,
      instance: inst.id,
      handler: (e) => void seen.push((e.payload as { n: number }).n),
    });
    const other = make({ log, name, instance: inst.id, handler: () => {} });
    try {
      a.start();
      await a.caughtUp();
      expect(seen).toEqual([1, 2, 3]);
      await other.reset();
      await append(log, inst.id, numbered(1, { from: 4 }));
      await waitUntil(() => seen.length >= 7, 3000, 'the rebuild');
      await a.caughtUp();
      expect(seen).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    } finally {
      await stopAll();
    }
  });

  test('given a handler that throws, then the projection fails at that event, reports it, skips nothing, and resumes there after start()', async () => {
    const { log } = context();
    const inst = await newInstance(log, 'proj-error');
    await append(log, inst.id, numbered(6));
    const seen: number[] = [];
    let broken = true;
    const errors: Array<Error & { event?: EventRecord }> = [];
    const p = make({
      log,
      name: freshName('error'),
      instance: inst.id,
      transactional: false,
      handler: (e) => {
        const n = (e.payload as { n: number }).n;
        if (broken && n === 3) throw new Error('boom at 3');
        seen.push(n);
      },
    });
    const sub = p.errors$.subscribe({ next: (e) => void errors.push(e) });
    try {
      p.start();
      await expect(p.caughtUp()).rejects.toThrow(/boom at 3/);
      expect(p.status.state).toBe('failed');
      expect(seen).toEqual([1, 2]);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toMatch(/boom at 3/);
      expect((errors[0]?.event?.payload as { n?: number } | undefined)?.n).toBe(3);
      await sleep(50);
      expect(seen).toEqual([1, 2]);
      broken = false;
      p.start();
      await p.caughtUp();
      expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      sub.unsubscribe();
      await stopAll();
    }
  });

  test('given a transactional projection writing its read model through context.kv, when a batch fails midway, then the batch rolls back with its checkpoint: exactly once', async () => {
    const { log, adapter } = context();
    if (typeof adapter.transaction !== 'function') {
      expect(() =>
        rx.projection({ log, name: freshName('tx'), instance: 'x', transactional: true, handler: () => {} }),
      ).toThrow(/transaction/);
      return;
    }
    const inst = await newInstance(log, 'proj-tx');
    await append(log, inst.id, numbered(12));
    const model = freshName('model');
    let failAt: number | undefined = 8;
    const p = make({
      log,
      name: freshName('tx'),
      instance: inst.id,
      batchSize: 5,
      handler: async (e, { kv, transactional }) => {
        expect(transactional).toBe(true);
        const n = (e.payload as { n: number }).n;
        const current = await kv.get(model, 'count');
        await kv.put(model, 'count', ((current?.value as number | undefined) ?? 0) + 1);
        if (n === failAt) throw new Error(`fail at ${n}`);
      },
    });
    try {
      p.start();
      await expect(p.caughtUp()).rejects.toThrow(/fail at 8/);
      // Batch 1 (1–5) committed; batch 2 (6–10) rolled back with its count increments.
      expect((await adapter.kv.get(model, 'count'))?.value).toBe(5);
      expect(p.status.position).toBeGreaterThan(0);
      failAt = undefined;
      p.start();
      await p.caughtUp();
      expect((await adapter.kv.get(model, 'count'))?.value).toBe(12);
    } finally {
      await stopAll();
    }
  });

  test('given a running projection, when stopped, then its watcher and lease are released', async () => {
    const { adapter } = context();
    const probe = instrument(adapter);
    const inst = await newInstance(probe.log, 'proj-release');
    await append(probe.log, inst.id, numbered(2));
    const name = freshName('release');
    const p = make({ log: probe.log, name, instance: inst.id, handler: () => {} });
    p.start();
    await p.caughtUp();
    expect(probe.counters.watchers).toBe(1);
    await p.stop();
    expect(probe.counters.watchers).toBe(0);
    expect(await adapter.kv.get(LEASES, name)).toBeUndefined();
    const reads = probe.counters.readAfter;
    await append(probe.log, inst.id, numbered(2));
    await sleep(100);
    expect(probe.counters.readAfter).toBe(reads);
    expect(p.status.state).toBe('stopped');
    await expect(p.caughtUp()).rejects.toThrow(/stopped/);
    await stopAll();
  });

  test('given a projection, when its instance is deleted, then it completes', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'proj-delete');
    await append(log, inst.id, numbered(2));
    const p = make({ log, name: freshName('delete'), instance: inst.id, handler: () => {} });
    try {
      p.start();
      await p.caughtUp();
      ok(await log.deleteInstance(inst.id));
      await waitUntil(() => p.status.state === 'completed', signalTimeoutMs + 1000, 'completion');
    } finally {
      await stopAll();
    }
  });
}
