import { readFileSync } from 'node:fs';
import { storeUrlsForTests } from '@eventlog/test-support';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

const EXPECTED = readFileSync(new URL('../expected-output.txt', import.meta.url), 'utf8')
  .trimEnd()
  .split('\n');

// memory, a SQLite file, and PostgreSQL (a fresh schema) when EVENTLOG_TEST_PG_URL is set (always in CI).
const URLS = storeUrlsForTests('backend_swap');

describe('the backend-swap example', () => {
  it.each(URLS)('given %s, when run, then it prints exactly the expected output', async (url) => {
    const lines: string[] = [];
    await main(url, (line) => lines.push(line));
    expect(lines).toEqual(EXPECTED);
  });
});
