import { createEventLog, EventLogError, type KeyValueStore, type StorageAdapter } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_NAMESPACE,
  type ProjectionError,
  type ProjectionState,
  projection,
} from './projection.js';

async function seeded(count: number, adapter: StorageAdapter = memoryAdapter()) {
  const log = createEventLog({ adapter });
  const { id } = await log.store.createInstance(`p-${Math.random().toString(36).slice(2)}`);
  await log.store.appendEvents({
    instanceId: id,
    events: Array.from({ length: count }, (_, i) => ({ eventType: 't', payload: { n: i + 1 } })),
  });
  return { adapter, log, id };
}

const LEASE = { ttlMs: 400, renewIntervalMs: 100, retryIntervalMs: 20 };

describe('projection', () => {
  it('given stop() while the handler is busy, then no handler runs after stop() resolves, and a transactional batch is redone after start()', async () => {
    const { log, id, adapter } = await seeded(6);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: number[] = [];
    let block = true;
    const p = projection({
      log,
      name: 'busy',
      instance: id,
      batchSize: 3,
      lease: LEASE,
      handler: async (e) => {
        const n = (e.payload as { n: number }).n;
        calls.push(n);
        if (n === 5 && block) await gate;
      },
    });
    p.start();
    await expect.poll(() => calls.includes(5)).toBe(true);
    const stopped = p.stop();
    release();
    await stopped;
    const afterStop = calls.length;
    expect(calls).toEqual([1, 2, 3, 4, 5]);
    // The interrupted batch (4–6) rolled back: the checkpoint is after 3.
    const checkpoint = await adapter.kv.get(CHECKPOINT_NAMESPACE, 'busy');
    expect((checkpoint?.value as { position?: number } | undefined)?.position).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(afterStop);
    block = false;
    p.start();
    await p.caughtUp();
    expect(calls).toEqual([1, 2, 3, 4, 5, 4, 5, 6]);
    await p.stop();
    await log.close();
  });

  it('given a non-transactional projection, then the context says so and the checkpoint follows each handled event of a stopped batch', async () => {
    const { log, id, adapter } = await seeded(4);
    const contexts: Array<{ transactional: boolean; driver: unknown }> = [];
    const p = projection({
      log,
      name: 'plain',
      instance: id,
      transactional: false,
      lease: LEASE,
      handler: (_e, context) => {
        contexts.push({ transactional: context.transactional, driver: context.driver });
      },
    });
    p.start();
    expect(await p.caughtUp()).toBe(await log.store.headPosition(id));
    expect(contexts).toHaveLength(4);
    expect(contexts.every((c) => c.transactional === false && c.driver === undefined)).toBe(true);
    expect(
      ((await adapter.kv.get(CHECKPOINT_NAMESPACE, 'plain'))?.value as { position?: number } | undefined)
        ?.position,
    ).toBe(p.status.position);
    await p.stop();
    await log.close();
  });

  it('given a storage error while loading the checkpoint, then it reports it as retrying and carries on', async () => {
    const base = memoryAdapter();
    let failures = 1;
    const kv: KeyValueStore = {
      ...base.kv,
      get: async (namespace, key) => {
        if (namespace === CHECKPOINT_NAMESPACE && failures-- > 0) {
          throw new EventLogError('STORAGE_ERROR', 'database restarting');
        }
        return base.kv.get(namespace, key);
      },
    };
    const adapter = new Proxy(base, {
      get: (target, property) => {
        if (property === 'kv') return kv;
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { log, id } = await seeded(2, adapter);
    const errors: ProjectionError[] = [];
    const seen: number[] = [];
    const p = projection({
      log,
      name: 'flaky',
      instance: id,
      lease: LEASE,
      retryDelayMs: 20,
      handler: (e) => void seen.push((e.payload as { n: number }).n),
    });
    p.errors$.subscribe((e) => errors.push(e));
    p.start();
    await expect.poll(() => seen).toEqual([1, 2]);
    await p.caughtUp();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ retrying: true, projection: 'flaky' });
    expect(errors[0]?.message).toMatch(/database restarting/);
    expect(p.status.state).toBe('running');
    await p.stop();
    await log.close();
  });

  it('reports its states on status$, from stopped through running to stopped', async () => {
    const { log, id } = await seeded(1);
    const states: ProjectionState[] = [];
    const p = projection({ log, name: 'states', instance: id, lease: LEASE, handler: () => {} });
    p.status$.subscribe((s) => {
      if (states.at(-1) !== s.state) states.push(s.state);
    });
    await expect(p.caughtUp()).rejects.toThrow(/start\(\)/);
    p.start();
    await p.caughtUp();
    await p.stop();
    expect(states).toEqual(['stopped', 'starting', 'running', 'stopped']);
    await log.close();
  });

  it('given a missing instance, then it fails with NOT_FOUND', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const p = projection({ log, name: 'missing', instance: 'nope', lease: LEASE, handler: () => {} });
    p.start();
    await expect(p.caughtUp()).rejects.toMatchObject({
      cause: expect.objectContaining({ code: 'NOT_FOUND' }),
    });
    expect(p.status.state).toBe('failed');
    await log.close();
  });

  it('rejects unusable options', () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const noTx = createEventLog({
      adapter: new Proxy(memoryAdapter(), {
        get: (target, property) => {
          if (property === 'transaction') return undefined;
          const value = Reflect.get(target, property, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    });
    expect(() => projection({ log, name: '', instance: 'i', handler: () => {} })).toThrow(/name/);
    expect(() => projection({ log, name: 'x', instance: 'i', handler: undefined as never })).toThrow(
      /handler/,
    );
    expect(() =>
      projection({ log, name: 'x', instance: 'i', handler: () => {}, lease: { ttlMs: -1 } }),
    ).toThrow(/ttlMs/);
    expect(() =>
      projection({ log: noTx, name: 'x', instance: 'i', transactional: true, handler: () => {} }),
    ).toThrow(/transaction/);
    expect(() => projection({ log: noTx, name: 'x', instance: 'i', handler: () => {} })).not.toThrow();
  });
});
