/**
 * Confirmation of destructive commands: a question on a terminal, `--yes` otherwise.
 */

import { createInterface } from 'node:readline/promises';
import { CliError, EXIT_FAILURE, usageError } from './output.js';

/**
 * Asks `question` on a terminal and continues only on "y"/"yes"; without a terminal (a script, a
 * pipe) it refuses unless `yes` was given.
 *
 * @throws CliError when declined, or without a terminal and `--yes`
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes === true) return;
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw usageError(
      `${question} This cannot be undone, and stdin is not a terminal to ask: pass --yes to confirm.`,
    );
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`${question} This cannot be undone. Continue? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Cancelled; nothing was changed.', EXIT_FAILURE);
  } finally {
    prompt.close();
  }
}
