/**
 * Runs the append child (`append-child.ts`) in another Node process, the way the cross-process
 * tests need it: `node --conditions=@eventlog/source --import tsx`.
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the child with `args`; resolves with its output, rejects when it exits with an error. */
export function runAppendChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@eventlog/source', '--import', 'tsx', CHILD, ...args],
      {
        cwd: PACKAGE_DIR,
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
      else reject(new Error(`append child exited with ${code}: ${err}`));
    });
  });
}
