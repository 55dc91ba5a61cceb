/**
 * `eventlog import`: appends NDJSON events in batches through `appendEvents` (each batch atomic),
 * with a progress line on stderr. Events keep their stream, type, payload, metadata, timestamp and
 * eventId; a re-run skips events whose eventId is already stored, so an interrupted import can be
 * run again. The source's `$system` records (deletions, erasures) are counted, not imported.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { RemoteEventLog } from '@eventlog/client';
import { isReservedName } from '@eventlog/core';
import type { Command } from 'commander';
import { parseJson } from '../json-input.js';
import { CliError, Progress, printJson, usageError } from '../output.js';
import { integerOption, targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';

interface ImportOptions extends TargetOptions {
  instance?: string;
  create?: boolean;
  batchSize: string;
  skip: string;
  useRecordIds?: boolean;
}

/** Bytes of event JSON per batch, well under the 16 MiB batch and 32 MiB message limits. */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Events per batch by default: large, since stores ingest large batches fastest (PostgreSQL writes
 * batches of 5000 events or more with COPY), and under the 10,000 events of a batch.
 */
const DEFAULT_BATCH_SIZE = '5000';

/**
 * The fields of an NDJSON line that make an event to append (exported records or append inputs).
 * With `useRecordIds`, a record without an `eventId` uses its `id` as one.
 */
export function toEventInput(record: Record<string, unknown>, useRecordIds = false): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const stream = record.streamId ?? record.stream_id;
  const type = record.eventType ?? record.event_type;
  if (stream !== undefined) input.streamId = stream;
  if (type !== undefined) input.eventType = type;
  for (const key of ['payload', 'metadata', 'timestamp', 'eventId'] as const) {
    if (record[key] !== undefined) input[key] = record[key];
  }
  if (useRecordIds && input.eventId === undefined && typeof record.id === 'string') input.eventId = record.id;
  return input;
}

interface Batch {
  instance: string;
  events: Record<string, unknown>[];
  firstLine: number;
  lastLine: number;
  bytes: number;
}

interface Counts {
  appended: number;
  duplicates: number;
  /** `$system` records of the source, not imported. */
  systemRecords: number;
}

async function appendBatch(
  eventLog: RemoteEventLog,
  batch: Batch,
  create: boolean,
  counts: Counts,
): Promise<void> {
  let events = batch.events;
  for (let attempt = 0; attempt < 2 && events.length > 0; attempt++) {
    const res = await eventLog.appendEvents({
      instanceId: batch.instance,
      events: events as never,
      ...(create ? { autoCreateInstance: true } : {}),
    });
    if (res.success) {
      if (res.data.duplicate) counts.duplicates += events.length;
      else counts.appended += events.length;
      return;
    }
    const held = res.details?.reason === 'partial_duplicate' ? res.details.duplicateEventIds : undefined;
    if (res.code === 'CONFLICT' && Array.isArray(held) && attempt === 0) {
      // Part of this batch was imported before (an interrupted run): append only the rest.
      const stored = new Set(held as string[]);
      const rest = events.filter((e) => typeof e.eventId !== 'string' || !stored.has(e.eventId));
      counts.duplicates += events.length - rest.length;
      events = rest;
      continue;
    }
    throw new CliError(
      `lines ${batch.firstLine}–${batch.lastLine} (instance "${batch.instance}"): ${res.error} Nothing of this batch was written; ${counts.appended} events were appended before it.`,
      1,
      res.code,
    );
  }
}

/** Registers `import`. */
export function importCommand(program: Command): void {
  targetOptions(
    program
      .command('import <file>')
      .description(
        'append NDJSON events (as written by export, or append inputs) in atomic batches; - reads stdin; re-runs skip stored eventIds',
      )
      .option('-i, --instance <instance>', "append into this instance (default: each line's instanceId)")
      .option('--create', 'create missing instances (id and name = the instance reference)')
      .option('--batch-size <n>', 'events per appendEvents call', DEFAULT_BATCH_SIZE)
      .option('--skip <lines>', 'skip this many lines first (to resume events without eventIds)', '0')
      .option(
        '--use-record-ids',
        "events without an eventId get their record's id as eventId, so re-running the import skips them too",
      ),
  ).action((file: string, options: ImportOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      const batchSize = integerOption(options.batchSize, '--batch-size', 1);
      const skip = integerOption(options.skip, '--skip');
      const fromStdin = file === '-';
      let size = 0;
      if (!fromStdin) {
        try {
          size = (await stat(file)).size;
        } catch (error) {
          throw usageError(`Cannot read ${file}: ${(error as Error).message}`);
        }
      }
      const input = fromStdin ? process.stdin : createReadStream(file);
      const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
      const progress = new Progress('import');
      const counts: Counts = { appended: 0, duplicates: 0, systemRecords: 0 };
      let bytesRead = 0;
      let lineNo = 0;
      let batch: Batch | undefined;
      const describe = () =>
        `${counts.appended + counts.duplicates} events (${counts.appended} appended, ${counts.duplicates} already stored)` +
        (size > 0 ? `, ${Math.min(100, Math.floor((bytesRead / size) * 100))}%` : '');
      const flush = async () => {
        if (batch === undefined) return;
        const current = batch;
        batch = undefined;
        await appendBatch(eventLog, current, options.create === true, counts);
        progress.update(describe());
      };
      for await (const line of lines) {
        lineNo += 1;
        bytesRead += Buffer.byteLength(line) + 1;
        if (lineNo <= skip || line.trim() === '') continue;
        const record = parseJson(line, `Line ${lineNo}`);
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw usageError(`Line ${lineNo} is not a JSON object; each line must be one event.`);
        }
        const fields = record as Record<string, unknown>;
        const instance = options.instance ?? fields.instanceId;
        if (typeof instance !== 'string') {
          throw usageError(`Line ${lineNo} has no instanceId; pass --instance <instance> to choose one.`);
        }
        const event = toEventInput(fields, options.useRecordIds === true);
        if (typeof event.streamId === 'string' && isReservedName(event.streamId)) {
          // The log's own records ($system: deletions, erasures) describe the source store, and
          // reserved names cannot be appended: they are counted, not imported.
          counts.systemRecords += 1;
          continue;
        }
        const bytes = line.length;
        if (
          batch !== undefined &&
          (batch.instance !== instance ||
            batch.events.length >= batchSize ||
            batch.bytes + bytes > MAX_BATCH_BYTES)
        ) {
          await flush();
        }
        batch ??= { instance, events: [], firstLine: lineNo, lastLine: lineNo, bytes: 0 };
        batch.events.push(event);
        batch.lastLine = lineNo;
        batch.bytes += bytes;
      }
      await flush();
      progress.done(describe());
      await printJson({ lines: lineNo, ...counts });
    }),
  );
}
