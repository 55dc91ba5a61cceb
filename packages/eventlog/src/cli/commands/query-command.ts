/**
 * `eventlog query` and `eventlog stats`.
 */

import type { Command } from 'commander';
import { readJsonArgument } from '../json-input.js';
import { printJson, unwrap, usageError } from '../output.js';
import { targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** Registers `query`. */
export function queryCommand(program: Command): void {
  targetOptions(
    program
      .command('query [json]')
      .description(
        'run a query in the JSON DSL, given inline, as @file, as - (stdin) or with --file; prints the result',
      )
      .option('-f, --file <path>', 'read the query from a file'),
  ).action((json: string | undefined, options: TargetOptions & { file?: string }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      if ((json === undefined) === (options.file === undefined)) {
        throw usageError(
          'query needs the query JSON either as an argument or with --file <path> (not both).',
        );
      }
      const query = await readJsonArgument(json ?? `@${options.file}`, 'The query');
      await printJson(unwrap<{ result: unknown }>(await eventLog.queryEvents(query as never)).result);
    }),
  );
}

/** Registers `stats`. */
export function statsCommand(program: Command): void {
  targetOptions(program.command('stats <instance>').description("show an instance's statistics")).action(
    (instance: string, options: TargetOptions) =>
      withTarget(targetOf(options), async ({ eventLog }) => {
        await printJson(unwrap(await eventLog.getInstanceStats(instance)));
      }),
  );
}
