// #region decider
import { aggregateStream, type Decider, handleCommand, tryHandleCommand } from '@eventlog/core';
import { openEventLog } from 'eventlog';

type CartEvents = {
  ItemAdded: { sku: string; price: number };
  ItemRemoved: { sku: string };
  CheckedOut: { total: number };
};
type Cart = { items: Map<string, number>; checkedOut: boolean };
type CartCommand =
  | { kind: 'add'; sku: string; price: number }
  | { kind: 'remove'; sku: string }
  | { kind: 'checkout' };

const cart: Decider<Cart, CartCommand, CartEvents> = {
  initialState: () => ({ items: new Map(), checkedOut: false }),
  evolve: (state, event) => {
    const items = new Map(state.items);
    switch (event.event_type) {
      case 'ItemAdded':
        items.set(event.payload.sku, event.payload.price);
        return { ...state, items };
      case 'ItemRemoved':
        items.delete(event.payload.sku);
        return { ...state, items };
      case 'CheckedOut':
        return { ...state, checkedOut: true };
    }
  },
  decide: (command, state) => {
    if (state.checkedOut) throw new Error('This cart is checked out.');
    switch (command.kind) {
      case 'add':
        if (state.items.size >= 10) throw new Error('A cart holds at most 10 items.');
        return { eventType: 'ItemAdded', payload: { sku: command.sku, price: command.price } };
      case 'remove':
        return state.items.has(command.sku)
          ? { eventType: 'ItemRemoved', payload: { sku: command.sku } }
          : [];
      case 'checkout': {
        const total = [...state.items.values()].reduce((a, b) => a + b, 0);
        return { eventType: 'CheckedOut', payload: { total } };
      }
    }
  },
};
// #endregion decider

const log = await openEventLog<CartEvents>();

// #region handle
const first = await handleCommand(log, {
  instance: 'carts',
  streamId: 'cart-7',
  decider: cart,
  command: { kind: 'add', sku: 'A1', price: 12 },
  autoCreateInstance: true, // the first command creates the instance
});
console.log('version', first.version, 'items', [...first.state.items.keys()]);
// #endregion handle

// #region concurrent
// Eight writers at once on one stream: each conflict re-reads the stream and decides again.
const adds = Array.from({ length: 8 }, (_, i) =>
  handleCommand(log, {
    instance: 'carts',
    streamId: 'cart-7',
    decider: cart,
    command: { kind: 'add', sku: `B${i}`, price: 1 },
  }),
);
await Promise.all(adds);
const checkout = await handleCommand(log, {
  instance: 'carts',
  streamId: 'cart-7',
  decider: cart,
  command: { kind: 'checkout' },
});
console.log(
  'after checkout: version',
  checkout.version,
  'events',
  checkout.events.map((e) => e.event_type),
);
// #endregion concurrent

// #region refuse
try {
  await handleCommand(log, {
    instance: 'carts',
    streamId: 'cart-7',
    decider: cart,
    command: { kind: 'remove', sku: 'A1' },
  });
} catch (error) {
  console.log('refused:', (error as Error).message);
}
// #endregion refuse

// #region envelope
// The same command, answered with an envelope like the log's methods (never rejects).
const res = await tryHandleCommand(log, {
  instance: 'carts',
  streamId: 'cart-7',
  decider: cart,
  command: { kind: 'remove', sku: 'A1' },
});
if (res.success) console.log('version', res.data.version);
else console.log(res.type, res.code, res.error, res.details);
// #endregion envelope

// #region rebuild
const { state, version } = await aggregateStream(log, {
  instance: 'carts',
  streamId: 'cart-7',
  initialState: cart.initialState,
  evolve: cart.evolve,
});
console.log('rebuilt: version', version, 'items', state.items.size, 'checked out', state.checkedOut);
// #endregion rebuild

await log.close();
