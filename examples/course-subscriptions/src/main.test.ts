import { describe, expect, it } from 'vitest';
import { main } from './main.js';

// CI can point this at another store: EXAMPLES_EVENTLOG_URL=sqlite::memory: or postgres://…
const URL = process.env.EXAMPLES_EVENTLOG_URL ?? 'memory:';

describe('the course-subscriptions example', () => {
  it(`given ${URL}, when 30 subscriptions race, then no course is overbooked and no student exceeds the limit`, async () => {
    const lines: string[] = [];
    const report = await main(URL, (line) => lines.push(line));
    expect(report.perCourse).toEqual({ math: 3, music: 4, art: 7 });
    for (const n of Object.values(report.perStudent)) expect(n).toBeLessThanOrEqual(2);
    expect(Object.values(report.perStudent).reduce((a, b) => a + b, 0)).toBe(14);
    expect(report.refused).toBe(16);
    expect(lines.at(-1)).toBe('every student takes at most 2 courses; no course is overbooked');
  });
});
