/**
 * Test helpers for the CLI: runs the real `eventlog` bin on the TypeScript sources in a child
 * process, with stdin closed (not a terminal) and without `EVENTLOG_URL` / `EVENTLOG_TOKEN`.
 * (Under src/test/, which the build excludes.)
 */

import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running bin. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** What a finished run printed, its exit code and how long it took. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Children started by {@link startCli}; kill them after each test with {@link killCliProcesses}. */
const children: ChildProcess[] = [];

/** Starts the bin in `cwd`. */
export function startCli(args: string[], cwd: string, env: Record<string, string> = {}): CliProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.EVENTLOG_URL === undefined) delete childEnv.EVENTLOG_URL;
  if (env.EVENTLOG_TOKEN === undefined) delete childEnv.EVENTLOG_TOKEN;
  const child = spawn(process.execPath, ['--conditions=@eventlog/source', '--import', TSX, CLI, ...args], {
    cwd,
    env: childEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdin?.end();
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    err += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs the bin to completion. */
export async function runCli(args: string[], cwd: string, env?: Record<string, string>): Promise<CliResult> {
  const started = Date.now();
  const p = startCli(args, cwd, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr(), ms: Date.now() - started };
}

/** Polls `check` every 20 ms until it holds; throws after `ms`. */
export async function waitUntil(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kills the children still running. */
export function killCliProcesses(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** True when util-linux `script` can give the bin a terminal (see {@link runCliOnTerminal}). */
export const canRunOnTerminal = spawnSync('script', ['--version']).status === 0;

/**
 * Runs the bin with a pseudo-terminal as stdin, stdout and stderr (through util-linux `script`),
 * as a person at a terminal would; resolves with what it printed (stdout and stderr together).
 */
export function runCliOnTerminal(args: string[], cwd: string): Promise<string> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [process.execPath, '--conditions=@eventlog/source', '--import', TSX, CLI, ...args]
    .map(quote)
    .join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.EVENTLOG_URL;
  delete env.EVENTLOG_TOKEN;
  return new Promise((resolve, reject) => {
    execFile('script', ['-qec', line, '/dev/null'], { cwd, env }, (error, stdout) => {
      if (error !== null && error.code === undefined) reject(error);
      else resolve(stdout.replace(/\r/g, ''));
    });
  });
}
