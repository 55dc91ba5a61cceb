import { deciderSpec } from '@eventlog/testing';
import { describe, it } from 'vitest';
import { OrderError, orderDecider } from './order.js';

const created = { eventType: 'OrderCreated', payload: { orderId: 'o1', customer: 'Ada' } } as const;
const apples = { eventType: 'ItemAdded', payload: { sku: 'apple', quantity: 2, unitPrice: 1.5 } } as const;

describe('the order decider', () => {
  it('given nothing, when created, then OrderCreated', () => {
    deciderSpec(orderDecider)
      .given([])
      .when({ type: 'create', orderId: 'o1', customer: 'Ada' })
      .then([{ eventType: 'OrderCreated', payload: { orderId: 'o1', customer: 'Ada' } }]);
  });

  it('given an order, when created again, then refused', () => {
    deciderSpec(orderDecider)
      .given([created])
      .when({ type: 'create', orderId: 'o1', customer: 'Bo' })
      .then(OrderError);
  });

  it('given an open order, when an item is added, then ItemAdded', () => {
    deciderSpec(orderDecider)
      .given([created])
      .when({ type: 'addItem', sku: 'pear', quantity: 3, unitPrice: 2 })
      .then([{ eventType: 'ItemAdded', payload: { sku: 'pear', quantity: 3, unitPrice: 2 } }]);
  });

  it('given a quantity of 0, when added, then refused', () => {
    deciderSpec(orderDecider)
      .given([created])
      .when({ type: 'addItem', sku: 'pear', quantity: 0, unitPrice: 2 })
      .then(/positive integer/);
  });

  it('given items for 3, when paid 3, then OrderPaid; when paid 2, then refused', () => {
    deciderSpec(orderDecider)
      .given([created, apples])
      .when({ type: 'pay', amount: 3 })
      .then([{ eventType: 'OrderPaid', payload: { amount: 3 } }]);
    deciderSpec(orderDecider)
      .given([created, apples])
      .when({ type: 'pay', amount: 2 })
      .then('costs 3, not 2');
  });

  it('given an empty order, when paid, then refused', () => {
    deciderSpec(orderDecider).given([created]).when({ type: 'pay', amount: 0 }).then('empty order');
  });

  it('given a paid order, when shipped, then OrderShipped; when an item is added, then refused', () => {
    const paid = [created, apples, { eventType: 'OrderPaid', payload: { amount: 3 } }] as const;
    deciderSpec(orderDecider)
      .given([...paid])
      .when({ type: 'ship', carrier: 'DHL' })
      .then([{ eventType: 'OrderShipped', payload: { carrier: 'DHL' } }]);
    deciderSpec(orderDecider)
      .given([...paid])
      .when({ type: 'addItem', sku: 'x', quantity: 1, unitPrice: 1 })
      .then(/open order only \(it is paid\)/);
  });

  it('given an open order, when shipped, then refused', () => {
    deciderSpec(orderDecider)
      .given([created, apples])
      .when({ type: 'ship', carrier: 'DHL' })
      .then(/Only a paid order ships/);
  });
});
