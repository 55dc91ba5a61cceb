import type { EventLog } from '@eventlog/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { callEnvelope, envelopeOf, expectEveryToolWorks, expectReadOnly } from '../test/mcp-scenarios.js';
import { createEventLogMcpServer, type EventLogMcpServerOptions } from './mcp-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A memory log and an SDK client connected to an MCP server for it. */
async function connected(
  options: Omit<EventLogMcpServerOptions, 'log'> = {},
): Promise<{ log: EventLog; client: Client }> {
  const log = await openEventLog('memory:');
  const server = createEventLogMcpServer({ log, ...options });
  const client = new Client({ name: 'test', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  cleanups.push(async () => {
    await client.close();
    await server.close();
    await log.close();
  });
  return { log, client };
}

async function seed(log: EventLog, instance: string, count: number, payload: Record<string, unknown> = {}) {
  const res = await log.appendEvents({
    instanceId: instance,
    autoCreateInstance: true,
    events: Array.from({ length: count }, (_, i) => ({
      streamId: `s${i % 3}`,
      eventType: i % 2 === 0 ? 'even' : 'odd',
      payload: { i, ...payload },
      timestamp: Date.parse('2024-01-01T00:00:00Z') + i * 3_600_000,
    })),
  });
  expect(res.success).toBe(true);
}

describe('createEventLogMcpServer: tools', () => {
  it('given a client, when it lists and calls every tool, then each answers with the API envelope', async () => {
    const { client } = await connected();
    await expectEveryToolWorks(client);
  });

  it('given the append tools, when listed, then their input schemas are generated from the API validation', async () => {
    const { client } = await connected();
    const { tools } = await client.listTools();
    const append = tools.find((tool) => tool.name === 'eventlog_append_event');
    expect(append?.inputSchema).toMatchObject({
      type: 'object',
      required: ['instanceId'],
      additionalProperties: false,
      properties: {
        streamId: { type: 'string', description: expect.any(String) },
        stream_id: { type: 'string' },
        event_type: { type: 'string' },
        expectedVersion: {
          anyOf: [{ type: 'integer', minimum: 0 }, { enum: ['no_stream', 'any', 'stream_exists'] }],
        },
        autoCreateInstance: { type: 'boolean' },
      },
    });
    const batch = tools.find((tool) => tool.name === 'eventlog_append_events');
    expect(batch?.inputSchema).toMatchObject({
      required: ['instanceId', 'events'],
      properties: { events: { type: 'array', minItems: 1, items: { additionalProperties: false } } },
    });
    const update = tools.find((tool) => tool.name === 'eventlog_update_instance');
    expect(update?.inputSchema).toMatchObject({
      required: ['instanceId'],
      properties: { instanceId: {}, name: {}, description: { type: ['string', 'null'] } },
      additionalProperties: false,
    });
    const list = tools.find((tool) => tool.name === 'eventlog_list_instances');
    expect(list?.inputSchema).toEqual({ type: 'object', properties: {}, additionalProperties: false });
    const query = tools.find((tool) => tool.name === 'eventlog_query_events');
    expect(query?.inputSchema).toMatchObject({
      required: ['query'],
      properties: { query: { required: ['from'], properties: { reduce: { properties: { type: {} } } } } },
    });
    // The description teaches the DSL with an example of each part.
    for (const part of ['"where"', '"select"', '"offset"', '"groupBy"', '"interval": "day"', 'between']) {
      expect(query?.description).toContain(part);
    }
  });

  it('given no limit, when an agent queries, then it gets a small page and a note saying how to page on', async () => {
    const { log, client } = await connected({ defaultQueryLimit: 5 });
    await seed(log, 'paged', 12);
    const first = await client.callTool({
      name: 'eventlog_query_events',
      arguments: { query: { from: { instance: 'paged' } } },
    });
    expect(envelopeOf(first).data?.result).toMatchObject({ total: 12, limit: 5, offset: 0 });
    const note = (first.content as Array<{ text: string }>)[1]?.text;
    expect(note).toContain('Showing events 1–5 of 12');
    expect(note).toContain('"offset": 5');

    const last = await client.callTool({
      name: 'eventlog_query_events',
      arguments: { query: { from: { instance: 'paged' }, offset: 10 } },
    });
    expect(envelopeOf(last).data?.result.events).toHaveLength(2);
    expect(last.content).toHaveLength(1); // nothing more to page

    const explicit = await callEnvelope(client, 'eventlog_query_events', {
      query: { from: { instance: 'paged' }, limit: 12 },
    });
    expect(explicit.data?.result.events).toHaveLength(12);

    const grouped = await callEnvelope(client, 'eventlog_query_events', {
      query: {
        from: { instance: 'paged' },
        reduce: { type: 'count', groupBy: ['event_type', { field: 'timestamp', interval: 'day' }] },
      },
    });
    expect(grouped.data?.result.aggregation.groups).toEqual([
      { key: { event_type: 'even', timestamp: '2024-01-01T00:00:00.000Z' }, value: 6 },
      { key: { event_type: 'odd', timestamp: '2024-01-01T00:00:00.000Z' }, value: 6 },
    ]);
  });

  it('given a result over the size cap, when returned, then the events are cut to what fits, with a note', async () => {
    const { log, client } = await connected({ maxResultChars: 3000 });
    await seed(log, 'big', 10, { text: 'x'.repeat(500) });
    const result = await client.callTool({
      name: 'eventlog_query_events',
      arguments: { query: { from: { instance: 'big' }, limit: 10 } },
    });
    const text = (result.content as Array<{ text: string }>)[0]?.text as string;
    expect(text.length).toBeLessThanOrEqual(3000);
    const events = envelopeOf(result).data?.result.events as unknown[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(10);
    const note = (result.content as Array<{ text: string }>)[1]?.text;
    expect(note).toContain(`Next page: the same query with "offset": ${events.length}`);
    expect(note).toMatch(/Cut short: .* only the first \d+ of 10 events/);
  });

  it('given read-only, when listed and called, then only the reading tools exist', async () => {
    const { log, client } = await connected({ readOnly: true });
    await seed(log, 'ro', 2);
    await expectReadOnly(client, 'ro');
  });

  it('given an unknown tool, when called, then the error lists the tools', async () => {
    const { client } = await connected();
    await expect(client.callTool({ name: 'eventlog_drop_everything', arguments: {} })).rejects.toThrow(
      /Unknown tool eventlog_drop_everything; the tools are eventlog_create_instance/,
    );
  });
});

describe('createEventLogMcpServer: resources', () => {
  it('given instances, when resources are listed and read, then they show instances, stats and streams', async () => {
    const { log, client } = await connected();
    await seed(log, 'browse', 7);
    const { resources } = await client.listResources();
    const id = (await log.store.getInstance('browse')).id;
    expect(resources.map((r) => r.uri)).toEqual([
      'eventlog://instances',
      `eventlog://instances/${id}/stats`,
      `eventlog://instances/${id}/streams`,
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
      'eventlog://instances/{instance}/stats',
      'eventlog://instances/{instance}/streams',
    ]);

    const read = async (uri: string) => {
      const { contents } = await client.readResource({ uri });
      expect(contents[0]).toMatchObject({ uri, mimeType: 'application/json' });
      return JSON.parse((contents[0] as { text: string }).text);
    };
    expect((await read('eventlog://instances')).instances).toEqual([expect.objectContaining({ id })]);
    expect(await read('eventlog://instances/browse/stats')).toMatchObject({ eventCount: 7, streamCount: 3 });
    expect(await read(`eventlog://instances/${id}/streams`)).toEqual({
      instance: id,
      streams: [
        { streamId: 's0', events: 3 },
        { streamId: 's1', events: 2 },
        { streamId: 's2', events: 2 },
      ],
      events: 7,
    });
    await expect(client.readResource({ uri: 'eventlog://instances/nope/stats' })).rejects.toThrow(
      /NOT_FOUND/,
    );
    await expect(client.readResource({ uri: 'eventlog://elsewhere' })).rejects.toThrow(/Unknown resource/);
  });

  it('given a subscription, when events are appended or the instance changes, then the client is notified', async () => {
    const { log, client } = await connected();
    await seed(log, 'watched', 1);
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updated.push(notification.params.uri);
    });
    const streams = 'eventlog://instances/watched/streams';
    await client.subscribeResource({ uri: streams });
    await client.subscribeResource({ uri: 'eventlog://instances' });
    await expect(client.subscribeResource({ uri: 'eventlog://instances/nope/stats' })).rejects.toThrow(
      /NOT_FOUND/,
    );

    await log.appendEvent({ instanceId: 'watched', eventType: 'more' }); // another writer of the log
    await expect.poll(() => updated).toEqual([streams]);

    await callEnvelope(client, 'eventlog_update_instance', { instanceId: 'watched', description: 'x' });
    await expect.poll(() => updated.length).toBe(3);
    expect(updated.slice(1).sort()).toEqual(['eventlog://instances', streams]);

    await client.unsubscribeResource({ uri: streams });
    await client.unsubscribeResource({ uri: 'eventlog://instances' });
    await log.appendEvent({ instanceId: 'watched', eventType: 'unseen' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(updated).toHaveLength(3);
  });
});
