/**
 * Runs a TypeScript file of the workspace in another Node process, as multi-process tests need:
 * `node --conditions=@eventlog/source --import tsx <file> <args>`, so workspace packages resolve to
 * their sources as they do under vitest.
 */

import { spawn } from 'node:child_process';

/**
 * Runs `file` with `args` in `cwd` (a package folder, so `tsx` resolves); resolves with its
 * standard output, rejects with its standard error when it exits with an error.
 */
export function runTypeScript(file: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@eventlog/source', '--import', 'tsx', file, ...args],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${file} exited with ${code}: ${err}`));
    });
  });
}
