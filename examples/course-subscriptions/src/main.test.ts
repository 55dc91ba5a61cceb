import { storeUrlsForTests } from '@eventlog/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

// memory, a SQLite file, and PostgreSQL (a fresh schema) when EVENTLOG_TEST_PG_URL is set (always in CI).
const URLS = storeUrlsForTests('course_example');

describe('the course-subscriptions example', () => {
  it.each(URLS)(
    'given %s, when 30 subscriptions race, then no course is overbooked and no student exceeds the limit',
    async (URL) => {
      const lines: string[] = [];
      const report = await main(URL, (line) => lines.push(line));
      expect(report.perCourse).toEqual({ math: 3, music: 4, art: 7 });
      for (const n of Object.values(report.perStudent)) expect(n).toBeLessThanOrEqual(2);
      expect(Object.values(report.perStudent).reduce((a, b) => a + b, 0)).toBe(14);
      expect(report.refused).toBe(16);
      expect(lines.at(-1)).toBe('every student takes at most 2 courses; no course is overbooked');
    },
  );
});
