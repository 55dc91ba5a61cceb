import { createEventLog, type StorageAdapter } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { liveQuery } from './live-query.js';

/** A memory adapter whose first `headPosition` lets `meanwhile` commit before it answers. */
function racingAdapter(meanwhile: (adapter: StorageAdapter) => Promise<void>): StorageAdapter {
  const adapter = memoryAdapter();
  let raced = false;
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'headPosition') {
        return async (id: string) => {
          const head = await target.headPosition(id);
          if (!raced) {
            raced = true;
            await meanwhile(target);
          }
          return head;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('liveQuery', () => {
  it('given a commit between reading the head and running the query, then it is counted once (results are snapshots at the head)', async () => {
    let instanceId = '';
    const adapter = racingAdapter(async () => {
      const other = createEventLog({ adapter });
      await other.store.appendEvent({ instanceId, eventType: 'late' });
    });
    const log = createEventLog({ adapter });
    instanceId = (await log.store.createInstance('race')).id;
    await log.store.appendEvents({
      instanceId,
      events: [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }],
    });
    const counts = await firstValueFrom(
      liveQuery(log, { from: { instance: 'race' }, reduce: { type: 'count' } }).pipe(take(2), toArray()),
    );
    expect(counts.map((r) => r.aggregation?.value)).toEqual([3, 4]);
    expect(counts.map((r) => r.total)).toEqual([3, 4]);
    await log.close();
  });

  it('given incremental: false, then every refresh runs the query, with the same results', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const { id } = await log.store.createInstance('plain');
    const values: unknown[] = [];
    const sub = liveQuery(
      log.store,
      { from: { instance: id }, reduce: { type: 'sum', field: 'payload.x' } },
      { incremental: false },
    ).subscribe((r) => values.push(r.aggregation?.value));
    await expect.poll(() => values).toEqual([0]);
    await log.store.appendEvent({ instanceId: id, eventType: 'e', payload: { x: 2.5 } });
    await expect.poll(() => values).toEqual([0, 2.5]);
    await log.store.appendEvent({ instanceId: id, eventType: 'e', payload: { x: 1 } });
    await expect.poll(() => values).toEqual([0, 2.5, 3.5]);
    sub.unsubscribe();
    await log.close();
  });

  it('given a query on a missing instance or an invalid source, then it errors', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    await expect(firstValueFrom(liveQuery(log, { from: { instance: 'nope' } }))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(firstValueFrom(liveQuery({} as never, { from: { instance: 'nope' } }))).rejects.toThrow(
      /EventLog/,
    );
    await log.close();
  });
});
