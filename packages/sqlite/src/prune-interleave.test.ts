import { createEventLog } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { sqliteAdapter } from './sqlite-adapter.js';

describe('pruneExpired on SQLite', () => {
  it('given a prune of many batches, when an append is made after it started, then the append commits before the prune ends', async () => {
    const log = createEventLog({ adapter: sqliteAdapter({ file: ':memory:' }), pruneBatchSize: 50 });
    try {
      await log.createInstance('audit');
      const old = Date.parse('2020-01-01T00:00:00Z');
      for (let b = 0; b < 10; b++) {
        const res = await log.appendEvents({
          instanceId: 'audit',
          events: Array.from({ length: 200 }, (_, i) => ({
            streamId: `s${i % 7}`,
            eventType: 'seen',
            timestamp: old + b * 200 + i,
          })),
        });
        expect(res.success).toBe(true);
      }
      await log.setRetention({ instanceId: 'audit', maxAgeMs: 86_400_000 });

      const order: string[] = [];
      const prune = log.pruneExpired({ instanceId: 'audit' }).then((res) => {
        order.push(res.success ? `prune ${res.data.deletedEvents}` : `prune failed: ${res.error}`);
      });
      // Other work of the process (a request, a timer) gets its turn between two batches: the
      // prune's 40 transactions must not run back to back without letting it in.
      await new Promise((resolve) => setImmediate(resolve));
      const appended = await log.appendEvent({ instanceId: 'audit', eventType: 'live' });
      order.push(appended.success ? 'append' : `append failed: ${appended.error}`);
      await prune;
      expect(order).toEqual(['append', 'prune 2000']);
    } finally {
      await log.close();
    }
  });
});
