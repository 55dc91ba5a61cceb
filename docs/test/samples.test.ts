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
import { describePostgres, usePostgres } from '@eventlog/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..');
const samplesDir = join(docs, 'samples');
const tsx = join(docs, '../node_modules/.bin/tsx');

/** The sample programs: `*.ts` files that are not tests or helpers (`_*.ts`). */
export const SAMPLES = readdirSync(samplesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

/**
 * Samples that need PostgreSQL with a streaming replica (`DATABASE_URL`, `REPLICA_URLS`): they run
 * only in the PostgreSQL block below, against the test database and its replica.
 */
const POSTGRES_SAMPLES = ['scaling'];

const scratch = mkdtempSync(join(tmpdir(), 'eventlog-docs-samples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(
  name: string,
  url: string,
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(
      tsx,
      ['--conditions=@eventlog/source', join(samplesDir, `${name}.ts`)],
      {
        cwd,
        env: { ...process.env, EVENTLOG_URL: url, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
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

/** Checks a sample's run against `output/<name>.txt` (which `UPDATE_SAMPLES=1` rewrites when `update`). */
function expectDocumented(
  name: string,
  backend: string,
  result: { stdout: string; stderr: string; code: number },
  update: boolean,
): void {
  const { stdout, stderr, code } = result;
  expect(code, `samples/${name}.ts exited with ${code}:\n${stderr}`).toBe(0);
  const file = join(samplesDir, 'output', `${name}.txt`);
  if (process.env.UPDATE_SAMPLES === '1' && update) writeFileSync(file, stdout);
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`samples/output/${name}.txt is missing: run with UPDATE_SAMPLES=1 once, then read it.`);
  }
  expect(stdout, `the output of samples/${name}.ts on ${backend}`).toBe(expected);
}

describe.each(BACKENDS)('docs samples on $name', (backend) => {
  const samples = SAMPLES.filter((s) => !POSTGRES_SAMPLES.includes(s));
  it.concurrent.each(samples)('%s prints its documented output', async (name) => {
    const cwd = mkdtempSync(join(scratch, `${name}-`));
    expectDocumented(name, backend.name, await run(name, backend.url(cwd), cwd), backend.name === 'memory');
  });
});

describePostgres('docs samples on PostgreSQL with a replica', (url) => {
  const pg = usePostgres({ prefix: 'docs_sample', scope: 'test' });

  it.for(POSTGRES_SAMPLES)('%s prints its documented output', async (name, ctx) => {
    const replica = process.env.EVENTLOG_TEST_PG_REPLICA_URL;
    if (replica === undefined) {
      const missing = 'set EVENTLOG_TEST_PG_REPLICA_URL (eval "$(bash scripts/pg-replica-setup.sh)")';
      if (process.env.CI === 'true') throw new Error(`No PostgreSQL replica under CI=true: ${missing}.`);
      ctx.skip(`SKIPPED: ${missing}`);
      return;
    }
    const withSchema = (u: string) => {
      const parsed = new URL(u);
      parsed.searchParams.set('schema', pg.schema);
      return parsed.toString();
    };
    const cwd = mkdtempSync(join(scratch, `${name}-`));
    const env = { DATABASE_URL: withSchema(url), REPLICA_URLS: withSchema(replica) };
    expectDocumented(name, 'PostgreSQL', await run(name, 'memory:', cwd, env), true);
  });
});

describe('the sample outputs', () => {
  it('each output file belongs to a sample', () => {
    const outputs = readdirSync(join(samplesDir, 'output')).map((f) => f.replace(/\.txt$/, ''));
    expect(outputs.filter((o) => !SAMPLES.includes(o))).toEqual([]);
  });
});
