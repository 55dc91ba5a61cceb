// #region spec
import { deciderSpec, runProjection } from '@eventlog/testing';
import { describe, expect, it } from 'vitest';
import { cart, revenuePerDay } from './_cart.js';

describe('cart', () => {
  it('given items, when checking out, then the total is recorded', () => {
    deciderSpec(cart)
      .given([
        { eventType: 'ItemAdded', payload: { sku: 'A1', price: 12 } },
        { eventType: 'ItemAdded', payload: { sku: 'B2', price: 5 } },
      ])
      .when({ kind: 'checkout' })
      .then([{ eventType: 'CheckedOut', payload: { total: 17 } }]);
  });

  it('given an empty cart, when checking out, then it is refused', () => {
    deciderSpec(cart)
      .given([])
      .when({ kind: 'checkout' })
      .then(/empty cart/);
  });

  it('given a checked-out cart, when adding, then it is refused', () => {
    deciderSpec(cart)
      .given([
        { eventType: 'ItemAdded', payload: { sku: 'A1', price: 12 } },
        { eventType: 'CheckedOut', payload: { total: 12 } },
      ])
      .when({ kind: 'add', sku: 'C3', price: 1 })
      .then(new Error('This cart is checked out.'));
  });
});
// #endregion spec

// #region projection
describe('revenue per day', () => {
  it('given checkouts on two days, then the read model sums each day', async () => {
    const model = await runProjection({
      handler: revenuePerDay,
      events: [
        { eventType: 'CheckedOut', payload: { total: 17 }, timestamp: '2024-01-19T10:00:00Z' },
        { eventType: 'ItemAdded', payload: { sku: 'A1', price: 3 }, timestamp: '2024-01-19T11:00:00Z' },
        { eventType: 'CheckedOut', payload: { total: 3 }, timestamp: '2024-01-19T12:00:00Z' },
        { eventType: 'CheckedOut', payload: { total: 40 }, timestamp: '2024-01-20T09:00:00Z' },
      ],
    });
    expect(model).toEqual({ revenue: { '2024-01-19': 20, '2024-01-20': 40 } });
  });
});
// #endregion projection
