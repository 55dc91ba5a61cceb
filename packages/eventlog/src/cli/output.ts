/**
 * How the CLI talks to its caller: JSON on stdout (with backpressure), errors on stderr with a
 * non-zero exit code, and a progress line on stderr.
 */

import type { ErrorCode } from '@eventlog/core';
import { EventLogError } from '@eventlog/core';

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

/** Prints a value as indented JSON on stdout. */
export async function printJson(value: unknown): Promise<void> {
  await write(process.stdout, `${JSON.stringify(value, null, 2)}\n`);
}

/** Describes a thrown value for stderr: `CODE: message`. */
export function describeFailure(error: unknown): { text: string; exitCode: number } {
  if (error instanceof CliError) {
    return {
      text: error.code === undefined ? error.message : `${error.code}: ${error.message}`,
      exitCode: error.exitCode,
    };
  }
  if (EventLogError.isInstance(error))
    return { text: `${error.code}: ${error.message}`, exitCode: EXIT_FAILURE };
  return { text: error instanceof Error ? error.message : String(error), exitCode: EXIT_FAILURE };
}

/**
 * A progress line on stderr: rewritten in place on a terminal (at most every 200 ms), printed as
 * a new line every 5 s otherwise (logs, pipes), and always once at the end.
 */
export class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string) {}

  /** Reports progress; cheap to call often. */
  update(text: string): void {
    const now = Date.now();
    if (now - this.last < (this.tty ? 200 : 5000)) return;
    this.last = now;
    this.show(text);
  }

  /** Prints the final line. */
  done(text: string): void {
    this.show(text);
    if (this.tty) process.stderr.write('\n');
  }

  private show(text: string): void {
    const line = `${this.label}: ${text}`;
    if (this.tty) process.stderr.write(`\r\u001b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }
}
