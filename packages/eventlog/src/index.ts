/**
 * `eventlog` — the umbrella package: {@link openEventLog} (a log from a store URL), the server
 * ({@link createEventLogServer}: WebSocket, HTTP, SSE, health, metrics and the web console),
 * archiving ({@link archiveEvents}, {@link restoreArchive}, {@link openArchive}), periodic pruning
 * ({@link startPruner}) and the `eventlog` CLI (bin).
 */

export * from './lifecycle/archive.js';
export {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  type ArchiveFileEntry,
  type ArchiveManifest,
  MANIFEST_FILE,
  readManifest,
} from './lifecycle/archive-format.js';
export {
  DEFAULT_PRUNE_INTERVAL_MS,
  type Pruner,
  type PrunerOptions,
  parseDuration,
  startPruner,
} from './lifecycle/pruner.js';
export * from './open-event-log.js';
export {
  createEventLogServer,
  type EventLogServer,
  type EventLogServerAddress,
  type EventLogServerOptions,
  type HttpHandler,
} from './server/event-log-server.js';
export { stderrLogger } from './server/logger.js';
