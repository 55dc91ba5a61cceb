/**
 * JSON given on the command line: inline text, `@path` (a file) or `-` (stdin).
 */

import { readFile } from 'node:fs/promises';
import { usageError } from './output.js';

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses JSON from inline text, `@file` or `-` (stdin).
 *
 * @param what names the input in error messages: `--payload`, `the query`
 * @throws CliError (usage) when it cannot be read or parsed
 */
export async function readJsonArgument(value: string, what: string): Promise<unknown> {
  let text = value;
  if (value === '-') text = await readStdin();
  else if (value.startsWith('@')) {
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (error) {
      throw usageError(`Cannot read ${what} from ${value.slice(1)}: ${(error as Error).message}`);
    }
  }
  return parseJson(text, what);
}

/** `JSON.parse` with a usage error naming the input. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Parses a JSON object (not an array or a scalar). */
export async function readJsonObject(value: string, what: string): Promise<Record<string, unknown>> {
  const parsed = await readJsonArgument(value, what);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw usageError(`${what} must be a JSON object, like '{"key":"value"}'.`);
  }
  return parsed as Record<string, unknown>;
}
