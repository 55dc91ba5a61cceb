/**
 * `eventlog export`: writes NDJSON, with a progress line on stderr. Each instance starts with an
 * instance record (`{"type":"eventlog.instance","instance":{id,name,description,…}}`), followed by
 * its event records, one per line, in position order; `eventlog import` restores the instance's
 * name and description from it.
 */

import { createWriteStream } from 'node:fs';
import type { Condition, Instance } from '@eventlog/core';
import type { Command } from 'commander';
import { eventPages } from '../event-pages.js';
import { readJsonArgument } from '../json-input.js';
import { Progress, printJson, unwrap, usageError, write } from '../output.js';
import { integerOption, targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

/** The `type` of the line that describes an instance before its events. */
export const INSTANCE_RECORD_TYPE = 'eventlog.instance';

/** The NDJSON line describing an instance: what `import` needs to recreate it by name. */
export function instanceRecord(instance: Instance): string {
  return `${JSON.stringify({ type: INSTANCE_RECORD_TYPE, instance })}\n`;
}

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
        'write events as NDJSON to a file (or stdout), one instance or all, with progress on stderr; each instance starts with a line holding its name and description',
      )
      .option('-i, --instance <instance>', 'only this instance (id or name); default: every instance')
      .option('-s, --stream <streamId>', "only this stream's events")
      .option('-w, --where <json>', 'only events matching these conditions (a JSON array of the DSL)')
      .option('--page-size <n>', 'events read per query', '1000'),
  ).action((file: string | undefined, options: ExportOptions) =>
    withTarget(targetOf(options), async (target) => {
      const { eventLog } = target;
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
          await write(out, instanceRecord(instance));
          for await (const page of eventPages(target, {
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
