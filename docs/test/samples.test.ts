/**
 * Every code sample on the site is a program in `docs/samples/`: this test runs each one as a
 * child process against memory and against a fresh SQLite file (`EVENTLOG_URL`), and compares what
 * it prints with `docs/samples/output/<name>.txt`, which the site shows next to the code. Docs that
 * drift from the code fail here. Typechecking is `tsc` over `docs/` (`pnpm typecheck`).
 *
 * After an intended change of output: `UPDATE_SAMPLES=1 pnpm --filter @eventlog/docs test`.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');
const samplesDir = join(docs, 'samples');
const tsx = join(docs, '../node_modules/.bin/tsx');

/** The sample programs: `*.ts` files that are not tests or helpers (`_*.ts`). */
export const SAMPLES = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'eventlog-docs-samples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(
  name: string,
  url: string,
  cwd: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['--conditions=@eventlog/source', join(samplesDir, `${name}.ts`)],
      {
        cwd,
        env: { ...process.env, EVENTLOG_URL: url, NO_COLOR: '1', FORCE_COLOR: '0' },
        timeout: 60_000,
        maxBuffer: 8 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

const BACKENDS = [
  { name: 'memory', url: () => 'memory:' },
  { name: 'SQLite', url: (dir: string) => `sqlite:${join(dir, 'events.db')}` },
] as const;

describe.each(BACKENDS)('docs samples on $name', (backend) => {
  it.concurrent.each(SAMPLES)('%s prints its documented output', async (name) => {
    const cwd = mkdtempSync(join(scratch, `${name}-`));
    const { stdout, stderr, code } = await run(name, backend.url(cwd), cwd);
    expect(code, `samples/${name}.ts exited with ${code}:\n${stderr}`).toBe(0);
    const file = join(samplesDir, 'output', `${name}.txt`);
    if (process.env.UPDATE_SAMPLES === '1' && backend.name === 'memory') writeFileSync(file, stdout);
    let expected: string;
    try {
      expected = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`samples/output/${name}.txt is missing: run with UPDATE_SAMPLES=1 once, then read it.`);
    }
    expect(stdout, `the output of samples/${name}.ts on ${backend.name}`).toBe(expected);
  });
});

describe('the sample outputs', () => {
  it('each output file belongs to a sample', () => {
    const outputs = readdirSync(join(samplesDir, 'output')).map((f) => f.replace(/\.txt$/, ''));
    expect(outputs.filter((o) => !SAMPLES.includes(o))).toEqual([]);
  });
});
