/**
 * `eventlog forget <subjectId>`: crypto-shredding of a data subject's personal fields.
 */

import type { Command } from 'commander';
import { confirm } from '../confirm.js';
import { printResult, unwrap } from '../output.js';
import { targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** Registers `forget`. */
export function forgetCommand(program: Command): void {
  targetOptions(
    program
      .command('forget <subjectId>')
      .description(
        'destroy a data subject\'s key: their personal fields read as "[erased]" from now on (a $subject.forgotten event records it)',
      )
      .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
  ).action((subjectId: string, options: TargetOptions & { yes?: boolean }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await confirm(`Erase the personal data of subject "${subjectId}" for good?`, options.yes);
      await printResult(unwrap(await eventLog.forgetSubject(subjectId)));
    }),
  );
}
