/**
 * `eventlog` — the umbrella package: {@link openEventLog} (a log from a store URL), the server
 * ({@link createEventLogServer}: WebSocket, HTTP, SSE, health, metrics and the web console) and the
 * `eventlog` CLI (bin).
 */

export * from './open-event-log.js';
export {
  createEventLogServer,
  type EventLogServer,
  type EventLogServerAddress,
  type EventLogServerOptions,
  type HttpHandler,
} from './server/event-log-server.js';
export { stderrLogger } from './server/logger.js';
