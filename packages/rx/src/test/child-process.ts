/**
 * Runs the append child (`append-child.ts`) in another Node process, the way the cross-process
 * tests need it.
 */

import { fileURLToPath } from 'node:url';
import { runTypeScript } from '@eventlog/test-support';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the child with `args`; resolves with its output, rejects when it exits with an error. */
export function runAppendChild(args: string[]): Promise<string> {
  return runTypeScript(CHILD, args, PACKAGE_DIR);
}
