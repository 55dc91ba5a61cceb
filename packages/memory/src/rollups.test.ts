/**
 * Rollups on the memory adapter: answered from the rollup exactly as by the scan (issue 10), and
 * served on the wire by the generic dispatch.
 */

import { describeRollups } from '@eventlog/conformance';
import { createEventLog, dispatch, type Query } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

describeRollups({ name: 'memory', create: () => memoryAdapter() });

describe('rollups on the wire', () => {
  it('defines, lists, answers from and drops a rollup through wire requests', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const send = (type: string, params: unknown) =>
      dispatch(log, { type: `eventLog.${type}`, requestId: `r-${type}`, params });
    await log.createInstance('shop');
    await log.appendEvents({
      instanceId: 'shop',
      events: [
        { eventType: 'order', payload: { amount: 5 }, timestamp: '2024-03-01T10:00:00Z' },
        { eventType: 'order', payload: { amount: 7 }, timestamp: '2024-03-02T11:00:00Z' },
      ],
    });
    const defined = await send('defineRollup', {
      instanceId: 'shop',
      name: 'hourly',
      groupBy: ['event_type', { field: 'timestamp', interval: 'hour' }],
      measures: [{ type: 'sum', field: 'payload.amount' }],
    });
    expect(defined).toMatchObject({
      type: 'eventLog.defineRollup',
      requestId: 'r-defineRollup',
      success: true,
      data: { rollup: { name: 'hourly' } },
    });
    expect(await send('listRollups', { instanceId: 'shop' })).toMatchObject({
      success: true,
      data: { rollups: [{ name: 'hourly' }] },
    });
    const query = {
      from: { instance: 'shop' },
      reduce: { type: 'sum', field: 'payload.amount', groupBy: [{ field: 'timestamp', interval: 'day' }] },
    };
    expect(await log.store.explainQuery(query as never)).toEqual({ rollup: 'hourly' });
    expect(await send('queryEvents', { query })).toMatchObject({
      success: true,
      data: {
        result: {
          total: 2,
          aggregation: {
            groups: [
              { key: { timestamp: '2024-03-01T00:00:00.000Z' }, value: 5 },
              { key: { timestamp: '2024-03-02T00:00:00.000Z' }, value: 7 },
            ],
          },
        },
      },
    });
    expect(await send('dropRollup', { instanceId: 'shop', name: 'hourly' })).toMatchObject({
      success: true,
      data: { dropped: true },
    });
    expect(await send('dropRollup', { instanceId: 'shop', name: 'hourly', extra: 1 })).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
    });
    await log.close();
  });
});

describe('the rollups a store knows', () => {
  it('given aggregations in a row, then the instance’s rollups are listed once, and again after this store defines or drops one', async () => {
    // Every aggregation listed the rollups first: one more read (a round trip on PostgreSQL) per query.
    const adapter = memoryAdapter();
    const list = adapter.listRollups?.bind(adapter);
    let listed = 0;
    adapter.listRollups = (instanceId) => {
      listed++;
      return (list as NonNullable<typeof list>)(instanceId);
    };
    const log = createEventLog({ adapter });
    await log.createInstance('shop');
    await log.appendEvents({ instanceId: 'shop', events: [{ eventType: 'order' }, { eventType: 'refund' }] });
    const count: Query = { from: { instance: 'shop' }, reduce: { type: 'count', groupBy: ['event_type'] } };
    const answers = [];
    for (let k = 0; k < 3; k++) answers.push(await log.queryEvents(count));
    expect(listed).toBe(1);
    expect(await log.store.explainQuery(count)).toEqual({ rollup: null });
    await log.defineRollup({ instanceId: 'shop', name: 'byType', groupBy: ['event_type'] });
    expect(await log.store.explainQuery(count)).toEqual({ rollup: 'byType' });
    answers.push(await log.queryEvents(count));
    expect(listed).toBe(2);
    await log.dropRollup({ instanceId: 'shop', name: 'byType' });
    expect(await log.store.explainQuery(count)).toEqual({ rollup: null });
    expect(listed).toBe(3);
    // From the rollup or by the scan, the same answer.
    const data = answers.map((a) => (a.success ? a.data : a));
    for (const d of data) expect(d).toEqual(data[0]);
  });

  it('given aggregations by a known id that no listed rollup covers, then they go to the adapter without resolving; a rollup this store defines answers the next', async () => {
    const adapter = memoryAdapter();
    const calls: string[] = [];
    for (const method of ['resolveInstance', 'query', 'readRollup'] as const) {
      const original = (adapter[method] as (...args: unknown[]) => Promise<unknown>).bind(adapter);
      (adapter as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        calls.push(method);
        return original(...args);
      };
    }
    const log = createEventLog({ adapter });
    const created = await log.createInstance('shop');
    const id = created.success ? created.data.instance.id : '';
    await log.appendEvents({ instanceId: id, events: [{ eventType: 'order' }, { eventType: 'refund' }] });
    const count: Query = { from: { instance: id }, reduce: { type: 'count', groupBy: ['event_type'] } };
    const first = await log.queryEvents(count); // resolves, lists the rollups: none
    calls.length = 0;
    expect(await log.queryEvents(count)).toEqual({
      ...first,
      timestamp: expect.any(String),
      requestId: expect.any(String),
    });
    expect(calls).toEqual(['query']);
    await log.defineRollup({ instanceId: id, name: 'byType', groupBy: ['event_type'] });
    calls.length = 0;
    const fromRollup = await log.queryEvents(count);
    expect(calls).toEqual(['resolveInstance', 'readRollup']);
    expect(fromRollup.success && fromRollup.data).toEqual(first.success && first.data);
    // Listed now, and covering: the rollup keeps answering.
    calls.length = 0;
    await log.queryEvents(count);
    expect(calls).toEqual(['resolveInstance', 'readRollup']);
  });
});
