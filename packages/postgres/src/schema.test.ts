import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from './migrator.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('drizzle schema and committed migrations', () => {
  it('given src/schema.ts, when drizzle-kit compares it with drizzle/, then there is nothing left to generate', async () => {
    const out = mkdtempSync(join(tmpdir(), 'eventlog-drizzle-'));
    try {
      cpSync(MIGRATIONS_FOLDER, out, { recursive: true });
      const before = readdirSync(out).sort();
      const { stdout } = await promisify(execFile)(
        join(PACKAGE_DIR, 'node_modules/.bin/drizzle-kit'),
        // drizzle-kit prefixes `./` to the folder: give it a relative path.
        [
          'generate',
          '--dialect',
          'postgresql',
          '--schema',
          './src/schema.ts',
          '--out',
          relative(PACKAGE_DIR, out),
        ],
        { cwd: PACKAGE_DIR },
      );
      expect(stdout).toMatch(/No schema changes/);
      expect(readdirSync(out).sort()).toEqual(before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
