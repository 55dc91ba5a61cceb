/**
 * Archiving: {@link archiveEvents} moves an instance's events older than a cutoff out of the store
 * into a gzip-compressed NDJSON file of an archive directory (see archive-format.ts);
 * {@link restoreArchive} brings them back with their original ids, timestamps, eventIds, tags,
 * sequence numbers and global positions; {@link openArchive} loads an archive into a memory store
 * to query it with the same DSL.
 *
 * Safety: a file is written, flushed, checksummed and entered in the manifest before any event
 * leaves the store, and events are removed by the positions written to the file (an event
 * appended meanwhile is never removed unseen). A run interrupted after the manifest was written
 * leaves events both in the store and in the archive; restoring skips what is already there.
 * Events are archived as stored: personal data stays encrypted, so erasure (forgetSubject) reaches
 * archived copies too.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import {
  createEventLog,
  type EventLog,
  type EventRecord,
  type EventStore,
  hasCapability,
  type Instance,
  type KeyValueStore,
  parseWhere,
  type StorageAdapter,
  SUBJECT_KEY_NAMESPACE,
  storageError,
} from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import {
  type ArchiveFileEntry,
  compactTimestamp,
  fileChecksum,
  readArchivedEvents,
  readManifest,
  safeName,
  verifyFile,
  writeManifest,
} from './archive-format.js';

type Archiving = StorageAdapter & Required<Pick<StorageAdapter, 'importEvents' | 'removeEvents'>>;

/** The adapter of a store, when it can archive. */
function archivingAdapter(store: EventStore): Archiving {
  const adapter = store.adapter;
  if (
    !hasCapability(adapter, 'archive') ||
    adapter.importEvents === undefined ||
    adapter.removeEvents === undefined
  ) {
    throw storageError(
      `The ${adapter.name} adapter cannot archive or restore events (it does not declare capabilities.archive); nothing was changed.`,
    );
  }
  return adapter as Archiving;
}

/** Options of {@link archiveEvents}. */
export interface ArchiveOptions {
  /** The archive directory (created when missing; an existing archive gets a new file). */
  dir: string;
  /** The instance (id or name). */
  instance: string;
  /** Events with `timestamp` before this instant (canonical ISO) are moved. */
  before: string;
  /** Events read and removed per step. Default 1000. */
  pageSize?: number;
  /** Called after each page with the events written so far. */
  onProgress?: (written: number) => void;
}

/** What an archive run did. */
export interface ArchiveOutcome {
  instanceId: string;
  /** The file written, or undefined when no event was older than the cutoff. */
  file?: ArchiveFileEntry;
  /** Events removed from the store. */
  removedEvents: number;
}

/**
 * Moves one instance's events with `timestamp < before` (visible now: expired events are left to
 * pruning) out of the store into a new gzip NDJSON file of `dir`, listed in its manifest.
 *
 * @throws EventLogError `STORAGE_ERROR` when the adapter cannot archive; `NOT_FOUND` for an
 *   unknown instance
 * @example
 * const log = await openEventLog('sqlite:./events.db');
 * await archiveEvents(log.store, { dir: './archive', instance: 'audit-log', before: '2024-01-01T00:00:00.000Z' });
 */
export async function archiveEvents(store: EventStore, options: ArchiveOptions): Promise<ArchiveOutcome> {
  const adapter = archivingAdapter(store);
  const instance = await store.getInstance(options.instance);
  const pageSize = options.pageSize ?? 1000;
  const where = parseWhere([{ field: 'timestamp', operator: 'lt', value: options.before }], store.limits);
  await mkdir(options.dir, { recursive: true });
  const temporary = join(options.dir, `.archive-${instance.id}-${process.pid}-${Date.now()}.tmp`);
  const gzip = createGzip();
  const out = createWriteStream(temporary);
  const piped = new Promise<void>((resolve, reject) => {
    out.on('finish', () => resolve());
    out.on('error', reject);
    gzip.on('error', reject);
  });
  gzip.pipe(out);
  const positions: number[] = [];
  let first: EventRecord | undefined;
  let last: EventRecord | undefined;
  let minTs = '';
  let maxTs = '';
  try {
    const now = store.now();
    for (let after = 0; ; ) {
      // Raw reads: personal data is archived encrypted, as stored.
      const page = await adapter.readAfter({ instanceId: instance.id, after, limit: pageSize, where, now });
      if (page.length === 0) break;
      let text = '';
      for (const event of page) {
        text += `${JSON.stringify(event)}\n`;
        positions.push(event.global_position);
        first ??= event;
        last = event;
        if (minTs === '' || event.timestamp < minTs) minTs = event.timestamp;
        if (maxTs === '' || event.timestamp > maxTs) maxTs = event.timestamp;
      }
      if (!gzip.write(text)) await once(gzip, 'drain');
      options.onProgress?.(positions.length);
      after = (page[page.length - 1] as EventRecord).global_position;
      if (page.length < pageSize) break;
    }
    gzip.end();
    await piped;
  } catch (error) {
    gzip.destroy();
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
  if (first === undefined || last === undefined) {
    await rm(temporary, { force: true });
    return { instanceId: instance.id, removedEvents: 0 };
  }
  const file = `${safeName(instance.name)}.${instance.id.slice(0, 8)}.${compactTimestamp(minTs)}-${compactTimestamp(maxTs)}.p${first.global_position}-${last.global_position}.ndjson.gz`;
  await rename(temporary, join(options.dir, file));
  const { sha256, bytes } = await fileChecksum(join(options.dir, file));
  const entry: ArchiveFileEntry = {
    file,
    instance: archivedInstance(instance),
    cutoff: options.before,
    count: positions.length,
    firstPosition: first.global_position,
    lastPosition: last.global_position,
    firstTimestamp: minTs,
    lastTimestamp: maxTs,
    sha256,
    bytes,
    archivedAt: store.now(),
  };
  // The file is complete and listed before anything leaves the store.
  await verifyFileCount(options.dir, entry);
  const manifest = await readManifest(options.dir, true);
  manifest.files.push(entry);
  await writeManifest(options.dir, manifest);
  let removedEvents = 0;
  for (let i = 0; i < positions.length; i += pageSize) {
    const { deletedEvents } = await adapter.removeEvents({
      instanceId: instance.id,
      positions: positions.slice(i, i + pageSize),
    });
    removedEvents += deletedEvents;
  }
  return { instanceId: instance.id, file: entry, removedEvents };
}

/** Reads a file just written back once: its checksum and its event count must hold. */
async function verifyFileCount(dir: string, entry: ArchiveFileEntry): Promise<void> {
  await verifyFile(dir, entry);
  for await (const _page of readArchivedEvents(dir, entry, 10_000)) {
    // readArchivedEvents checks the count at the end
  }
}

function archivedInstance(instance: Instance): ArchiveFileEntry['instance'] {
  const out: ArchiveFileEntry['instance'] = {
    id: instance.id,
    name: instance.name,
    createdAt: instance.createdAt,
  };
  if (instance.description !== undefined) out.description = instance.description;
  if (instance.retention !== undefined) out.retention = instance.retention;
  return out;
}

/** Options of {@link restoreArchive}. */
export interface RestoreOptions {
  dir: string;
  /** Only the files of this instance (its id or name as archived). Default: every file. */
  instance?: string;
  /** Events per `importEvents` call. Default 1000. */
  pageSize?: number;
  onProgress?: (imported: number) => void;
}

/** What a restore did. */
export interface RestoreOutcome {
  files: number;
  /** Events put back. */
  imported: number;
  /** Events already in the store (a restore run twice, or after an interrupted archive). */
  skipped: number;
}

/**
 * Puts archived events back into the store, with their original ids, timestamps, eventIds, tags,
 * sequence numbers and global positions. Every file is checked against its manifest checksum
 * first; a missing instance is created again with its archived id, name and description, but not
 * its retention rules: archived events are usually past them, and would be hidden (then pruned) as
 * soon as they are back; set the rules again with `setRetention` when the restored events may go.
 * Restored events lie below positions live readers have passed: reset projections that should
 * include them.
 *
 * @throws EventLogError `STORAGE_ERROR` for a damaged file or an adapter without `archive`;
 *   `CONFLICT` when a position or sequence is held by another event
 */
export async function restoreArchive(store: EventStore, options: RestoreOptions): Promise<RestoreOutcome> {
  const adapter = archivingAdapter(store);
  return importArchive(adapter, options);
}

async function importArchive(adapter: Archiving, options: RestoreOptions): Promise<RestoreOutcome> {
  const manifest = await readManifest(options.dir);
  const files = manifest.files.filter(
    (f) =>
      options.instance === undefined ||
      f.instance.id === options.instance ||
      f.instance.name === options.instance,
  );
  // Every checksum first: a damaged archive restores nothing.
  for (const entry of files) await verifyFile(options.dir, entry);
  const outcome: RestoreOutcome = { files: files.length, imported: 0, skipped: 0 };
  for (const entry of files) {
    const instanceId = await ensureInstance(adapter, entry);
    for await (const page of readArchivedEvents(options.dir, entry, options.pageSize ?? 1000)) {
      const { imported, skipped } = await adapter.importEvents({ instanceId, events: page });
      outcome.imported += imported;
      outcome.skipped += skipped;
      options.onProgress?.(outcome.imported + outcome.skipped);
    }
  }
  return outcome;
}

/** The archived instance's id, creating it again (same id, name, description) when missing. */
async function ensureInstance(adapter: Archiving, entry: ArchiveFileEntry): Promise<string> {
  const found = await adapter.resolveInstance(entry.instance.id);
  if (found !== undefined && found.id === entry.instance.id) return found.id;
  const created = await adapter.createInstance({
    id: entry.instance.id,
    name: entry.instance.name,
    createdAt: entry.instance.createdAt,
    ...(entry.instance.description === undefined ? {} : { description: entry.instance.description }),
  });
  return created.id;
}

/** Options of {@link openArchive}. */
export interface OpenArchiveOptions {
  /**
   * A key-value store holding subjects' keys (the source store's `adapter.kv`), so that personal
   * fields read in clear; without it they read as `"[erased]"` (the keys never leave the store).
   */
  subjectKeys?: KeyValueStore;
}

/**
 * Loads an archive (every file checked against its checksum) into a memory store and returns an
 * event log over it, to query with the DSL: `(await openArchive('./archive')).queryEvents(…)`.
 * Instances keep their ids and names; events keep their positions. Changes to it change nothing on
 * disk.
 *
 * @example
 * const archive = await openArchive('./archive');
 * const res = await archive.queryEvents({ from: { instance: 'audit-log' }, reduce: { type: 'count' } });
 * await archive.close();
 */
export async function openArchive(dir: string, options: OpenArchiveOptions = {}): Promise<EventLog> {
  const adapter = memoryAdapter();
  try {
    await importArchive(adapter as Archiving, { dir });
    if (options.subjectKeys !== undefined) {
      for (const { key, value } of await options.subjectKeys.list(SUBJECT_KEY_NAMESPACE)) {
        await adapter.kv.put(SUBJECT_KEY_NAMESPACE, key, value);
      }
    }
  } catch (error) {
    await adapter.close();
    throw error;
  }
  return createEventLog({ adapter });
}
