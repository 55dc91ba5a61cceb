import { storeUrlsForTests } from '@eventlog/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

// memory, a SQLite file, and PostgreSQL (a fresh schema) when EVENTLOG_TEST_PG_URL is set (always in CI).
const URLS = storeUrlsForTests('order_example');

describe('the order-aggregate example', () => {
  it.each(URLS)(
    'given %s, when run, then 20 concurrent commands all succeed and the order ships with all 20 items',
    async (URL) => {
      const lines: string[] = [];
      const order = await main(URL, (line) => lines.push(line));
      expect(order.status).toBe('shipped');
      expect(Object.values(order.lines).reduce((n, line) => n + line.quantity, 0)).toBe(39);
      expect(lines).toContain('20 concurrent "add item" commands: 20 succeeded, versions 2…21 without gaps');
      expect(lines.some((l) => /^snapshot stored at version \d+/.test(l) && !l.includes('version 0'))).toBe(
        true,
      );
    },
  );
});
