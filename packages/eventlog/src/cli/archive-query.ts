/**
 * `eventlog query --archive <dir>`: a query over an archive loaded into memory.
 */

import type { EventLog } from '@eventlog/core';
import { openArchive } from '../lifecycle/archive.js';
import { openEventLog } from '../open-event-log.js';
import { usageError } from './output.js';
import { reportFailure } from './run-command.js';
import { checkUrl, isServerUrl, requireExistingStore } from './target.js';

/**
 * Opens the archive (checksums verified), with the subject keys of `keysFrom` when given, runs
 * `fn` on it and closes everything; failures go to stderr like every command's.
 */
export async function queryArchive(
  dir: string,
  keysFrom: string | undefined,
  fn: (log: EventLog) => Promise<void>,
): Promise<void> {
  let source: EventLog | undefined;
  let archive: EventLog | undefined;
  try {
    if (keysFrom !== undefined) {
      checkUrl(keysFrom);
      if (isServerUrl(keysFrom)) throw usageError('--keys-from needs a store URL, not a server URL.');
      requireExistingStore(keysFrom, { url: keysFrom });
      source = await openEventLog(keysFrom);
    }
    archive = await openArchive(dir, source === undefined ? {} : { subjectKeys: source.store.adapter.kv });
    await fn(archive);
  } catch (error) {
    reportFailure(error);
  } finally {
    await archive?.close();
    await source?.close();
  }
}
