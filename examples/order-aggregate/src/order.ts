/**
 * The order's domain: its events, its state and the decider that turns commands into events.
 * Pure code: no storage here (see `order.test.ts` for its unit tests, `main.ts` for running it).
 */

import type { Decider } from '@eventlog/core';

/** The order's events, by type. */
export type OrderEvents = {
  OrderCreated: { orderId: string; customer: string };
  ItemAdded: { sku: string; quantity: number; unitPrice: number };
  OrderPaid: { amount: number };
  OrderShipped: { carrier: string };
};

/** What an order looks like after its events. */
export interface Order {
  status: 'none' | 'open' | 'paid' | 'shipped';
  customer: string | null;
  lines: Record<string, { quantity: number; unitPrice: number }>;
  total: number;
}

/** What one can ask of an order. */
export type OrderCommand =
  | { type: 'create'; orderId: string; customer: string }
  | { type: 'addItem'; sku: string; quantity: number; unitPrice: number }
  | { type: 'pay'; amount: number }
  | { type: 'ship'; carrier: string };

/** A command the order refuses. */
export class OrderError extends Error {
  override name = 'OrderError';
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The order as a decider: `handleCommand` folds, decides and appends with optimistic concurrency. */
export const orderDecider: Decider<Order, OrderCommand, OrderEvents> = {
  initialState: () => ({ status: 'none', customer: null, lines: {}, total: 0 }),
  evolve: (order, event) => {
    switch (event.event_type) {
      case 'OrderCreated':
        return { ...order, status: 'open', customer: event.payload.customer };
      case 'ItemAdded': {
        const { sku, quantity, unitPrice } = event.payload;
        const line = order.lines[sku] ?? { quantity: 0, unitPrice };
        return {
          ...order,
          lines: { ...order.lines, [sku]: { quantity: line.quantity + quantity, unitPrice } },
          total: round(order.total + quantity * unitPrice),
        };
      }
      case 'OrderPaid':
        return { ...order, status: 'paid' };
      case 'OrderShipped':
        return { ...order, status: 'shipped' };
    }
  },
  decide: (command, order) => {
    switch (command.type) {
      case 'create':
        if (order.status !== 'none') throw new OrderError('The order exists already.');
        return {
          eventType: 'OrderCreated',
          payload: { orderId: command.orderId, customer: command.customer },
        };
      case 'addItem':
        if (order.status !== 'open')
          throw new OrderError(`Items can be added to an open order only (it is ${order.status}).`);
        if (!Number.isInteger(command.quantity) || command.quantity < 1)
          throw new OrderError('The quantity must be a positive integer.');
        return {
          eventType: 'ItemAdded',
          payload: { sku: command.sku, quantity: command.quantity, unitPrice: command.unitPrice },
        };
      case 'pay':
        if (order.status !== 'open')
          throw new OrderError(`Only an open order can be paid (it is ${order.status}).`);
        if (order.total === 0) throw new OrderError('An empty order cannot be paid.');
        if (command.amount !== order.total)
          throw new OrderError(`The order costs ${order.total}, not ${command.amount}.`);
        return { eventType: 'OrderPaid', payload: { amount: command.amount } };
      case 'ship':
        if (order.status !== 'paid') throw new OrderError(`Only a paid order ships (it is ${order.status}).`);
        return { eventType: 'OrderShipped', payload: { carrier: command.carrier } };
    }
  },
};
