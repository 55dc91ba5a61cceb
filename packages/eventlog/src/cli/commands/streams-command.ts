/**
 * `eventlog streams delete|truncate`: remove a stream's events (SPEC §9), recorded as
 * `$stream.deleted` / `$stream.truncated` events of the `$system` stream.
 */

import type { Command } from 'commander';
import { confirm } from '../confirm.js';
import { printResult, unwrap, usageError } from '../output.js';
import { integerOption, targetOf, targetOptions, withCheckedTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

interface RemovalOptions extends TargetOptions {
  yes?: boolean;
  expectedVersion?: string;
  before?: string;
}

/** `--expected-version`: a number or `no_stream`, `any`, `stream_exists`. */
function expectedVersionOption(value: string): number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (['no_stream', 'any', 'stream_exists'].includes(value)) return value;
  throw usageError(
    `--expected-version must be a version (an integer ≥ 0), no_stream, any or stream_exists; got "${value}".`,
  );
}

/** Registers `streams`. */
export function streamsCommand(program: Command): void {
  const streams = program.command('streams').description("delete or truncate a stream's events");

  targetOptions(
    streams
      .command('delete <instance> <stream>')
      .description(
        "delete a stream's events (recorded as a $stream.deleted event; the stream's next event continues its sequence)",
      )
      .option('--expected-version <version>', "only if the stream's version is this (else CONFLICT)")
      .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
  ).action((instance: string, stream: string, options: RemovalOptions) =>
    withCheckedTarget(
      targetOf(options),
      () =>
        options.expectedVersion === undefined ? undefined : expectedVersionOption(options.expectedVersion),
      async (expectedVersion, { eventLog }) => {
        await confirm(`Delete every event of stream "${stream}" in instance "${instance}"?`, options.yes);
        await printResult(
          unwrap(
            await eventLog.deleteStream({
              instanceId: instance,
              streamId: stream,
              ...(expectedVersion === undefined ? {} : { expectedVersion: expectedVersion as never }),
            }),
          ),
        );
      },
    ),
  );

  targetOptions(
    streams
      .command('truncate <instance> <stream>')
      .description(
        "delete a stream's events before a sequence number (recorded as a $stream.truncated event)",
      )
      .requiredOption('--before <sequence>', 'events with sequence_number < this are deleted')
      .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
  ).action((instance: string, stream: string, options: RemovalOptions) =>
    withCheckedTarget(
      targetOf(options),
      () => integerOption(options.before as string, '--before', 1),
      async (before, { eventLog }) => {
        await confirm(
          `Delete the events of stream "${stream}" in instance "${instance}" with sequence_number < ${before}?`,
          options.yes,
        );
        await printResult(
          unwrap(await eventLog.truncateStream({ instanceId: instance, streamId: stream, before })),
        );
      },
    ),
  );
}
