import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { createEventLogServer } from '../server/event-log-server.js';
import { callEnvelope, expectEveryToolWorks, expectReadOnly } from '../test/mcp-scenarios.js';

const CLI = fileURLToPath(new URL('../cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(join(tmpdir(), 'eventlog-mcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The SDK's client on the real bin (`eventlog mcp …`), spawned on the TypeScript sources. */
async function mcpClient(args: string[]): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'EVENTLOG_URL' && key !== 'EVENTLOG_TOKEN') env[key] = value;
  }
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--conditions=@eventlog/source', '--import', TSX, CLI, 'mcp', ...args],
    cwd: dir,
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client({ name: 'test', version: '1.0.0' });
  // Anything on stdout that is not a protocol message shows up here.
  const errors: Error[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return { client, stderr: () => stderr, errors };
}

describe('eventlog mcp (stdio)', () => {
  it('given a memory store, when the SDK client lists and calls every tool, then each answers and stdout holds only protocol messages', async () => {
    const { client, stderr, errors } = await mcpClient(['--url', 'memory:']);
    try {
      await expectEveryToolWorks(client);
      expect(errors).toEqual([]);
      expect(stderr()).toContain('eventlog: MCP server on stdio (store memory:)');
    } finally {
      await client.close();
    }
  });

  it('given --read-only on a SQLite file, when used, then it reads what is there and offers no writing tool', async () => {
    const url = `sqlite:${join(dir, 'agent.db')}`;
    const log = await openEventLog(url);
    await log.appendEvent({
      instanceId: 'notes',
      eventType: 'noted',
      payload: { n: 1 },
      autoCreateInstance: true,
    });
    await log.close();

    const { client, stderr } = await mcpClient(['--url', url, '--read-only']);
    try {
      await expectReadOnly(client, 'notes');
      expect(
        await callEnvelope(client, 'eventlog_query_events', { query: { from: { instance: 'notes' } } }),
      ).toMatchObject({ success: true, data: { result: { total: 1, events: [{ payload: { n: 1 } }] } } });
      expect(stderr()).toContain('read-only');
    } finally {
      await client.close();
    }
  });

  it('given a ws:// server URL and its token, when used, then the tools reach the log behind the server', async () => {
    const log = await openEventLog('memory:');
    const server = await createEventLogServer({ log, port: 0, token: 'tok' });
    try {
      const { client } = await mcpClient(['--url', server.address.url, '--token', 'tok']);
      try {
        expect(
          await callEnvelope(client, 'eventlog_append_event', {
            instanceId: 'remote',
            eventType: 'hello',
            autoCreateInstance: true,
          }),
        ).toMatchObject({ success: true, data: { event: { global_position: 1 } } });
        expect(await callEnvelope(client, 'eventlog_get_instance', { instanceId: 7 })).toMatchObject({
          success: false,
          code: 'VALIDATION_ERROR',
        });
      } finally {
        await client.close();
      }
      expect((await log.getInstanceStats('remote')).success).toBe(true);
    } finally {
      await server.close();
      await log.close();
    }
  });
});
