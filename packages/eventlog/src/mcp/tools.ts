/**
 * The nine tools under the platform's names (SPEC §13): one per method of the API, each taking the
 * method's wire params, with a description that teaches an agent how to call it.
 */

import { OPERATORS, REDUCE_TYPES, TIME_INTERVALS } from '@eventlog/core';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { toolInputSchemas } from './tool-schemas.js';

/** The API methods the tools call. */
export type ToolMethod =
  | 'createInstance'
  | 'getInstance'
  | 'listInstances'
  | 'updateInstance'
  | 'deleteInstance'
  | 'appendEvent'
  | 'appendEvents'
  | 'queryEvents'
  | 'getInstanceStats';

/** One tool: its MCP definition and the method it calls. */
export interface EventLogTool {
  readonly method: ToolMethod;
  /** True for the tools `--read-only` keeps. */
  readonly reads: boolean;
  readonly definition: Tool;
}

/** The tool names (pinned), by method. */
export const TOOL_NAMES: Readonly<Record<ToolMethod, string>> = Object.freeze({
  createInstance: 'eventlog_create_instance',
  getInstance: 'eventlog_get_instance',
  listInstances: 'eventlog_list_instances',
  updateInstance: 'eventlog_update_instance',
  deleteInstance: 'eventlog_delete_instance',
  appendEvent: 'eventlog_append_event',
  appendEvents: 'eventlog_append_events',
  queryEvents: 'eventlog_query_events',
  getInstanceStats: 'eventlog_get_instance_stats',
});

const ENVELOPE =
  'Returns the API envelope { success, data | error + code, … } as JSON; a failure (VALIDATION_ERROR, NOT_FOUND, CONFLICT, …) is an error result whose `error` says what to fix.';

function queryDescription(defaultLimit: number, maxLimit: number): string {
  return `Query the events of one instance with the JSON query DSL. data.result is { events, total, limit, offset } (total counts every match), or with reduce { aggregation, total }.
query = { from: { instance, stream? }, where?, select?, orderBy?, limit?, offset?, reduce? }
- where: conditions that must all hold, { field, operator, value }. Fields: stream_id, event_type, timestamp, sequence_number, global_position, id, and paths below payload and metadata (payload.user.id, payload.items.0). Operators: ${OPERATORS.join(', ')}; combine with { or: [...] } and { not: {...} }. Timestamps compare as ISO 8601 (with Z or an offset) or epoch milliseconds.
  Example: "where": [{ "field": "event_type", "operator": "in", "value": ["login", "logout"] }, { "field": "payload.amount", "operator": "gte", "value": 100 }]
- select returns only some fields, orderBy sorts: "select": ["event_type", "payload.user.id"], "orderBy": { "field": "timestamp", "direction": "desc" } (default global_position asc).
- Paging: limit defaults to ${defaultLimit} here (max ${maxLimit}); the next page is the same query with "offset": offset + limit while offset + limit < total.
  Example: { "from": { "instance": "orders", "stream": "order-7" }, "limit": 50, "offset": 50 }
- reduce aggregates every match (${REDUCE_TYPES.join(', ')}; all but count need a field) and returns no events; groupBy takes fields and time buckets { "field": "timestamp", "interval": ${TIME_INTERVALS.map((i) => `"${i}"`).join(' | ')} }.
  Example: "reduce": { "type": "count", "groupBy": ["event_type", { "field": "timestamp", "interval": "day" }] } → aggregation.groups [{ key: { event_type, timestamp }, value }]
${ENVELOPE}`;
}

const DESCRIPTIONS: Readonly<Record<Exclude<ToolMethod, 'queryEvents'>, string>> = {
  createInstance: `Create an instance: a named, isolated event log holding streams of events (e.g. one per application or purpose). Names are unique (ALREADY_EXISTS otherwise).
Example: { "name": "user-activity", "description": "Logins and page views" } → data.instance { id, name, … }. Tools take an instance's id or its name.
${ENVELOPE}`,
  getInstance: `Get one instance by id or name: data.instance { id, name, description?, createdAt, updatedAt }.
Example: { "instanceId": "user-activity" }
${ENVELOPE}`,
  listInstances: `List every instance, oldest first: data.instances. Start here to see what exists.
Example: {}
${ENVELOPE}`,
  updateInstance: `Rename an instance or change its description (give at least one; description null removes it).
Example: { "instanceId": "user-activity", "description": "Logins, logouts and page views" }
${ENVELOPE}`,
  deleteInstance: `Delete an instance with all its events, permanently: data { instance, deletedEvents }.
Example: { "instanceId": "scratch" }
${ENVELOPE}`,
  appendEvent: `Append one event to a stream of an instance. Events are immutable facts: name them in the past tense ("order_placed"). The stored event gets sequence_number (per stream, from 1) and global_position (across the store); data.event is the stored record.
Example: { "instanceId": "user-activity", "streamId": "user-123", "eventType": "login", "payload": { "ip": "192.168.1.1" }, "autoCreateInstance": true }
Safe retries: pass an eventId. Concurrency: pass expectedVersion (the stream's last sequence_number you read; 0 for a new stream) and re-read on CONFLICT.
${ENVELOPE}`,
  appendEvents: `Append several events atomically (all or none), in order; events without a streamId go to the batch's streamId (default "default"). data { events, count }.
Example: { "instanceId": "orders", "streamId": "order-7", "events": [{ "eventType": "order_placed", "payload": { "total": 42 } }, { "eventType": "order_paid" }], "expectedVersion": 0 }
expectedVersion applies only when every event goes to one stream.
${ENVELOPE}`,
  getInstanceStats: `Statistics of an instance: eventCount, streamCount, eventTypes (count per event type), firstEventAt, lastEventAt, createdAt, updatedAt. A cheap overview before querying.
Example: { "instanceId": "user-activity" }
${ENVELOPE}`,
};

const READS: ReadonlySet<ToolMethod> = new Set([
  'getInstance',
  'listInstances',
  'queryEvents',
  'getInstanceStats',
]);

const TITLES: Readonly<Record<ToolMethod, string>> = {
  createInstance: 'Create an instance',
  getInstance: 'Get an instance',
  listInstances: 'List instances',
  updateInstance: 'Update an instance',
  deleteInstance: 'Delete an instance',
  appendEvent: 'Append an event',
  appendEvents: 'Append events (atomic batch)',
  queryEvents: 'Query events',
  getInstanceStats: 'Instance statistics',
};

/**
 * The nine tools, in the order of the API document.
 *
 * @param defaultLimit the query tool's default `limit`
 * @param maxLimit the log's largest query `limit` (mentioned in the query tool's description)
 */
export function eventLogTools(defaultLimit: number, maxLimit: number): EventLogTool[] {
  const schemas = toolInputSchemas(defaultLimit, maxLimit);
  return (Object.keys(TOOL_NAMES) as ToolMethod[]).map((method) => {
    const reads = READS.has(method);
    return {
      method,
      reads,
      definition: {
        name: TOOL_NAMES[method],
        title: TITLES[method],
        description:
          method === 'queryEvents' ? queryDescription(defaultLimit, maxLimit) : DESCRIPTIONS[method],
        inputSchema: schemas[method] as Tool['inputSchema'],
        annotations: {
          readOnlyHint: reads,
          destructiveHint: method === 'deleteInstance' || method === 'updateInstance',
          // Appends are idempotent only with an eventId; creating twice is ALREADY_EXISTS.
          idempotentHint: reads || method === 'updateInstance' || method === 'deleteInstance',
          openWorldHint: false,
        },
      },
    };
  });
}
