import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

const EXPECTED = readFileSync(new URL('../expected-output.txt', import.meta.url), 'utf8')
  .trimEnd()
  .split('\n');

// Every backend to compare, besides memory: BACKEND_SWAP_URLS="sqlite::memory: postgres://…" in CI.
const URLS = ['memory:', ...(process.env.BACKEND_SWAP_URLS ?? '').split(/[\s,]+/).filter((u) => u !== '')];

describe('the backend-swap example', () => {
  it.each(URLS)('given %s, when run, then it prints exactly the expected output', async (url) => {
    const lines: string[] = [];
    await main(url, (line) => lines.push(line));
    expect(lines).toEqual(EXPECTED);
  });
});
