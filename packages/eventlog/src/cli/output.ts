/**
 * How the CLI talks to its caller: JSON on stdout (with backpressure), errors on stderr with a
 * non-zero exit code (1: the operation failed, 2: a usage error), and a progress line on stderr.
 */

import type { ErrorCode } from '@eventlog/core';
import { EventLogError } from '@eventlog/core';
import { formatHuman } from './human.js';

/** Exit code of a failed envelope or a failed operation. */
export const EXIT_FAILURE = 1;
/** Exit code of a usage error (bad flags, unreadable JSON input). */
export const EXIT_USAGE = 2;

/** A failure the CLI reports and exits with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** An envelope, as far as the CLI reads it. */
export interface EnvelopeLike {
  success: boolean;
  data?: unknown;
  error?: string;
  code?: ErrorCode;
}

/** The data of a successful envelope; throws a {@link CliError} carrying the envelope's error otherwise. */
export function unwrap<T>(envelope: EnvelopeLike): T {
  if (envelope.success) return envelope.data as T;
  throw new CliError(envelope.error ?? 'The request failed.', EXIT_FAILURE, envelope.code ?? 'STORAGE_ERROR');
}

/**
 * Writes a string to a stream, waiting for `drain` when the stream's buffer is full, so a slow
 * reader (a pipe into `less`, a slow disk) holds the producer back instead of filling memory.
 */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> | undefined {
  if (stream.write(text)) return undefined;
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** `--json` was given: JSON even on a terminal. */
let jsonRequested = false;

/** Records the running command's `--json` (set by the program before each action). */
export function setJsonOutput(json: boolean): void {
  jsonRequested = json;
}

/** True when results are for a person: stdout is a terminal and `--json` was not given. */
export function isHumanOutput(): boolean {
  return !jsonRequested && process.stdout.isTTY === true;
}

/**
 * Prints a command's result on stdout: indented JSON (pipes, scripts, `--json`), or on a terminal
 * the same value as text for a person ({@link formatHuman}).
 */
export async function printResult(value: unknown): Promise<void> {
  const text = isHumanOutput() ? formatHuman(value) : JSON.stringify(value, null, 2);
  await write(process.stdout, `${text}\n`);
}

/** The former name of {@link printResult}. */
export const printJson = printResult;

/**
 * Rewrites an error message written for API callers into advice for CLI users: API options and
 * methods become the flags and commands that do the same, and a refused token names `--token`.
 */
export function forCliUsers(message: string, code: ErrorCode | undefined): string {
  let text = message
    .replace(
      /Instance "([^"]*)" was not found: no instance has this id or name\. Create it with createInstance, or pass autoCreateInstance: true when appending\./,
      (_, ref: string) =>
        `Instance "${ref}" was not found: no instance has this id or name. Create it with "eventlog instances create ${ref}", or pass --create to append or import.`,
    )
    .replace(/\bautoCreateInstance: true\b/g, '--create')
    .replace(/ \(none was given: pass connect\(url, \{ token \}\)\)/, ' (none was given)')
    .replace(/needs a token\. Send it as "Authorization: Bearer <token>".*$/, 'needs a token.');
  if (code === 'UNAUTHORIZED' || (code === 'VALIDATION_ERROR' && /\btoken\b/i.test(text))) {
    text += " Pass the server's token with --token <secret>, or set $EVENTLOG_TOKEN.";
  }
  return text;
}

/** Describes a thrown value for stderr: `CODE: message`. */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) {
    return {
      text:
        error.code === undefined ? error.message : `${error.code}: ${forCliUsers(error.message, error.code)}`,
      exitCode: error.exitCode,
    };
  }
  if (EventLogError.isInstance(error))
    return { text: `${error.code}: ${forCliUsers(error.message, error.code)}`, exitCode: EXIT_FAILURE };
  return { text: error instanceof Error ? error.message : String(error), exitCode: EXIT_FAILURE };
}

/**
 * A progress line on stderr: rewritten in place on a terminal (at most every 200 ms), printed as
 * a new line every 5 s otherwise (logs, pipes), and always once at the end — a run shorter than
 * 5 s prints only the final line when stderr is not a terminal.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  /** When a line was last shown; without a terminal, the first line waits its 5 s too. */
  private last = this.tty ? 0 : Date.now();
  private lastLine: string | undefined;

  constructor(private readonly label: string) {}

  /** Reports progress; cheap to call often. */
  update(text: string): void {
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    this.show(text);
  }

  /** Prints the final line (once: not again when it is the line shown last). */
  done(text: string): void {
    if (this.tty || `${this.label}: ${text}` !== this.lastLine) this.show(text);
    if (this.tty) process.stderr.write('\n');
  }

  private show(text: string): void {
    const line = `${this.label}: ${text}`;
    this.lastLine = line;
    if (this.tty) process.stderr.write(`\r\u001b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }
}
