/**
 * Running a command: open the target, run, close, and turn failures into stderr and an exit code.
 */

import type { Command } from 'commander';
import { describeFailure, usageError } from './output.js';
import { openTarget, type Target, type TargetOptions } from './target.js';

/**
 * Reports a failure on stderr and sets the exit code. `store` (the target's label) is named when
 * something was not found, in case the wrong store was opened.
 */
export function reportFailure(error: unknown, store?: string): void {
  const { text, exitCode } = describeFailure(error);
  const where = store !== undefined && /^NOT_FOUND: /.test(text) ? ` (store: ${store})` : '';
  process.stderr.write(`eventlog: ${text}${where}\n`);
  process.exitCode = exitCode;
}

/**
 * Opens the target the options name, runs `fn` with it, and closes it, whatever happens. A
 * failure is printed on stderr (`eventlog: CODE: message`) with a non-zero exit code.
 */
export async function withTarget(
  options: TargetOptions,
  fn: (target: Target) => Promise<void>,
): Promise<void> {
  let target: Target | undefined;
  try {
    target = await openTarget(options);
    await fn(target);
  } catch (error) {
    reportFailure(error, target?.label);
  } finally {
    await target?.close().catch(() => undefined);
  }
}

/**
 * Like {@link withTarget}, with the command's checks of its arguments and options run first:
 * a bad value is a usage error (exit 2) whatever the store, even one that does not exist.
 */
export async function withCheckedTarget<T>(
  options: TargetOptions,
  check: () => T | Promise<T>,
  fn: (checked: T, target: Target) => Promise<void>,
): Promise<void> {
  let checked: T;
  try {
    checked = await check();
  } catch (error) {
    reportFailure(error);
    return;
  }
  await withTarget(options, (target) => fn(checked, target));
}

/** Parses an integer option, or fails with a usage error naming it. */
export function integerOption(value: string, name: string, min = 0): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw usageError(`${name} must be an integer ≥ ${min}, got "${value}".`);
  }
  return n;
}

/** Adds `--url` and `--token` to a command. */
export function targetOptions(command: Command): Command {
  return command
    .option(
      '--url <url>',
      'store URL or ws:// server URL (default: $EVENTLOG_URL, else sqlite:./eventlog.db)',
    )
    .option('--token <secret>', 'the server token, for ws:// URLs (default: $EVENTLOG_TOKEN)');
}

/**
 * The target options of a command, with the token's environment default. A command's `--create`
 * (create what is missing) also lets it create the store.
 */
export function targetOf(options: TargetOptions): TargetOptions {
  const token = options.token ?? process.env.EVENTLOG_TOKEN;
  return {
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(token ? { token } : {}),
    ...(options.create === true ? { create: true } : {}),
  };
}
