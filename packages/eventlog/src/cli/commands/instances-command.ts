/**
 * `eventlog instances`: list, create, get, update and delete instances.
 */

import type { Command } from 'commander';
import { confirm } from '../confirm.js';
import { printResult, unwrap } from '../output.js';
import { targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** Registers `instances`. */
export function instancesCommand(program: Command): void {
  const instances = program.command('instances').description('list, create, get, update or delete instances');

  targetOptions(
    instances.command('list', { isDefault: true }).description('list instances ({ instances })'),
  ).action((options: TargetOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await printResult(unwrap(await eventLog.listInstances()));
    }),
  );

  targetOptions(
    instances
      .command('create <name>')
      .description('create an instance')
      .option('-d, --description <text>', 'a description'),
  ).action((name: string, options: TargetOptions & { description?: string }) =>
    withTarget({ ...targetOf(options), create: true }, async ({ eventLog }) => {
      await printResult(unwrap(await eventLog.createInstance(name, options.description)));
    }),
  );

  targetOptions(instances.command('get <instance>').description('show an instance (id or name)')).action(
    (ref: string, options: TargetOptions) =>
      withTarget(targetOf(options), async ({ eventLog }) => {
        await printResult(unwrap(await eventLog.getInstance(ref)));
      }),
  );

  targetOptions(
    instances
      .command('update <instance>')
      .description('rename or re-describe an instance')
      .option('--name <name>', 'the new name')
      .option('-d, --description <text>', 'the new description'),
  ).action((ref: string, options: TargetOptions & { name?: string; description?: string }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      const updates = {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.description === undefined ? {} : { description: options.description }),
      };
      await printResult(unwrap(await eventLog.updateInstance(ref, updates)));
    }),
  );

  targetOptions(
    instances
      .command('delete <instance>')
      .description('delete an instance and all its events')
      .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)'),
  ).action((ref: string, options: TargetOptions & { yes?: boolean }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      const stats = unwrap<{ name: string; eventCount: number }>(await eventLog.getInstanceStats(ref));
      await confirm(
        `Delete instance "${stats.name}" and its ${stats.eventCount} event${stats.eventCount === 1 ? '' : 's'}?`,
        options.yes,
      );
      await printResult(unwrap(await eventLog.deleteInstance(ref)));
    }),
  );
}
