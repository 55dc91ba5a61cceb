/**
 * Test helpers for the MCP server: what every transport (in memory, stdio, HTTP) must do, checked
 * through the SDK's own client. (Under src/test/, which the build excludes.)
 */

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { expect } from 'vitest';

/** The nine tool names of SPEC §13. */
export const ALL_TOOLS = [
  'eventlog_create_instance',
  'eventlog_get_instance',
  'eventlog_list_instances',
  'eventlog_update_instance',
  'eventlog_delete_instance',
  'eventlog_append_event',
  'eventlog_append_events',
  'eventlog_query_events',
  'eventlog_get_instance_stats',
];

/** The tools `--read-only` keeps. */
export const READ_TOOLS = [
  'eventlog_get_instance',
  'eventlog_list_instances',
  'eventlog_query_events',
  'eventlog_get_instance_stats',
];

/** A tool result as the SDK client returns it. */
type ToolResult = Awaited<ReturnType<Client['callTool']>>;

/** An envelope, as far as the tests read it. */
export interface EnvelopeJson {
  type: string;
  success: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: tests read envelopes of every method by path
  data?: Record<string, any>;
  error?: string;
  code?: string;
  requestId: string;
}

/**
 * The envelope of a tool result: the JSON of its first text item, which must equal
 * `structuredContent`, with `isError` set exactly when the envelope failed.
 */
export function envelopeOf(result: ToolResult): EnvelopeJson {
  const content = result.content as Array<{ type: string; text: string }>;
  expect(content[0]?.type).toBe('text');
  const envelope = JSON.parse(content[0]?.text ?? '') as EnvelopeJson;
  expect(result.structuredContent).toEqual(envelope);
  expect(result.isError === true).toBe(!envelope.success);
  return envelope;
}

/** Calls a tool and returns its envelope. */
export async function callEnvelope(client: Client, name: string, args: Record<string, unknown>) {
  return envelopeOf(await client.callTool({ name, arguments: args }));
}

/**
 * Lists the tools (the nine names, each with an object input schema) and calls each one, then
 * sends bad input and expects the API's VALIDATION_ERROR as an error result.
 */
export async function expectEveryToolWorks(client: Client, instance = 'mcp-demo'): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([...ALL_TOOLS].sort());
  for (const tool of tools) {
    expect(tool.inputSchema.type).toBe('object');
    expect(tool.description?.length).toBeGreaterThan(50);
  }

  const created = await callEnvelope(client, 'eventlog_create_instance', {
    name: instance,
    description: 'made by an agent',
  });
  expect(created).toMatchObject({ type: 'eventLog.createInstance', success: true });
  const id = created.data?.instance.id as string;
  expect(await callEnvelope(client, 'eventlog_get_instance', { instanceId: instance })).toMatchObject({
    success: true,
    data: { instance: { id, name: instance } },
  });
  const listed = await callEnvelope(client, 'eventlog_list_instances', {});
  expect(listed.data?.instances).toEqual(expect.arrayContaining([expect.objectContaining({ id })]));
  expect(
    await callEnvelope(client, 'eventlog_update_instance', { instanceId: id, description: 'renamed' }),
  ).toMatchObject({ success: true, data: { instance: { description: 'renamed' } } });

  expect(
    await callEnvelope(client, 'eventlog_append_event', {
      instanceId: instance,
      streamId: 'user-1',
      eventType: 'login',
      payload: { ip: '10.0.0.1' },
      expectedVersion: 'no_stream',
    }),
  ).toMatchObject({ success: true, data: { event: { stream_id: 'user-1', sequence_number: 1 } } });
  expect(
    await callEnvelope(client, 'eventlog_append_events', {
      instanceId: instance,
      streamId: 'user-2',
      events: [{ eventType: 'login' }, { event_type: 'logout', payload: { after: 5 } }],
    }),
  ).toMatchObject({ success: true, data: { count: 2 } });

  const queried = await callEnvelope(client, 'eventlog_query_events', {
    query: { from: { instance }, where: [{ field: 'event_type', operator: 'eq', value: 'login' }] },
  });
  expect(queried.data?.result).toMatchObject({ total: 2 });
  expect(queried.data?.result.events.map((e: { stream_id: string }) => e.stream_id)).toEqual([
    'user-1',
    'user-2',
  ]);
  expect(await callEnvelope(client, 'eventlog_get_instance_stats', { instanceId: instance })).toMatchObject({
    success: true,
    data: { eventCount: 3, streamCount: 2, eventTypes: { login: 2, logout: 1 } },
  });

  // Bad input reaches the API, which answers with its own VALIDATION_ERROR.
  const bad = await callEnvelope(client, 'eventlog_get_instance', { instanceId: 5 });
  expect(bad).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
  expect(bad.error).toContain('instanceId');
  expect(
    await callEnvelope(client, 'eventlog_append_event', { instanceId: instance, payload: { x: 1 } }),
  ).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: expect.stringContaining('eventType') });
  expect(
    await callEnvelope(client, 'eventlog_query_events', {
      query: { from: { instance }, where: [{ field: 'payload.a', operator: 'like', value: 1 }] },
    }),
  ).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
  expect(
    await callEnvelope(client, 'eventlog_create_instance', { name: instance, colour: 'red' }),
  ).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: expect.stringContaining('colour') });

  expect(await callEnvelope(client, 'eventlog_delete_instance', { instanceId: instance })).toMatchObject({
    success: true,
    data: { deletedEvents: 3 },
  });
  expect(await callEnvelope(client, 'eventlog_get_instance', { instanceId: instance })).toMatchObject({
    success: false,
    code: 'NOT_FOUND',
  });
}

/** Lists only the reading tools, serves them, and refuses the writing ones. */
export async function expectReadOnly(client: Client, instance: string): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([...READ_TOOLS].sort());
  for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
  expect(await callEnvelope(client, 'eventlog_get_instance_stats', { instanceId: instance })).toMatchObject({
    success: true,
  });
  for (const name of ['eventlog_create_instance', 'eventlog_append_event', 'eventlog_delete_instance']) {
    await expect(
      client.callTool({ name, arguments: { name: 'x', instanceId: instance, eventType: 't' } }),
    ).rejects.toThrow(/read-only/);
  }
}
