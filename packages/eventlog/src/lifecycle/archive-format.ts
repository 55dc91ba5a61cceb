/**
 * The on-disk format of an archive: a directory holding gzip-compressed NDJSON files (one event
 * record per line, as the store returns it, in position order) and a `manifest.json` that lists
 * every file with its instance, counts, position and time ranges and a SHA-256 checksum.
 *
 * ```
 * archive/
 *   manifest.json
 *   audit-log.0b5c41d2.20230101T000000000Z-20231231T235959999Z.p1-48211.ndjson.gz
 * ```
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { type EventRecord, type Instance, storageError, validationError } from '@eventlog/core';

/** The `format` of every manifest. */
export const ARCHIVE_FORMAT = 'eventlog-archive';
/** The manifest version this package writes and reads. */
export const ARCHIVE_VERSION = 1;
/** The manifest's file name in an archive directory. */
export const MANIFEST_FILE = 'manifest.json';

/** One archived file: the events of one instance older than a cutoff, moved out in one run. */
export interface ArchiveFileEntry {
  /** The file name, relative to the archive directory. */
  file: string;
  /** The instance as it was when archived (restore creates it again from this when missing). */
  instance: Pick<Instance, 'id' | 'name' | 'createdAt'> &
    Partial<Pick<Instance, 'description' | 'retention'>>;
  /** Events with a timestamp before this were moved. */
  cutoff: string;
  /** Events in the file. */
  count: number;
  firstPosition: number;
  lastPosition: number;
  /** The smallest and largest event timestamps in the file. */
  firstTimestamp: string;
  lastTimestamp: string;
  /** SHA-256 of the file's bytes (hex). */
  sha256: string;
  /** The file's size in bytes. */
  bytes: number;
  /** When the file was written. */
  archivedAt: string;
}

/** `manifest.json`. */
export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  files: ArchiveFileEntry[];
}

/** A compact, file-name-safe form of a canonical timestamp: `20240101T000000000Z`. */
export function compactTimestamp(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

/** A file-name-safe form of an instance name (at most 40 characters). */
export function safeName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
  return safe === '' ? 'instance' : safe;
}

/** Reads an archive's manifest; an empty one when the directory has none (and `create`). */
export async function readManifest(dir: string, create = false): Promise<ArchiveManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if (create && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, files: [] };
    }
    throw validationError(
      `${join(dir, MANIFEST_FILE)} cannot be read (${(error as Error).message}); an archive directory holds the manifest.json that eventlog archive writes.`,
    );
  }
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(text) as ArchiveManifest;
  } catch (error) {
    throw validationError(`${join(dir, MANIFEST_FILE)} is not JSON: ${(error as Error).message}`);
  }
  if (
    manifest?.format !== ARCHIVE_FORMAT ||
    manifest.version !== ARCHIVE_VERSION ||
    !Array.isArray(manifest.files)
  ) {
    throw validationError(
      `${join(dir, MANIFEST_FILE)} is not an Event Log archive manifest of version ${ARCHIVE_VERSION} (format "${ARCHIVE_FORMAT}").`,
    );
  }
  return manifest;
}

/** Writes the manifest atomically (a temporary file renamed over it). */
export async function writeManifest(dir: string, manifest: ArchiveManifest): Promise<void> {
  const target = join(dir, MANIFEST_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await rename(temporary, target);
}

/** SHA-256 (hex) and size of a file. */
export async function fileChecksum(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Checks a file against its manifest entry.
 *
 * @throws EventLogError `STORAGE_ERROR` naming the file when its size or checksum differs
 */
export async function verifyFile(dir: string, entry: ArchiveFileEntry): Promise<void> {
  let actual: { sha256: string; bytes: number };
  try {
    actual = await fileChecksum(join(dir, entry.file));
  } catch (error) {
    throw storageError(`Archive file ${entry.file} cannot be read: ${(error as Error).message}`, error);
  }
  if (actual.sha256 !== entry.sha256 || actual.bytes !== entry.bytes) {
    throw storageError(
      `Archive file ${entry.file} does not match its manifest (SHA-256 ${actual.sha256}, ${actual.bytes} bytes; the manifest says ${entry.sha256}, ${entry.bytes} bytes): it was changed or damaged. Nothing was read from it.`,
    );
  }
}

/**
 * Reads an archive file's events in pages of `pageSize` (after {@link verifyFile}).
 *
 * @throws EventLogError `STORAGE_ERROR` when a line is not an event record or the count differs
 */
export async function* readArchivedEvents(
  dir: string,
  entry: ArchiveFileEntry,
  pageSize = 1000,
): AsyncGenerator<EventRecord[]> {
  const lines = createInterface({
    input: createReadStream(join(dir, entry.file)).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let page: EventRecord[] = [];
  let count = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line === '') continue;
    let record: EventRecord;
    try {
      record = JSON.parse(line) as EventRecord;
    } catch (error) {
      throw storageError(
        `Archive file ${entry.file}, line ${lineNo}: not JSON (${(error as Error).message}).`,
      );
    }
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.id !== 'string' ||
      typeof record.global_position !== 'number' ||
      typeof record.sequence_number !== 'number'
    ) {
      throw storageError(`Archive file ${entry.file}, line ${lineNo}: not an event record.`);
    }
    page.push(record);
    count++;
    if (page.length >= pageSize) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
  if (count !== entry.count) {
    throw storageError(`Archive file ${entry.file} holds ${count} events; its manifest says ${entry.count}.`);
  }
}
