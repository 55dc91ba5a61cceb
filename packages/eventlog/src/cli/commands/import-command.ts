/**
 * `eventlog import`: appends NDJSON events in batches through `appendEvents` (each batch atomic),
 * with a progress line on stderr. Instance records (written by `export` before each instance's
 * events) recreate instances with their names and descriptions. Events keep their stream, type,
 * payload, metadata, tags, timestamp and eventId; an event without an eventId gets its exported
 * `id` as one, so a re-run skips every event already stored. Global positions are the target's
 * own. The source's `$system` records (deletions, erasures) are counted, not imported.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { RemoteEventLog } from '@eventlog/client';
import { type Instance, isReservedName } from '@eventlog/core';
import type { Command } from 'commander';
import { parseJson } from '../json-input.js';
import { CliError, Progress, printJson, unwrap, usageError } from '../output.js';
import { integerOption, targetOf, targetOptions, withTarget } from '../run-command.js';
import type { TargetOptions } from '../target.js';
import { INSTANCE_RECORD_TYPE } from './export-command.js';

interface ImportOptions extends TargetOptions {
  instance?: string;
  create?: boolean;
  batchSize: string;
  skip: string;
  /** Default true: events without an eventId get their record's id as one. */
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
 * With `useRecordIds` (the default), a record without an `eventId` uses its `id` as one: the
 * idempotency key that lets a re-run skip it.
 */
export function toEventInput(record: Record<string, unknown>, useRecordIds = true): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const stream = record.streamId ?? record.stream_id;
  const type = record.eventType ?? record.event_type;
  if (stream !== undefined) input.streamId = stream;
  if (type !== undefined) input.eventType = type;
  for (const key of ['payload', 'metadata', 'tags', 'timestamp', 'eventId'] as const) {
    if (record[key] !== undefined) input[key] = record[key];
  }
  if (useRecordIds && input.eventId === undefined && typeof record.id === 'string') input.eventId = record.id;
  return input;
}

interface Batch {
  instance: string;
  events: Record<string, unknown>[];
  /**
   * For events going back into the instance they were exported from: the source id of each event
   * without an eventId of its own (undefined for the others), to skip those still stored.
   */
  sourceIds?: (string | undefined)[];
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

/**
 * Events exported from this very instance (the target is their source) that carry no eventId of
 * their own are still stored under their ids: they are left out (counted as duplicates).
 */
async function withoutStoredIds(
  eventLog: RemoteEventLog,
  batch: Batch,
  counts: Counts,
): Promise<Record<string, unknown>[]> {
  const sourceIds = batch.sourceIds;
  if (sourceIds === undefined) return batch.events;
  const ids = sourceIds.filter((id): id is string => id !== undefined);
  const stored = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const res = unwrap<{ result: { events?: { id: string }[] } }>(
      await eventLog.queryEvents({
        from: { instance: batch.instance },
        where: [{ field: 'id', operator: 'in', value: chunk }],
        select: ['id'],
        limit: chunk.length,
      }),
    );
    for (const event of res.result.events ?? []) stored.add(event.id);
  }
  if (stored.size === 0) return batch.events;
  counts.duplicates += stored.size;
  return batch.events.filter((_, i) => {
    const id = sourceIds[i];
    return id === undefined || !stored.has(id);
  });
}

async function appendBatch(
  eventLog: RemoteEventLog,
  batch: Batch,
  create: boolean,
  counts: Counts,
): Promise<void> {
  let events = await withoutStoredIds(eventLog, batch, counts);
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

/** An instance record of an export: the instance as the source store had it. */
function instanceOfRecord(fields: Record<string, unknown>, lineNo: number): Instance {
  const instance = fields.instance as Partial<Instance> | undefined;
  if (
    typeof instance !== 'object' ||
    instance === null ||
    typeof instance.id !== 'string' ||
    typeof instance.name !== 'string'
  ) {
    throw usageError(`Line ${lineNo} is an instance record without an instance { id, name }.`);
  }
  return instance as Instance;
}

/** Where the source's instances went in the target (printed on stdout). */
interface InstanceMapping {
  /** The instance's id in the source store. */
  from: string;
  /** Its id in the target store. */
  id: string;
  name: string;
  created: boolean;
}

/** What the import says about positions, on stderr at the end (and in `--help`). */
export const POSITIONS_NOTE =
  'global positions are renumbered: each event gets the next position of the target store, and sequence numbers restart at 1 in streams new to the target (streams, types, payloads, metadata, tags, timestamps and eventIds are kept; an event without an eventId gets its exported id as one). Projection checkpoints and `after` positions saved against the source do not apply to the target: reset those projections so they rebuild from the imported events.';

/** Registers `import`. */
export function importCommand(program: Command): void {
  targetOptions(
    program
      .command('import <file>')
      .description(
        'append NDJSON events (as written by export, or append inputs) in atomic batches; - reads stdin; instances keep their names and descriptions; re-runs skip events already imported',
      )
      .option('-i, --instance <instance>', "append into this instance (default: each line's instance)")
      .option('--create', 'create missing instances (with the exported name and description)')
      .option('--batch-size <n>', 'events per appendEvents call', DEFAULT_BATCH_SIZE)
      .option(
        '--skip <lines>',
        'skip the events of this many lines first (instance records among them still apply)',
        '0',
      )
      .option(
        '--use-record-ids',
        "(the default) events without an eventId get their exported record's id as eventId, so re-running the import skips them",
      )
      .option(
        '--no-use-record-ids',
        'events without an eventId stay without one (a re-run appends them again; resume with --skip)',
      )
      .addHelpText('after', `\nNote: ${POSITIONS_NOTE}\n`),
  ).action((file: string, options: ImportOptions) =>
    withTarget(targetOf(options), async ({ eventLog }) => {
      const batchSize = integerOption(options.batchSize, '--batch-size', 1);
      const skip = integerOption(options.skip, '--skip');
      const useRecordIds = options.useRecordIds !== false;
      const create = options.create === true;
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
      // Source instance id → the target instance's id, from the instance records.
      const targets = new Map<string, string>();
      const mappings: InstanceMapping[] = [];
      let sawInstanceRecord = false;
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
        await appendBatch(eventLog, current, create, counts);
        progress.update(describe());
      };
      /** The target of an exported instance: the same id, else the same name, else created. */
      const resolveInstance = async (source: Instance): Promise<void> => {
        await flush();
        const wanted = options.instance;
        const refs = wanted === undefined ? [source.id, source.name] : [wanted];
        for (const ref of refs) {
          const found = await eventLog.getInstance(ref);
          if (found.success) {
            const instance = found.data.instance;
            targets.set(source.id, instance.id);
            mappings.push({ from: source.id, id: instance.id, name: instance.name, created: false });
            return;
          }
          if (found.code !== 'NOT_FOUND') unwrap(found);
        }
        const name = wanted ?? source.name;
        if (!create) {
          throw new CliError(
            `Instance "${name}" (exported as ${source.id}) does not exist in the target store; pass --create to create it${wanted === undefined ? ' with its exported name and description' : ''}.`,
            1,
            'NOT_FOUND',
          );
        }
        const { instance } = unwrap<{ instance: Instance }>(
          await eventLog.createInstance(name, source.description),
        );
        targets.set(source.id, instance.id);
        mappings.push({ from: source.id, id: instance.id, name: instance.name, created: true });
      };
      for await (const line of lines) {
        lineNo += 1;
        bytesRead += Buffer.byteLength(line) + 1;
        if (line.trim() === '') continue;
        // Skipped lines skip events, not the instance records that say where later events go.
        if (lineNo <= skip && !line.includes(`"${INSTANCE_RECORD_TYPE}"`)) continue;
        const record = parseJson(line, `Line ${lineNo}`);
        if (typeof record !== 'object' || record === null || Array.isArray(record)) {
          throw usageError(`Line ${lineNo} is not a JSON object; each line must be one event.`);
        }
        const fields = record as Record<string, unknown>;
        if (fields.type === INSTANCE_RECORD_TYPE) {
          sawInstanceRecord = true;
          await resolveInstance(instanceOfRecord(fields, lineNo));
          continue;
        }
        if (lineNo <= skip) continue;
        const sourceInstance = fields.instanceId;
        const instance =
          (typeof sourceInstance === 'string' ? targets.get(sourceInstance) : undefined) ??
          options.instance ??
          sourceInstance;
        if (typeof instance !== 'string') {
          throw usageError(`Line ${lineNo} has no instanceId; pass --instance <instance> to choose one.`);
        }
        const event = toEventInput(fields, useRecordIds);
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
        // Back into the instance it was exported from: the original may still be there, under its id.
        const backHome =
          instance === sourceInstance && typeof fields.id === 'string' && fields.eventId === undefined;
        if (backHome) batch.sourceIds ??= new Array(batch.events.length).fill(undefined);
        batch.sourceIds?.push(backHome ? (fields.id as string) : undefined);
        batch.events.push(event);
        batch.lastLine = lineNo;
        batch.bytes += bytes;
      }
      await flush();
      progress.done(describe());
      const imported = counts.appended + counts.duplicates > 0;
      if (imported) process.stderr.write(`import: note: ${POSITIONS_NOTE}\n`);
      if (imported && !sawInstanceRecord && options.instance === undefined && create) {
        process.stderr.write(
          'import: note: this file has no instance records (written by an older export), so instances created here are named by their source ids; rename them with `eventlog instances update <id> --name <name>`, or export again and import that file.\n',
        );
      }
      await printJson({
        lines: lineNo,
        ...counts,
        ...(mappings.length > 0 ? { instances: mappings } : {}),
        positions: 'renumbered',
      });
    }),
  );
}
