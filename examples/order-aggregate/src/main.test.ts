import { describe, expect, it } from 'vitest';
import { main } from './main.js';

// CI can point this at another store: EXAMPLES_EVENTLOG_URL=sqlite::memory: or postgres://…
const URL = process.env.EXAMPLES_EVENTLOG_URL ?? 'memory:';

describe('the order-aggregate example', () => {
  it(`given ${URL}, when run, then 20 concurrent commands all succeed and the order ships with all 20 items`, async () => {
    const lines: string[] = [];
    const order = await main(URL, (line) => lines.push(line));
    expect(order.status).toBe('shipped');
    expect(Object.values(order.lines).reduce((n, line) => n + line.quantity, 0)).toBe(39);
    expect(lines).toContain('20 concurrent "add item" commands: 20 succeeded, versions 2…21 without gaps');
    expect(lines.some((l) => /^snapshot stored at version \d+/.test(l) && !l.includes('version 0'))).toBe(
      true,
    );
  });
});
