import {
  type AggregateEvent,
  aggregateStream,
  createEventLog,
  type Decider,
  type EventLog,
  handleCommand,
  SNAPSHOT_NAMESPACE,
  type SnapshotPolicy,
  type StorageAdapter,
} from '@eventlog/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

type CartEvents = {
  ItemAdded: { sku: string; price: number };
  ItemRemoved: { sku: string };
  CheckedOut: { note?: string };
};
type Cart = { items: Record<string, number>; total: number; checkedOut: boolean; changes: number };
type CartCommand =
  | { kind: 'add'; sku: string; price: number }
  | { kind: 'remove'; sku: string }
  | { kind: 'checkout' };

const cart: Decider<Cart, CartCommand, CartEvents> = {
  initialState: () => ({ items: {}, total: 0, checkedOut: false, changes: 0 }),
  evolve: (state, event) => {
    switch (event.event_type) {
      case 'ItemAdded': {
        const { sku, price } = event.payload;
        return {
          ...state,
          items: { ...state.items, [sku]: (state.items[sku] ?? 0) + 1 },
          total: state.total + price,
          changes: state.changes + 1,
        };
      }
      case 'ItemRemoved': {
        const items = { ...state.items };
        delete items[event.payload.sku];
        return { ...state, items, changes: state.changes + 1 };
      }
      default:
        return { ...state, checkedOut: true, changes: state.changes + 1 };
    }
  },
  decide: (command, state): AggregateEvent<CartEvents> | AggregateEvent<CartEvents>[] => {
    if (state.checkedOut) throw new Error('The cart is checked out.');
    switch (command.kind) {
      case 'add':
        return { eventType: 'ItemAdded', payload: { sku: command.sku, price: command.price } };
      case 'remove':
        return state.items[command.sku] === undefined
          ? []
          : { eventType: 'ItemRemoved', payload: { sku: command.sku } };
      case 'checkout':
        return { eventType: 'CheckedOut', payload: {} };
    }
  },
};

/** The memory adapter, counting the events its `readAfter` returns. */
function countingAdapter(): { adapter: StorageAdapter; read: () => number; reset: () => void } {
  const real = memoryAdapter();
  let read = 0;
  const adapter = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'readAfter') {
        return async (...args: Parameters<StorageAdapter['readAfter']>) => {
          const page = await real.readAfter(...args);
          read += page.length;
          return page;
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { adapter, read: () => read, reset: () => (read = 0) };
}

const ref = { instance: 'carts', streamId: 'cart-1' };

async function run(log: EventLog<CartEvents>, command: CartCommand, snapshot?: SnapshotPolicy<Cart>) {
  try {
    const { state, version } = await handleCommand(log, {
      ...ref,
      decider: cart,
      command,
      autoCreateInstance: true,
      ...(snapshot ? { snapshot } : {}),
    });
    return { state, version };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

describe('snapshots', () => {
  it('given generated command sequences, then the state with snapshots equals the state without, after every command and on rebuild', async () => {
    const arbCommand: fc.Arbitrary<CartCommand> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          kind: fc.constant('add' as const),
          sku: fc.constantFrom('a', 'b', 'c'),
          price: fc.integer({ min: 1, max: 50 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('remove' as const), sku: fc.constantFrom('a', 'b', 'c') }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'checkout' as const }) },
    );
    const arbPolicy: fc.Arbitrary<SnapshotPolicy<Cart>> = fc.oneof(
      fc.integer({ min: 1, max: 7 }).map((every) => ({ every })),
      fc
        .integer({ min: 1, max: 4 })
        .map((n) => ({ when: ({ state }: { state: Cart }) => state.changes % n === 0 })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(arbCommand, { maxLength: 40 }), arbPolicy, async (commands, policy) => {
        const plain = createEventLog<CartEvents>({ adapter: memoryAdapter() });
        const snapped = createEventLog<CartEvents>({ adapter: memoryAdapter() });
        for (const command of commands) {
          expect(await run(snapped, command, policy)).toEqual(await run(plain, command));
        }
        const a = await aggregateStream(plain, { ...ref, ...cart });
        const b = await aggregateStream(snapped, { ...ref, ...cart, snapshot: policy });
        expect(b).toEqual(a);
        // …and a fresh reader of the snapshotted log agrees too (it loads the stored snapshot).
        expect(await aggregateStream(snapped, { ...ref, ...cart, snapshot: policy, pageSize: 3 })).toEqual(a);
      }),
      { numRuns: 60 },
    );
  });

  it('given a 100,000-event stream with a snapshot, when rebuilt, then only the snapshot event and the events after it are read', async () => {
    const { adapter, read, reset } = countingAdapter();
    const log = createEventLog<CartEvents>({ adapter });
    const batch = Array.from({ length: 10_000 }, (_, i) => ({
      eventType: 'ItemAdded' as const,
      payload: { sku: `s${i % 7}`, price: 1 },
    }));
    await log.store.createInstance('carts');
    for (let i = 0; i < 10; i++)
      await log.store.appendEvents({ instanceId: 'carts', streamId: 'cart-1', events: batch });
    const snapshot: SnapshotPolicy<Cart> = { every: 100 };

    const full = await aggregateStream(log, { ...ref, ...cart, snapshot }); // no snapshot yet: folds all, then stores one
    expect(read()).toBe(100_000);
    expect(full.version).toBe(100_000);

    await log.store.appendEvents({ instanceId: 'carts', streamId: 'cart-1', events: batch.slice(0, 3) });
    reset();
    const fromSnapshot = await aggregateStream(log, { ...ref, ...cart, snapshot });
    expect(read(), 'the snapshot event + the 3 after it').toBe(4);
    expect(fromSnapshot).toEqual(await aggregateStream(log, { ...ref, ...cart }));
  });

  it('given a snapshot and a changed evolve, when rebuilt, then the old snapshot is not used', async () => {
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    for (let i = 0; i < 5; i++) await run(log, { kind: 'add', sku: 'a', price: 10 }, { every: 2 });
    const doubled: Decider<Cart, CartCommand, CartEvents> = {
      ...cart,
      evolve: (state, event) => {
        const next = cart.evolve(state, event);
        return event.event_type === 'ItemAdded' ? { ...next, total: next.total + event.payload.price } : next;
      },
    };
    const rebuilt = await aggregateStream(log, { ...ref, ...doubled, snapshot: { every: 2 } });
    expect(rebuilt.state.total).toBe(100);
    const keys = (await log.store.adapter.kv.list(SNAPSHOT_NAMESPACE)).map((k) => k.key);
    expect(new Set(keys).size).toBe(2); // one per fold: the old key was neither read nor overwritten
  });

  it('given a version bump in the policy, when rebuilt, then the snapshot of the previous version is not used', async () => {
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    for (let i = 0; i < 4; i++)
      await run(log, { kind: 'add', sku: 'a', price: 10 }, { every: 1, version: 1 });
    // Corrupt the v1 snapshot: a reader of v1 would see it, a reader of v2 must not.
    const [entry] = await log.store.adapter.kv.list(SNAPSHOT_NAMESPACE);
    const stored = entry?.value as { state: Cart };
    await log.store.adapter.kv.put(SNAPSHOT_NAMESPACE, entry?.key as string, {
      ...stored,
      state: { ...stored.state, total: -1 },
    });
    // v1 reads the corrupted snapshot (taken at version 3) and folds the 4th event: -1 + 10.
    expect(
      (await aggregateStream(log, { ...ref, ...cart, snapshot: { every: 1, version: 1 } })).state.total,
    ).toBe(9);
    expect(
      (await aggregateStream(log, { ...ref, ...cart, snapshot: { every: 1, version: 2 } })).state.total,
    ).toBe(40);
  });

  it('given an instance deleted and created again under the same name, when rebuilt, then its old snapshot is ignored', async () => {
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    for (let i = 0; i < 6; i++) await run(log, { kind: 'add', sku: 'a', price: 10 }, { every: 2 });
    await log.store.deleteInstance('carts');
    await run(log, { kind: 'add', sku: 'b', price: 1 }, { every: 2 });
    const rebuilt = await aggregateStream(log, { ...ref, ...cart, snapshot: { every: 2 } });
    expect(rebuilt).toEqual({
      state: { items: { b: 1 }, total: 1, checkedOut: false, changes: 1 },
      version: 1,
    });
  });

  it('given a due snapshot and a command that loses a race, then the retry stores a snapshot consistent with the stream', async () => {
    const real = memoryAdapter();
    let raced = false;
    const adapter = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === 'append') {
          return async (request: Parameters<StorageAdapter['append']>[0]) => {
            if (request.kvWrites !== undefined && !raced) {
              raced = true; // another writer commits first: this append (and its snapshot) must fail
              await real.append({
                ...request,
                kvWrites: undefined,
                versionChecks: undefined,
                expectedVersion: undefined,
              });
            }
            return real.append(request);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const log = createEventLog<CartEvents>({ adapter });
    for (let i = 0; i < 3; i++) await run(log, { kind: 'add', sku: 'a', price: 1 }, { every: 2 });
    expect(raced).toBe(true);
    const [entry] = await real.kv.list(SNAPSHOT_NAMESPACE);
    expect(entry?.value).toMatchObject({ version: 3 }); // written by the retry, which read 3 events
    expect(await aggregateStream(log, { ...ref, ...cart, snapshot: { every: 2 } })).toEqual(
      await aggregateStream(log, { ...ref, ...cart }),
    );
  });

  it('given a refused command, then nothing is appended and no snapshot is written', async () => {
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    await run(log, { kind: 'add', sku: 'a', price: 1 });
    await run(log, { kind: 'checkout' });
    expect(await run(log, { kind: 'add', sku: 'b', price: 1 }, { every: 1 })).toEqual({
      refused: 'The cart is checked out.',
    });
    expect(await log.store.adapter.kv.list(SNAPSHOT_NAMESPACE)).toEqual([]);
  });

  it('given handleCommand reaching the threshold, then the snapshot travels in the append request (one transaction)', async () => {
    const real = memoryAdapter();
    const requests: unknown[] = [];
    const adapter = new Proxy(real, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === 'append') {
          return (request: Parameters<StorageAdapter['append']>[0]) => {
            requests.push(request.kvWrites);
            return real.append(request);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const log = createEventLog<CartEvents>({ adapter });
    for (let i = 0; i < 6; i++) await run(log, { kind: 'add', sku: 'a', price: 1 }, { every: 2 });
    // Due once the state read is 2 events past the last snapshot: before commands 3 and 5.
    expect(requests.map((w) => (Array.isArray(w) ? w.length : 0))).toEqual([0, 0, 1, 0, 1, 0]);
    const [write] = requests[2] as Array<{ namespace: string; value: { version: number } }>;
    expect(write?.namespace).toBe(SNAPSHOT_NAMESPACE);
    expect(write?.value.version).toBe(2); // the state the command was decided on
  });

  it.each<[string, unknown, RegExp]>([
    ['no every and no when', {}, /every .* or when/],
    ['every 0', { every: 0 }, /every must be an integer ≥ 1/],
    ['a when that is not a function', { when: true }, /when must be a function/],
  ])('given a snapshot policy with %s, then a TypeError explains it', async (_label, policy, message) => {
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    await expect(
      aggregateStream(log, { ...ref, ...cart, snapshot: policy as SnapshotPolicy<Cart> }),
    ).rejects.toThrow(message);
  });

  it('given a state that is not JSON, when a snapshot is due, then a TypeError asks for toJson and nothing is appended', async () => {
    type MapState = { seen: Map<string, number> };
    const log = createEventLog<CartEvents>({ adapter: memoryAdapter() });
    await run(log, { kind: 'add', sku: 'a', price: 1 });
    const decider: Decider<MapState, CartCommand, CartEvents> = {
      initialState: () => ({ seen: new Map() }),
      evolve: (s) => s,
      decide: () => ({ eventType: 'CheckedOut', payload: {} }),
    };
    await expect(
      handleCommand(log, { ...ref, decider, command: { kind: 'checkout' }, snapshot: { every: 1 } }),
    ).rejects.toThrow(/toJson and fromJson/);
    expect((await log.store.getInstanceStats('carts')).eventCount).toBe(1);
    const withJson = await handleCommand(log, {
      ...ref,
      decider,
      command: { kind: 'checkout' },
      snapshot: {
        every: 1,
        toJson: (s) => [...s.seen],
        fromJson: (j) => ({ seen: new Map(j as [string, number][]) }),
      },
    });
    expect(withJson.version).toBe(2);
  });
});
