/**
 * The web console's built files (`dist/console/`, made by `vite build` as part of the package's
 * build), served at `/`. They are read once into memory when the server starts: a few hundred
 * kilobytes, so answering never touches the disk.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The headers of every console file: it may talk to its own server only, and no other site may
 * frame it. Observable Plot styles its SVG inline, hence `'unsafe-inline'` for styles only.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  immutable: boolean;
}

/** The console's files, by URL path. */
export interface ConsoleAssets {
  /** Answers a GET for `path`; false when there is no such file. */
  serve(path: string, response: ServerResponse, head: boolean): boolean;
  /** Where the files were read from. */
  readonly directory: string;
}

/**
 * The package's folder: the nearest folder above this file whose package.json is the `eventlog`
 * package's (this file runs from `src/server/http/` in the workspace, `dist/server/http/` when
 * installed).
 */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'eventlog')
          return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) return here;
  }
}

/** The default folder of the built console: `<package>/dist/console`. */
export function defaultConsoleDirectory(): string {
  return join(packageRoot(), 'dist', 'console');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * Loads the built console from `directory`; undefined when it has not been built (the server then
 * answers `/` with a page saying how to build it).
 */
export function loadConsoleAssets(directory = defaultConsoleDirectory()): ConsoleAssets | undefined {
  if (!existsSync(join(directory, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  for (const file of walk(directory)) {
    const path = `/${relative(directory, file).split(sep).join('/')}`;
    assets.set(path, {
      body: readFileSync(file),
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      // Vite names built assets by their content hash.
      immutable: path.startsWith('/assets/'),
    });
  }
  return {
    directory,
    serve(path, response, head) {
      const asset = assets.get(path === '/' ? '/index.html' : path);
      if (asset === undefined) return false;
      response.writeHead(200, {
        'content-type': asset.type,
        'content-length': String(asset.body.length),
        'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...SECURITY_HEADERS,
      });
      response.end(head ? undefined : asset.body);
      return true;
    },
  };
}

/** The page `/` shows when the console was not built. */
export function consoleMissingPage(response: ServerResponse): void {
  const text =
    '<!doctype html><meta charset="utf-8"><title>Event Log</title><p>The web console is not built. Run <code>pnpm build</code> in the eventlog package (it runs <code>vite build</code>), then restart the server. The HTTP API is at <code>/v1/eventLog.&lt;method&gt;</code>.</p>';
  response.writeHead(503, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
  response.end(text);
}
