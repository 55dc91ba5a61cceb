/**
 * `eventlog/mcp` — the MCP server of the event log (SPEC §13): {@link createEventLogMcpServer} for
 * any MCP transport, {@link createMcpHttpHandler} for streamable HTTP, and the tool names. A
 * subpath of its own, so `import 'eventlog'` does not load the MCP SDK.
 */

export {
  createMcpHttpHandler,
  type McpHttpHandler,
  type McpHttpHandlerOptions,
} from './mcp-http-handler.js';
export {
  createEventLogMcpServer,
  DEFAULT_MCP_MAX_RESULT_CHARS,
  DEFAULT_MCP_QUERY_LIMIT,
  type EventLogMcpServerOptions,
} from './mcp-server.js';
export { INSTANCES_URI, RESOURCE_TEMPLATES } from './resources.js';
export { TOOL_NAMES, type ToolMethod } from './tools.js';
export type { ServedLog } from './wire-dispatch.js';
