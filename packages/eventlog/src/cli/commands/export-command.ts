/**
 * `eventlog export`: writes events as NDJSON (one event record per line, in position order per
 * instance), with a progress line on stderr.
 */

import { createWriteStream } from 'node:fs';
import type { Condition, Instance } from '@eventlog/core';
import type { Command } from 'commander';
import { eventPages } from '../event-pages.js';
import { readJsonArgument } from '../json-input.js';
import { Progress, printJson, unwrap, usageError, write } from '../output.js';
import { integerOption, targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

interface ExportOptions extends TargetOptions {
  instance?: string;
  stream?: string;
  where?: string;
  pageSize: string;
}

/** Registers `export`. */
export function exportCommand(program: Command): void {
  targetOptions(
    program
      .command('export [file]')
      .description(
        'write events as NDJSON to a file (or stdout), one instance or all, with progress on stderr',
      )
      .option('-i, --instance <instance>', 'only this instance (id or name); default: every instance')
      .option('-s, --stream <streamId>', "only this stream's events")
      .option('-w, --where <json>', 'only events matching these conditions (a JSON array of the DSL)')
      .option('--page-size <n>', 'events read per query', '1000'),
  ).action((file: string | undefined, options: ExportOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      const pageSize = integerOption(options.pageSize, '--page-size', 1);
      const where =
        options.where === undefined ? undefined : await readJsonArgument(options.where, '--where');
      if (where !== undefined && !Array.isArray(where))
        throw usageError('--where must be a JSON array of conditions.');
      const instances =
        options.instance === undefined
          ? unwrap<{ instances: Instance[] }>(await eventLog.listInstances()).instances
          : [unwrap<{ instance: Instance }>(await eventLog.getInstance(options.instance)).instance];
      const toFile = file !== undefined && file !== '-';
      const out = toFile ? createWriteStream(file) : process.stdout;
      const progress = new Progress('export');
      let count = 0;
      try {
        for (const [index, instance] of instances.entries()) {
          let done = 0;
          for await (const page of eventPages(eventLog, {
            instance: instance.id,
            stream: options.stream,
            where: where as Condition[] | undefined,
            after: 0,
            pageSize,
          })) {
            let text = '';
            for (const event of page.events) text += `${JSON.stringify(event)}\n`;
            await write(out, text);
            done += page.events.length;
            count += page.events.length;
            progress.update(
              `${count} events written (instance ${index + 1}/${instances.length} "${instance.name}": ${done}/${Math.max(done, page.total)})`,
            );
          }
        }
      } finally {
        if (toFile) {
          await new Promise<void>((resolve, reject) => {
            out.once('error', reject);
            (out as NodeJS.WritableStream).end(() => resolve());
          });
        }
      }
      const where_ = toFile ? ` to ${file}` : '';
      progress.done(
        `${count} events from ${instances.length} instance${instances.length === 1 ? '' : 's'} written${where_}`,
      );
      if (toFile) await printJson({ events: count, instances: instances.length, file });
    }),
  );
}
