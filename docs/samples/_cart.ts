/** The cart decider and a projection handler used by the testing guide's samples. */
import type { Decider } from '@eventlog/core';
import type { ProjectionHandler } from '@eventlog/rx';

// #region domain
export type CartEvents = {
  ItemAdded: { sku: string; price: number };
  CheckedOut: { total: number };
};
export type CartCommand = { kind: 'add'; sku: string; price: number } | { kind: 'checkout' };
type Cart = { total: number; items: number; checkedOut: boolean };

export const cart: Decider<Cart, CartCommand, CartEvents> = {
  initialState: () => ({ total: 0, items: 0, checkedOut: false }),
  evolve: (s, e) =>
    e.event_type === 'ItemAdded'
      ? { ...s, total: s.total + e.payload.price, items: s.items + 1 }
      : { ...s, checkedOut: true },
  decide: (command, s) => {
    if (s.checkedOut) throw new Error('This cart is checked out.');
    if (command.kind === 'checkout') {
      if (s.items === 0) throw new Error('An empty cart cannot be checked out.');
      return { eventType: 'CheckedOut', payload: { total: s.total } };
    }
    return { eventType: 'ItemAdded', payload: { sku: command.sku, price: command.price } };
  },
};

/** A read model in the key-value store: revenue per day. */
export const revenuePerDay: ProjectionHandler<CartEvents> = async (event, { kv }) => {
  if (event.event_type !== 'CheckedOut') return;
  const day = event.timestamp.slice(0, 10);
  const current = await kv.get('revenue', day);
  await kv.put('revenue', day, ((current?.value as number | undefined) ?? 0) + event.payload.total);
};
// #endregion domain
