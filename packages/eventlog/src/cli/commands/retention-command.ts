/**
 * `eventlog retention set` and `eventlog prune`: retention rules of an instance (SPEC §9), and
 * the physical removal of expired events.
 */

import type { Command } from 'commander';
import { parseDuration } from '../../lifecycle/pruner.js';
import { printResult, unwrap, usageError } from '../output.js';
import { integerOption, targetOf, targetOptions, withCheckedTarget, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

interface RetentionOptions extends TargetOptions {
  maxAge?: string;
  maxEvents?: string;
}

/** `--max-age`: a duration (`90d`, `12h`, milliseconds) or `none`. */
function maxAgeOption(value: string): number | null {
  if (value === 'none') return null;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 1) {
    throw usageError(
      `--max-age must be a duration like 90d, 12h, 30m or milliseconds, or none; got "${value}".`,
    );
  }
  return ms;
}

/** Registers `retention`. */
export function retentionCommand(program: Command): void {
  const retention = program.command('retention').description("an instance's retention rules");
  targetOptions(
    retention
      .command('set <instance>')
      .description(
        'set retention rules: older or surplus events become invisible at once and are removed by prune; a rule left out is kept, none removes it',
      )
      .option(
        '--max-age <duration>',
        'events older than this expire: 90d, 12h, 30m, 45s, milliseconds, or none',
      )
      .option('--max-events <n>', 'each stream keeps its last n events (by sequence number), or none'),
  ).action((instance: string, options: RetentionOptions) =>
    withCheckedTarget(
      targetOf(options),
      () => {
        if (options.maxAge === undefined && options.maxEvents === undefined) {
          throw usageError('retention set needs --max-age and/or --max-events (none removes a rule).');
        }
        const params: { instanceId: string; maxAgeMs?: number | null; maxEventsPerStream?: number | null } = {
          instanceId: instance,
        };
        if (options.maxAge !== undefined) params.maxAgeMs = maxAgeOption(options.maxAge);
        if (options.maxEvents !== undefined) {
          params.maxEventsPerStream =
            options.maxEvents === 'none' ? null : integerOption(options.maxEvents, '--max-events', 1);
        }
        return params;
      },
      async (params, { eventLog }) => {
        await printResult(unwrap(await eventLog.setRetention(params)));
      },
    ),
  );
}

/** Registers `prune`. */
export function pruneCommand(program: Command): void {
  targetOptions(
    program
      .command('prune')
      .description('physically remove events expired by retention rules (they are already invisible)')
      .option('-i, --instance <instance>', 'only this instance (default: every instance)'),
  ).action((options: TargetOptions & { instance?: string }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await printResult(
        unwrap(
          await eventLog.pruneExpired(options.instance === undefined ? {} : { instanceId: options.instance }),
        ),
      );
    }),
  );
}
