/**
 * `eventlog query` and `eventlog stats`.
 */

import type { RemoteEventLog } from '@eventlog/client';
import type { Command } from 'commander';
import { queryArchive } from '../archive-query.js';
import { readJsonArgument } from '../json-input.js';
import { printResult, unwrap, usageError } from '../output.js';
import { reportFailure, targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** Registers `query`. */
export function queryCommand(program: Command): void {
  targetOptions(
    program
      .command('query [json]')
      .description(
        'run a query in the JSON DSL, given inline, as @file, as - (stdin) or with --file; prints { result }',
      )
      .option('--file <path>', 'read the query from a file (like @path)')
      .option('--archive <dir>', 'query an archive directory (read-only, in memory) instead of the store')
      .option('--keys-from <url>', "with --archive: read personal fields with this store's subject keys"),
  ).action(async (json: string | undefined, options: TargetOptions & QueryOptions) => {
    // The query is read first: a missing or malformed one is a usage error (exit 2) whatever the store.
    let query: unknown;
    try {
      if ((json === undefined) === (options.file === undefined)) {
        throw usageError(
          'query needs the query JSON either as an argument or with --file <path> (not both).',
        );
      }
      query = await readJsonArgument(json ?? `@${options.file}`, 'The query');
    } catch (error) {
      reportFailure(error);
      return;
    }
    const run = async (eventLog: Pick<RemoteEventLog, 'queryEvents'>) => {
      await printResult(unwrap(await eventLog.queryEvents(query as never)));
    };
    return options.archive === undefined
      ? withTarget(targetOf(options), ({ eventLog }) => run(eventLog))
      : queryArchive(options.archive, options.keysFrom, run);
  });
}

interface QueryOptions {
  file?: string;
  archive?: string;
  keysFrom?: string;
}

/** Registers `stats`. */
export function statsCommand(program: Command): void {
  targetOptions(program.command('stats <instance>').description("show an instance's statistics")).action(
    (instance: string, options: TargetOptions) =>
      withTarget(targetOf(options), async ({ eventLog }) => {
        await printResult(unwrap(await eventLog.getInstanceStats(instance)));
      }),
  );
}
