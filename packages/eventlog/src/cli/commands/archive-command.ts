/**
 * `eventlog archive` and `eventlog restore`: move events older than a cutoff out of a store into
 * gzip-compressed NDJSON files with a manifest, and bring them back with their positions.
 */

import { type EventLog, type Instance, nowIso, timestampToMs } from '@eventlog/core';
import type { Command } from 'commander';
import { archiveEvents, restoreArchive } from '../../lifecycle/archive.js';
import { parseDuration } from '../../lifecycle/pruner.js';
import { openEventLog } from '../../open-event-log.js';
import { confirm } from '../confirm.js';
import { Progress, printResult, usageError } from '../output.js';
import { integerOption, reportFailure } from '../run-command.js';
import { checkUrl, isServerUrl, redactUrl, requireExistingStore, resolveUrl } from '../target.js';

interface ArchiveOptions {
  url?: string;
  instance?: string;
  before?: string;
  yes?: boolean;
  pageSize: string;
}

/** `--before`: an ISO timestamp, epoch milliseconds, or an age (`90d`: older than 90 days). */
export function cutoffOption(value: string, now: number = Date.now()): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(value.trim())) {
    return nowIso(now - (parseDuration(value) as number));
  }
  try {
    return nowIso(timestampToMs(/^-?\d+$/.test(value) ? Number(value) : value, '--before'));
  } catch {
    throw usageError(
      `--before must be an ISO timestamp (2024-01-01T00:00:00Z), epoch milliseconds, or an age like 90d or 12h; got "${value}".`,
    );
  }
}

/**
 * Opens the store a command names; archives need a store, not a server. `restore` may create
 * the store; `archive` needs an existing one.
 */
async function openStore(url: string | undefined, command: string): Promise<EventLog> {
  const options = url === undefined ? {} : { url };
  const target = resolveUrl(options);
  checkUrl(target);
  if (isServerUrl(target)) {
    throw usageError(
      `${command} works on a store URL (sqlite:…, postgres://…), not on the server ${target}.`,
    );
  }
  if (command !== 'restore') requireExistingStore(target, options);
  return openEventLog(target);
}

async function withStore(url: string | undefined, command: string, fn: (log: EventLog) => Promise<void>) {
  let log: EventLog | undefined;
  try {
    log = await openStore(url, command);
    await fn(log);
  } catch (error) {
    reportFailure(error);
  } finally {
    await log?.close();
  }
}

/** Registers `archive` and `restore`. */
export function archiveCommands(program: Command): void {
  program
    .command('archive <dir>')
    .description(
      'move events older than a cutoff out of the store into gzip NDJSON files in <dir> (one per instance and run, listed with checksums in manifest.json)',
    )
    .requiredOption(
      '--before <cutoff>',
      'events with a timestamp before this: an ISO timestamp, or an age like 90d',
    )
    .option('-i, --instance <instance>', 'only this instance (default: every instance)')
    .option('--url <url>', 'the store (default: $EVENTLOG_URL, else sqlite:./eventlog.db)')
    .option('--page-size <n>', 'events read and removed per step', '1000')
    .option('-y, --yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .action((dir: string, options: ArchiveOptions) =>
      withStore(options.url, 'archive', async (log) => {
        const pageSize = integerOption(options.pageSize, '--page-size', 1);
        const before = cutoffOption(options.before as string);
        const instances: Instance[] =
          options.instance === undefined
            ? await log.store.listInstances()
            : [await log.store.getInstance(options.instance)];
        await confirm(
          `Move the events before ${before} of ${instances.length === 1 ? `instance "${instances[0]?.name}"` : `${instances.length} instances`} out of ${redactUrl(resolveUrl(options))} into ${dir}?`,
          options.yes,
        );
        const progress = new Progress('archive');
        const files = [];
        let moved = 0;
        for (const instance of instances) {
          const outcome = await archiveEvents(log.store, {
            dir,
            instance: instance.id,
            before,
            pageSize,
            onProgress: (n) => progress.update(`${moved + n} events written ("${instance.name}")`),
          });
          moved += outcome.removedEvents;
          if (outcome.file !== undefined)
            files.push({ ...outcome.file, removedEvents: outcome.removedEvents });
        }
        progress.done(
          `${moved} events moved into ${files.length} file${files.length === 1 ? '' : 's'} in ${dir}`,
        );
        await printResult({ before, files, movedEvents: moved });
      }),
    );

  program
    .command('restore <dir>')
    .description(
      'put archived events back with their original ids, positions and sequence numbers (checksums are verified first; events already there are skipped)',
    )
    .option('-i, --instance <instance>', 'only the files of this instance (id or name as archived)')
    .option('--url <url>', 'the store (default: $EVENTLOG_URL, else sqlite:./eventlog.db)')
    .option('--page-size <n>', 'events imported per step', '1000')
    .action((dir: string, options: ArchiveOptions) =>
      withStore(options.url, 'restore', async (log) => {
        const progress = new Progress('restore');
        const outcome = await restoreArchive(log.store, {
          dir,
          pageSize: integerOption(options.pageSize, '--page-size', 1),
          ...(options.instance === undefined ? {} : { instance: options.instance }),
          onProgress: (n) => progress.update(`${n} events restored`),
        });
        progress.done(
          `${outcome.imported} events restored (${outcome.skipped} already there) from ${outcome.files} files`,
        );
        await printResult(outcome);
      }),
    );
}
