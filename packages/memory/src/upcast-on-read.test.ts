/**
 * A v1 event written years ago reaches today's (v3) code as v3 through every reader of
 * `@eventlog/core`, while queries keep answering on the stored (v1) form.
 */

import {
  aggregateStream,
  type BoundaryDecider,
  createEventLog,
  type Decider,
  decide,
  handleCommand,
  type Upcaster,
  upcastChain,
} from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

/** Today's schema (v3): a price is a money object. */
type Events = {
  PriceSet: { sku: string; price: { amount: number; currency: string } };
  Noted: { text: string };
};

/** v1 `{ sku, cents }` → v2 `{ sku, amount }` → v3 `{ sku, price: { amount, currency } }`. */
const upcasters: Upcaster<Events>[] = upcastChain<Events, 'PriceSet'>('PriceSet', [
  (v1: { sku: string; cents: number }) => ({ sku: v1.sku, amount: v1.cents / 100 }),
  (v2: { sku: string; amount: number }) => ({ sku: v2.sku, price: { amount: v2.amount, currency: 'EUR' } }),
]);

async function legacyLog(options: { registered: boolean }) {
  const log = createEventLog<Events>({
    adapter: memoryAdapter(),
    ...(options.registered ? { upcasters } : {}),
  });
  const raw = log.store as unknown as { appendEvents: (p: unknown) => Promise<unknown> };
  // Written in 2019 by v1 code (no schemaVersion), then by v2 code, then by today's.
  await raw.appendEvents({
    instanceId: 'shop',
    autoCreateInstance: true,
    streamId: 'sku-1',
    events: [
      { eventType: 'PriceSet', timestamp: '2019-03-01T00:00:00Z', payload: { sku: 'sku-1', cents: 1250 } },
      { eventType: 'PriceSet', payload: { sku: 'sku-1', amount: 13 }, metadata: { schemaVersion: 2 } },
      { eventType: 'Noted', payload: { text: 'hello' } },
    ],
  });
  return log;
}

type Prices = { seen: Array<{ amount: number; currency: string }>; versions: unknown[] };
const prices: Decider<Prices, { amount: number }, Events> = {
  initialState: () => ({ seen: [], versions: [] }),
  evolve: (state, event) =>
    event.event_type === 'PriceSet'
      ? {
          seen: [...state.seen, event.payload.price],
          versions: [...state.versions, event.metadata.schemaVersion],
        }
      : state,
  decide: (command) => ({
    eventType: 'PriceSet',
    payload: { sku: 'sku-1', price: { amount: command.amount, currency: 'EUR' } },
    metadata: { schemaVersion: 3 },
  }),
};

const V3_HISTORY = [
  { amount: 12.5, currency: 'EUR' },
  { amount: 13, currency: 'EUR' },
];

describe('upcasting on read', () => {
  it('given a v1 event and upcasters on the log, when aggregateStream folds it, then evolve sees v3 (schemaVersion 3)', async () => {
    const log = await legacyLog({ registered: true });
    const { state } = await aggregateStream(log, { instance: 'shop', streamId: 'sku-1', ...prices });
    expect(state).toEqual({ seen: V3_HISTORY, versions: [3, 3] });
  });

  it('given upcasters per reader instead, then the same', async () => {
    const log = await legacyLog({ registered: false });
    const { state } = await aggregateStream(log, {
      instance: 'shop',
      streamId: 'sku-1',
      ...prices,
      upcasters,
    });
    expect(state.seen).toEqual(V3_HISTORY);
  });

  it('given a v1 history, when handleCommand decides, then it folds v3 events and stores a v3 event', async () => {
    const log = await legacyLog({ registered: true });
    const result = await handleCommand(log, {
      instance: 'shop',
      streamId: 'sku-1',
      decider: prices,
      command: { amount: 14 },
    });
    expect(result.state.seen).toEqual([...V3_HISTORY, { amount: 14, currency: 'EUR' }]);
    expect(result.version).toBe(4);
  });

  it('given a v1 history with tags, when decide reads the boundary, then the decider sees v3 events', async () => {
    const log = createEventLog<Events>({ adapter: memoryAdapter(), upcasters });
    const raw = log.store as unknown as { appendEvent: (p: unknown) => Promise<unknown> };
    await raw.appendEvent({
      instanceId: 'shop',
      autoCreateInstance: true,
      eventType: 'PriceSet',
      payload: { sku: 'sku-1', cents: 999 },
      tags: ['sku:sku-1'],
    });
    const reprice: BoundaryDecider<Prices, { amount: number }, Events, `sku:${string}`> = {
      ...prices,
      boundary: () => [{ types: ['PriceSet'], tags: ['sku:sku-1'] }],
      decide: (command, state) => {
        expect(state.seen).toEqual([{ amount: 9.99, currency: 'EUR' }]);
        return { ...prices.decide(command, state), streamId: 'sku-1', tags: ['sku:sku-1'] } as never;
      },
    };
    const result = await decide(log, { instance: 'shop', decider: reprice, command: { amount: 10 } });
    expect(result.state.seen).toEqual([
      { amount: 9.99, currency: 'EUR' },
      { amount: 10, currency: 'EUR' },
    ]);
  });

  it('given upcasters on the log, when querying, then queries see the stored form (v1 fields, no schemaVersion)', async () => {
    const log = await legacyLog({ registered: true });
    const result = await log.store.queryEvents({
      from: { instance: 'shop' },
      where: [{ field: 'payload.cents', operator: 'eq', value: 1250 }],
    });
    expect(result.events).toHaveLength(1);
    expect(result.events?.[0]).toMatchObject({ payload: { sku: 'sku-1', cents: 1250 }, metadata: {} });
  });

  it('given a malformed upcaster, when creating the log, then a TypeError says which', () => {
    expect(() =>
      createEventLog({
        adapter: memoryAdapter(),
        upcasters: [{ eventType: 'X', fromVersion: 0, upcast: (p) => p }],
      }),
    ).toThrow(/upcasters\[0\]\.fromVersion/);
  });
});
