/**
 * `eventlog` — the umbrella package: {@link openEventLog} (a log from a store URL), the WebSocket
 * server ({@link createEventLogServer}) and the `eventlog` CLI (bin).
 */

export * from './open-event-log.js';
export {
  createEventLogServer,
  type EventLogServer,
  type EventLogServerAddress,
  type EventLogServerOptions,
} from './server/event-log-server.js';
