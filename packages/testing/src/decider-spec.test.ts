import type { BoundaryDecider, Decider, Upcaster } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from './decider-spec.js';

type CartEvents = { ItemAdded: { sku: string }; CheckedOut: { items: number } };
type Cart = { items: string[]; done: boolean };
type CartCommand = { kind: 'add'; sku: string } | { kind: 'checkout' } | { kind: 'noop' };

class CartClosed extends Error {
  override name = 'CartClosed';
}

const cart: Decider<Cart, CartCommand, CartEvents> = {
  initialState: () => ({ items: [], done: false }),
  evolve: (s, e) =>
    e.event_type === 'ItemAdded' ? { ...s, items: [...s.items, e.payload.sku] } : { ...s, done: true },
  decide: (command, s) => {
    if (s.done) throw new CartClosed('The cart is checked out.');
    if (command.kind === 'noop') return undefined;
    if (command.kind === 'add') return { eventType: 'ItemAdded', payload: { sku: command.sku } };
    return { eventType: 'CheckedOut', payload: { items: s.items.length }, metadata: { by: 'test' } };
  },
};

/** The assertion error a failing `then` throws (it must throw one, with a readable message). */
function failureOf(fn: () => void): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the spec to fail');
}

describe('deciderSpec', () => {
  it('given events, when a command, then the produced events match', () => {
    deciderSpec(cart)
      .given([
        { eventType: 'ItemAdded', payload: { sku: 'a' } },
        { eventType: 'ItemAdded', payload: { sku: 'b' } },
      ])
      .when({ kind: 'checkout' })
      .then([{ eventType: 'CheckedOut', payload: { items: 2 } }]);
  });

  it('given no history, when a command, then it can be asserted without given', () => {
    deciderSpec(cart)
      .when({ kind: 'add', sku: 'x' })
      .then([{ eventType: 'ItemAdded', payload: { sku: 'x' } }]);
    deciderSpec(cart).given([]).when({ kind: 'noop' }).then([]);
  });

  it('given an expected event naming metadata, then metadata is compared too', () => {
    const spec = deciderSpec(cart).when({ kind: 'checkout' });
    spec.then([{ eventType: 'CheckedOut', payload: { items: 0 }, metadata: { by: 'test' } }]);
    const error = failureOf(() =>
      spec.then([{ eventType: 'CheckedOut', payload: { items: 0 }, metadata: { by: 'other' } }]),
    );
    expect(error.message).toContain('the events the command produced');
  });

  it('given a wrong expectation, then the failure is vitest’s, with a diff of the events', () => {
    const error = failureOf(() =>
      deciderSpec(cart)
        .when({ kind: 'add', sku: 'x' })
        .then([{ eventType: 'ItemAdded', payload: { sku: 'y' } }]),
    );
    expect(error.name).toBe('AssertionError');
    expect(error.message).toMatch(/the events the command produced/);
    expect((error as Error & { expected?: unknown; actual?: unknown }).actual).toEqual([
      { eventType: 'ItemAdded', payload: { sku: 'x' } },
    ]);
  });

  it('given a refusal, then then(error) accepts a message, a pattern, a class or an error like it', () => {
    const refused = deciderSpec(cart)
      .given([{ eventType: 'CheckedOut', payload: { items: 0 } }])
      .when({ kind: 'add', sku: 'a' });
    refused.then('checked out');
    refused.then(/checked out\.$/);
    refused.then(CartClosed);
    refused.then(new CartClosed('The cart is checked out.'));
    expect(failureOf(() => refused.then(new Error('The cart is checked out.'))).message).toMatch(
      /class of the error/,
    );
    expect(failureOf(() => refused.then(/still open/)).message).toMatch(/refused with/);
    expect(failureOf(() => refused.then([])).message).toMatch(
      /decide threw CartClosed: The cart is checked out\./,
    );
  });

  it('given an expected refusal, when events are produced, then the failure lists them', () => {
    const error = failureOf(() => deciderSpec(cart).when({ kind: 'add', sku: 'a' }).then('closed'));
    expect(error.message).toMatch(/refused with "closed", but it produced these events/);
  });

  it('given the when step, then its outcome is there for other assertions', () => {
    expect(deciderSpec(cart).when({ kind: 'add', sku: 'a' }).outcome).toEqual({
      events: [{ eventType: 'ItemAdded', payload: { sku: 'a' } }],
    });
  });

  it('given upcasters, then old given events reach evolve in the current schema', () => {
    const upcasters: Upcaster<CartEvents>[] = [
      { eventType: 'ItemAdded', fromVersion: 1, upcast: (p) => ({ sku: String(p.code) }) },
    ];
    deciderSpec(cart, { upcasters })
      .given([{ eventType: 'ItemAdded', payload: { code: 7 } as never }])
      .when({ kind: 'checkout' })
      .then([{ eventType: 'CheckedOut', payload: { items: 1 } }]);
    expect(
      deciderSpec(cart, { upcasters })
        .given([{ eventType: 'ItemAdded', payload: { code: 7 } as never }])
        .when({ kind: 'noop' }).state,
    ).toEqual({
      items: ['7'],
      done: false,
    });
  });

  it('given a boundary decider, then its initialState gets the command and tags and streams are compared when named', () => {
    type Events = { Opened: { seats: number }; Booked: { who: string } };
    const book: BoundaryDecider<
      { who: string; seats: number; booked: number },
      { who: string },
      Events,
      `show:${string}`
    > = {
      boundary: () => [{ tags: ['show:s1'] }],
      initialState: ({ who }) => ({ who, seats: 0, booked: 0 }),
      evolve: (s, e) =>
        e.event_type === 'Opened' ? { ...s, seats: e.payload.seats } : { ...s, booked: s.booked + 1 },
      decide: (_c, s) => {
        if (s.booked >= s.seats) throw new Error('Sold out.');
        return {
          streamId: `booking-${s.who}`,
          eventType: 'Booked',
          payload: { who: s.who },
          tags: ['show:s1'],
        };
      },
    };
    deciderSpec(book)
      .given([{ eventType: 'Opened', payload: { seats: 1 }, tags: ['show:s1'] }])
      .when({ who: 'ann' })
      .then([{ streamId: 'booking-ann', eventType: 'Booked', payload: { who: 'ann' }, tags: ['show:s1'] }]);
    deciderSpec(book)
      .given([
        { eventType: 'Opened', payload: { seats: 1 } },
        { eventType: 'Booked', payload: { who: 'bob' } },
      ])
      .when({ who: 'ann' })
      .then('Sold out.');
    const wrongStream = failureOf(() =>
      deciderSpec(book)
        .given([{ eventType: 'Opened', payload: { seats: 1 } }])
        .when({ who: 'ann' })
        .then([{ streamId: 'booking-bob', eventType: 'Booked', payload: { who: 'ann' } }]),
    );
    expect(wrongStream.message).toContain('the events the command produced');
  });
});
