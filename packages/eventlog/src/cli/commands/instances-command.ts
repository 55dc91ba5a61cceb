/**
 * `eventlog instances`: list, create, get, update and delete instances.
 */

import type { Command } from 'commander';
import { printJson, unwrap } from '../output.js';
import { targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** Registers `instances`. */
export function instancesCommand(program: Command): void {
  const instances = program.command('instances').description('list, create, get, update or delete instances');

  targetOptions(
    instances.command('list', { isDefault: true }).description('list instances (JSON array)'),
  ).action((options: TargetOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await printJson(unwrap<{ instances: unknown[] }>(await eventLog.listInstances()).instances);
    }),
  );

  targetOptions(
    instances
      .command('create <name>')
      .description('create an instance')
      .option('-d, --description <text>', 'a description'),
  ).action((name: string, options: TargetOptions & { description?: string }) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await printJson(
        unwrap<{ instance: unknown }>(await eventLog.createInstance(name, options.description)).instance,
      );
    }),
  );

  targetOptions(instances.command('get <instance>').description('show an instance (id or name)')).action(
    (ref: string, options: TargetOptions) =>
      withTarget(targetOf(options), async ({ eventLog }) => {
        await printJson(unwrap<{ instance: unknown }>(await eventLog.getInstance(ref)).instance);
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
      await printJson(unwrap<{ instance: unknown }>(await eventLog.updateInstance(ref, updates)).instance);
    }),
  );

  targetOptions(
    instances.command('delete <instance>').description('delete an instance and all its events'),
  ).action((ref: string, options: TargetOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      await printJson(unwrap(await eventLog.deleteInstance(ref)));
    }),
  );
}
