/**
 * `eventlog tail`: prints an instance's last events as NDJSON; `-f` keeps following new ones.
 */

import type { Condition, EventRecord } from '@eventlog/core';
import type { Command } from 'commander';
import { eventPages, headPosition, lastEvents } from '../event-pages.js';
import { formatEventLine } from '../human.js';
import { readJsonArgument } from '../json-input.js';
import { CliError, isHumanOutput, usageError, write } from '../output.js';
import { integerOption, targetOf, targetOptions, withCheckedTarget } from '../run-command.js';
import type { Target, TargetOptions } from '../target.js';

interface TailOptions extends TargetOptions {
  follow?: boolean;
  lines: string;
  after?: string;
  stream?: string;
  where?: string;
}

/** One event per line: NDJSON, or on a terminal (without --json) a line for a person. */
const printEvent = (event: EventRecord) =>
  write(process.stdout, `${isHumanOutput() ? formatEventLine(event) : JSON.stringify(event)}\n`);

/** Registers `tail`. */
export function tailCommand(program: Command): void {
  targetOptions(
    program
      .command('tail <instance>')
      .description("print an instance's last events as NDJSON (one JSON event per line); -f follows new ones")
      .option('-f, --follow', 'keep printing new events as they commit, until interrupted')
      .option('-n, --lines <n>', 'how many of the last events to print first', '10')
      .option('--after <position>', 'print every event after this global position instead of the last n')
      .option('-s, --stream <streamId>', "only this stream's events")
      .option('-w, --where <json>', 'only events matching these conditions (a JSON array of the DSL)'),
  ).action((instance: string, options: TailOptions) =>
    withCheckedTarget(
      targetOf(options),
      async () => {
        const where =
          options.where === undefined ? undefined : await readJsonArgument(options.where, '--where');
        if (where !== undefined && !Array.isArray(where)) {
          throw usageError(
            '--where must be a JSON array of conditions, like \'[{"field":"event_type","operator":"eq","value":"login"}]\'.',
          );
        }
        return {
          lines: integerOption(options.lines, '--lines'),
          after: options.after === undefined ? undefined : integerOption(options.after, '--after'),
          where,
        };
      },
      async ({ lines, after, where }, target) => {
        const filter = {
          instance,
          ...(options.stream === undefined ? {} : { stream: options.stream }),
          ...(where === undefined ? {} : { where: where as Condition[] }),
        };
        let position: number;
        if (after !== undefined) {
          position = after;
          if (!options.follow) {
            for await (const page of eventPages(target, { ...filter, after: position })) {
              for (const event of page.events) await printEvent(event);
            }
            return;
          }
        } else {
          const events = await lastEvents(target, filter, lines);
          for (const event of events) await printEvent(event);
          const last = events[events.length - 1];
          // Nothing matched so far: every match read from 0 on is new. With -n 0, start at the head.
          position = last?.global_position ?? (lines === 0 ? await headPosition(target, instance) : 0);
          if (!options.follow) return;
        }
        await follow(target, filter, position);
      },
    ),
  );
}

async function follow(
  target: Target,
  filter: { instance: string; stream?: string; where?: Condition[] },
  after: number,
): Promise<void> {
  // Watchers of some stores poll on unref'd timers: keep the process alive while following.
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    const following = await target.follow({ ...filter, after }, printEvent);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('interrupted'));
    });
    const outcome = await Promise.race([following.ended, interrupted]);
    following.stop();
    if (outcome === 'interrupted') return;
    if (outcome.kind === 'deleted') {
      process.stderr.write(`eventlog: instance "${filter.instance}" was deleted; stopped following\n`);
      return;
    }
    throw new CliError(outcome.message, 1, (outcome.code as never) ?? 'STORAGE_ERROR');
  } finally {
    clearInterval(keepAlive);
  }
}
