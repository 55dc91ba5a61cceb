/**
 * A real Chromium for the console's end-to-end tests: Debian's `chromium` package (installed by
 * `scripts/browser-setup.sh`; nothing is downloaded), driven by playwright-core, headless, with a
 * fresh profile per run. Without a browser the tests are skipped with the reason printed, except
 * under `CI=true`, where they fail. (Under src/test/, which the build excludes.)
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

const PACKAGE = fileURLToPath(new URL('../../', import.meta.url));

/** Where the tests leave their screenshots (git-ignored; CI keeps them as artifacts). */
export const SCREENSHOTS = join(PACKAGE, 'test-results', 'screenshots');

/** The Chromium binary to use, or why there is none. */
export function findChromium(): { path: string } | { missing: string } {
  const candidates = [process.env.EVENTLOG_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const candidate of candidates) {
    if (candidate !== undefined && candidate !== '' && existsSync(candidate)) return { path: candidate };
  }
  return {
    missing:
      'no Chromium found (EVENTLOG_TEST_CHROMIUM, /usr/bin/chromium): run `eval "$(bash scripts/browser-setup.sh)"`',
  };
}

/** The flags Chromium needs here: headless, as root, on a machine with no outside network. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A launched browser with a fresh profile; `close()` removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh `--user-data-dir`. */
export async function launchBrowser(executablePath: string): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'eventlog-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/**
 * Makes sure `dist/console` holds a build of the current console sources (`pnpm build` makes it;
 * a test run straight after editing the console builds it here, in a few seconds).
 */
export function ensureConsoleBuilt(): string {
  const source = join(PACKAGE, 'console');
  const built = join(PACKAGE, 'dist', 'console', 'index.html');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(source)) {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('vite/package.json');
    const bin = (require('vite/package.json') as { bin: Record<string, string> }).bin.vite as string;
    execFileSync(
      process.execPath,
      [join(dirname(manifest), bin), 'build', '--config', join(source, 'vite.config.ts')],
      {
        cwd: PACKAGE,
        stdio: 'inherit',
      },
    );
  }
  return join(PACKAGE, 'dist', 'console');
}

/** Makes the screenshot folder. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
