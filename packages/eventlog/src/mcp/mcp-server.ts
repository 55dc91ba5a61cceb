/**
 * The event log as a Model Context Protocol server (SPEC §13): the nine tools under the platform's
 * names, resources for browsing, and subscriptions to them — on any MCP transport (stdio for
 * `eventlog mcp`, streamable HTTP through {@link createMcpHttpHandler}).
 */

import { createRequire } from 'node:module';
import { DEFAULT_LIMITS } from '@eventlog/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  INSTANCES_URI,
  listResources,
  RESOURCE_TEMPLATES,
  ResourceSubscriptions,
  readResource,
} from './resources.js';
import { toToolResult, withDefaultLimit } from './tool-result.js';
import { eventLogTools, TOOL_NAMES, type ToolMethod } from './tools.js';
import { type AnyEnvelope, type ServedLog, wireDispatch } from './wire-dispatch.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The query tool's `limit` when the agent gives none. */
export const DEFAULT_MCP_QUERY_LIMIT = 20;
/** The largest tool result, in characters of JSON, before it is cut short. */
export const DEFAULT_MCP_MAX_RESULT_CHARS = 40_000;

/** Options of {@link createEventLogMcpServer}. */
export interface EventLogMcpServerOptions {
  /** The log to serve: one in this process (`openEventLog`) or a server's (`connect(url).eventLog`). */
  log: ServedLog;
  /** Only the reading tools (get, list, query, stats). Default false. */
  readOnly?: boolean;
  /** The query tool's `limit` when the agent gives none. Default 20. */
  defaultQueryLimit?: number;
  /** Tool results longer than this (JSON characters) are cut short with a note. Default 40,000. */
  maxResultChars?: number;
  /**
   * Resource subscriptions (notifications when an instance changes). Default: on for a log in
   * this process, which can watch its commits; always off for a remote log.
   */
  subscriptions?: boolean;
}

const INSTANCE_CHANGES: ReadonlySet<ToolMethod> = new Set([
  'createInstance',
  'updateInstance',
  'deleteInstance',
]);

function instructions(readOnly: boolean): string {
  return `Event Log: an append-only, queryable log of events, organised as instances → streams → events. Each event has a stream_id, an event_type, a JSON payload and metadata, a timestamp, a per-stream sequence_number and a global_position.
Start with eventlog_list_instances, or eventlog_get_instance_stats for an overview of one instance. ${readOnly ? 'This server is read-only: it cannot create, change or delete anything.' : 'Record facts with eventlog_append_event / eventlog_append_events (autoCreateInstance: true creates a missing instance).'} Read with eventlog_query_events: a JSON DSL with where, select, orderBy, limit/offset paging and reduce (count, sum, avg, min, max, collect) with groupBy and time buckets.
Every tool returns the API envelope as JSON; on failure its "error" says what was wrong and what is allowed.
Resources: ${INSTANCES_URI}, ${RESOURCE_TEMPLATES.map((t) => t.uriTemplate).join(', ')}.`;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function changedInstanceId(envelope: AnyEnvelope): string | undefined {
  const data = envelope.success ? (envelope.data as { instance?: { id?: unknown } }) : undefined;
  return typeof data?.instance?.id === 'string' ? data.instance.id : undefined;
}

/**
 * An MCP server for an event log: connect it to a transport (`server.connect(transport)`). Every
 * tool call goes through core's `dispatch` with the wire params, so its validation and envelopes
 * are the API's; the result holds the envelope as JSON text and `structuredContent`, with
 * `isError` when it failed. One server serves one client; closing it releases its watchers, never
 * the log.
 *
 * @example
 * const server = createEventLogMcpServer({ log: await openEventLog('sqlite:./events.db') });
 * await server.connect(new StdioServerTransport());
 */
export function createEventLogMcpServer(options: EventLogMcpServerOptions): Server {
  const { log } = options;
  const readOnly = options.readOnly ?? false;
  const defaultLimit = positiveInteger(
    options.defaultQueryLimit ?? DEFAULT_MCP_QUERY_LIMIT,
    'defaultQueryLimit',
  );
  const maxChars = positiveInteger(options.maxResultChars ?? DEFAULT_MCP_MAX_RESULT_CHARS, 'maxResultChars');
  const store = 'store' in log ? log.store : undefined;
  const dispatch = wireDispatch(log);
  const tools = eventLogTools(
    defaultLimit,
    store?.limits.maxQueryLimit ?? DEFAULT_LIMITS.maxQueryLimit,
  ).filter((tool) => !readOnly || tool.reads);
  const byName = new Map(tools.map((tool) => [tool.definition.name, tool]));
  const watching = store !== undefined && (options.subscriptions ?? true);

  const server = new Server(
    { name: 'eventlog', title: 'Event Log', version },
    {
      capabilities: { tools: {}, resources: { subscribe: watching, listChanged: watching } },
      instructions: instructions(readOnly),
    },
  );
  const subscriptions = watching
    ? new ResourceSubscriptions(
        dispatch,
        (listener) => store.watch(listener),
        (uri) => void server.sendResourceUpdated({ uri }).catch(() => undefined),
      )
    : undefined;

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: tools.map((tool) => tool.definition) }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name, arguments: args } = request.params;
    const tool = byName.get(name);
    if (tool === undefined) {
      const known = Object.values(TOOL_NAMES).includes(name);
      throw new McpError(
        ErrorCode.InvalidParams,
        known && readOnly
          ? `Tool ${name} is not available: this server is read-only (started with --read-only).`
          : `Unknown tool ${name}; the tools are ${[...byName.keys()].join(', ')}.`,
      );
    }
    const defaults = tool.method === 'queryEvents' ? withDefaultLimit(args, defaultLimit) : undefined;
    const envelope = await dispatch(tool.method, defaults === undefined ? args : defaults.args);
    if (envelope.success && INSTANCE_CHANGES.has(tool.method) && subscriptions !== undefined) {
      subscriptions.instanceChanged(changedInstanceId(envelope));
      void server.sendResourceListChanged().catch(() => undefined);
    }
    return toToolResult(envelope, maxChars, defaults);
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: await listResources(dispatch),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [...RESOURCE_TEMPLATES],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, (request) =>
    readResource(dispatch, request.params.uri),
  );

  if (subscriptions !== undefined) {
    server.setRequestHandler(SubscribeRequestSchema, async (request) => {
      await subscriptions.subscribe(request.params.uri);
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
      subscriptions.unsubscribe(request.params.uri);
      return {};
    });
    server.onclose = () => subscriptions.close();
  }
  return server;
}
