import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, type EventLog, type Query } from '@eventlog/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sqliteAdapter } from './sqlite-adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.db`);

const logs: EventLog[] = [];
afterEach(async () => {
  for (const log of logs.splice(0)) await log.close();
});
function open(file: string, readWorkers?: Parameters<typeof sqliteAdapter>[0]['readWorkers']): EventLog {
  const log = createEventLog({
    adapter: sqliteAdapter({
      file,
      durability: 'normal',
      ...(readWorkers === undefined ? {} : { readWorkers }),
    }),
  });
  logs.push(log);
  return log;
}

/** Fills an instance with `count` orders: 5 types, 50 customers, amounts, a minute apart. */
async function fill(log: EventLog, count: number): Promise<void> {
  const start = Date.parse('2024-01-01T00:00:00Z');
  for (let i = 0; i < count; i += 5000) {
    const res = await log.appendEvents({
      instanceId: 'orders',
      autoCreateInstance: true,
      events: Array.from({ length: Math.min(5000, count - i) }, (_, k) => {
        const n = i + k;
        return {
          streamId: `order-${n % 1000}`,
          eventType: `type-${n % 5}`,
          payload: { customerId: `c${n % 50}`, amount: n % 97, note: `order ${n} of many` },
          timestamp: start + n * 60_000,
        };
      }),
    });
    if (!res.success) throw new Error(res.error);
  }
}

/** A query that makes SQLite work: every event, JSON extracted, grouped by two keys. */
const heavy: Query = {
  from: { instance: 'orders' },
  where: [{ field: 'payload.note', operator: 'contains', value: 'of' }],
  reduce: {
    type: 'avg',
    field: 'payload.amount',
    groupBy: ['payload.customerId', { field: 'timestamp', interval: 'day' }],
  },
};

describe('Given readWorkers', () => {
  it('when queries and statistics run on read threads, then they answer as the main connection does', async () => {
    const file = newFile();
    const main = open(file);
    await fill(main, 3000);
    const threaded = open(file, { threads: 2 });
    const queries: Query[] = [
      heavy,
      {
        from: { instance: 'orders' },
        where: [{ field: 'event_type', operator: 'eq', value: 'type-1' }],
        limit: 7,
        offset: 3,
      },
      {
        from: { instance: 'orders' },
        orderBy: { field: 'payload.amount', direction: 'desc' },
        select: ['payload.amount'],
        limit: 5,
      },
      {
        from: { instance: 'orders' },
        reduce: { type: 'collect', field: 'payload.customerId', groupBy: ['event_type'] },
      },
      { from: { instance: 'missing' } },
      { from: { instance: 'orders' }, reduce: { type: 'count', groupBy: ['stream_id'] } },
    ];
    for (const query of queries) {
      const [a, b] = await Promise.all([main.queryEvents(query), threaded.queryEvents(query)]);
      const { timestamp: _a, requestId: _ra, ...expected } = a;
      const { timestamp: _b, requestId: _rb, ...actual } = b;
      expect(actual).toEqual(expected);
    }
    expect((await threaded.getInstanceStats('orders')).success).toBe(true);
    expect(await threaded.getInstanceStats('orders')).toMatchObject({
      data: (await main.getInstanceStats('orders')).success ? { eventCount: 3000, streamCount: 1000 } : {},
    });
  });

  it('when a heavy query runs, then an append made after it started commits before it ends: the thread of appends is not blocked', async () => {
    const file = newFile();
    const log = open(file, { threads: 1 });
    await fill(log, 60_000);
    const order: string[] = [];
    const query = log.queryEvents(heavy).then((res) => {
      order.push(res.success ? 'query' : `query failed: ${res.error}`);
    });
    // Let the read start on its thread, then append from this one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const appended = await log.appendEvent({ instanceId: 'orders', eventType: 'late' });
    order.push(appended.success ? 'append' : `append failed: ${appended.error}`);
    await query;
    expect(order).toEqual(['append', 'query']);
  });

  it('when a read passes its time budget, then LIMIT_EXCEEDED, and the next read is served by a fresh thread', async () => {
    const file = newFile();
    const log = open(file, { threads: 1, timeoutMs: 30 });
    await fill(log, 60_000);
    const slow = await log.queryEvents(heavy);
    expect(slow).toMatchObject({
      success: false,
      code: 'LIMIT_EXCEEDED',
      details: { limit: 'readWorkers.timeoutMs' },
    });
    // An index lookup, far inside the budget — unless the machine is so loaded that the (niced)
    // thread waits 30 ms for a core: then that read is stopped too, and the next fresh thread tries.
    const lookup = {
      from: { instance: 'orders' },
      where: [{ field: 'global_position' as const, operator: 'eq' as const, value: 1 }],
    };
    let quick = await log.queryEvents(lookup);
    for (let attempt = 0; attempt < 20 && !quick.success; attempt++) {
      expect(quick).toMatchObject({ success: false, code: 'LIMIT_EXCEEDED' });
      quick = await log.queryEvents(lookup);
    }
    expect(quick).toMatchObject({ success: true, data: { result: { total: 1 } } });
  });

  it('when a result passes maxResultBytes, then LIMIT_EXCEEDED before the rows reach this thread', async () => {
    const file = newFile();
    const log = open(file, { maxResultBytes: 10_000 });
    await fill(log, 1000);
    expect(await log.queryEvents({ from: { instance: 'orders' }, limit: 1000 })).toMatchObject({
      success: false,
      code: 'LIMIT_EXCEEDED',
      details: { limit: 'readWorkers.maxResultBytes' },
    });
    const small = await log.queryEvents({ from: { instance: 'orders' }, limit: 10 });
    expect(small.success ? 'ok' : small.error).toBe('ok');
  });

  it('when the adapter closes with reads in flight, then they fail with STORAGE_ERROR and nothing is left running', async () => {
    const file = newFile();
    const log = createEventLog({ adapter: sqliteAdapter({ file, readWorkers: { threads: 1 } }) });
    await fill(log, 20_000);
    const pending = [log.queryEvents(heavy), log.queryEvents(heavy)];
    await new Promise((resolve) => setTimeout(resolve, 20));
    await log.close();
    const results = await Promise.all(pending);
    for (const res of results) if (!res.success) expect(res.code).toBe('STORAGE_ERROR');
  });

  it('given :memory:, then readWorkers is ignored (other connections cannot see its data) and queries work', async () => {
    const log = createEventLog({ adapter: sqliteAdapter({ file: ':memory:', readWorkers: true }) });
    logs.push(log);
    await fill(log, 10);
    expect(await log.queryEvents({ from: { instance: 'orders' } })).toMatchObject({ success: true });
  });
});
