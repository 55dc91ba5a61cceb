import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventLog } from '@eventlog/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { expectEveryToolWorks, expectReadOnly } from '../test/mcp-scenarios.js';
import { createMcpHttpHandler, type McpHttpHandlerOptions } from './mcp-http-handler.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A plain node:http server with the handler at /mcp, as `eventlog serve` will mount it. */
async function httpServer(options: McpHttpHandlerOptions): Promise<{ server: Server; url: string }> {
  const mcp = createMcpHttpHandler(options);
  const server = createServer((req, res) => {
    if (req.url === '/mcp') void mcp(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` };
}

async function sdkClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A raw POST of an initialize request with the given headers (Host included, which fetch cannot set). */
function rawPost(
  url: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += String(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? JSON.stringify(INITIALIZE) : undefined);
  });
}

let log: EventLog;
let guarded: { server: Server; url: string };
let readOnly: { server: Server; url: string };
const ALLOWED = 'https://console.example.com';

beforeAll(async () => {
  log = await openEventLog('memory:');
  guarded = await httpServer({ log, token: 'tok', allowedOrigins: [ALLOWED] });
  readOnly = await httpServer({ log, readOnly: true });
});
afterAll(async () => {
  for (const { server } of [guarded, readOnly]) await new Promise((resolve) => server.close(resolve));
  await log.close();
});

describe('createMcpHttpHandler', () => {
  it('given the token, when the SDK client lists and calls every tool over HTTP, then each answers with the envelope', async () => {
    const client = await sdkClient(guarded.url, { authorization: 'Bearer tok' });
    try {
      await expectEveryToolWorks(client, 'over-http');
    } finally {
      await client.close();
    }
  });

  it('given no token or a wrong one, when a request comes, then 401 with an UNAUTHORIZED error', async () => {
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: 'tok' },
    ];
    for (const headers of wrong) {
      const res = await rawPost(guarded.url, headers);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(JSON.parse(res.body)).toMatchObject({
        jsonrpc: '2.0',
        error: { message: expect.stringMatching(/^Unauthorized/), data: { code: 'UNAUTHORIZED' } },
      });
    }
    await expect(sdkClient(guarded.url, { authorization: 'Bearer nope' })).rejects.toThrow();
  });

  it('given an Origin from elsewhere, when a request comes, then 403 even with the token', async () => {
    const { host } = new URL(guarded.url);
    const refused: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      // DNS rebinding: a page of evil.example, rebound to 127.0.0.1, names its own host.
      { origin: 'http://evil.example:1234', host: 'evil.example:1234' },
    ];
    for (const headers of refused) {
      const res = await rawPost(guarded.url, { ...headers, authorization: 'Bearer tok' });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { data: { code: 'FORBIDDEN' } } });
    }
    const own = await rawPost(guarded.url, { origin: `http://${host}`, authorization: 'Bearer tok' });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ result: { serverInfo: { name: 'eventlog' } } });
    const viaLocalhost = await rawPost(guarded.url, {
      origin: `http://localhost:${new URL(guarded.url).port}`,
      host: `localhost:${new URL(guarded.url).port}`,
      authorization: 'Bearer tok',
    });
    expect(viaLocalhost.status).toBe(200);
  });

  it('given an allowed origin, when it sends a preflight and a request, then both pass with CORS headers', async () => {
    const preflight = await rawPost(guarded.url, { origin: ALLOWED }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const res = await rawPost(guarded.url, { origin: ALLOWED, authorization: 'Bearer tok' });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('given GET (a stream) on the stateless endpoint, when it comes, then 405', async () => {
    const res = await rawPost(guarded.url, { authorization: 'Bearer tok' }, 'GET');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });

  it('given read-only, when the SDK client lists and calls tools, then only the reading tools exist', async () => {
    await log.createInstance('ro-http');
    const client = await sdkClient(readOnly.url);
    try {
      await expectReadOnly(client, 'ro-http');
    } finally {
      await client.close();
    }
  });

  it('given bad options, when the handler is made, then it throws at once', () => {
    expect(() => createMcpHttpHandler({ log, allowedOrigins: ['example.com'] })).toThrow(
      /"example.com" is not an origin/,
    );
    expect(() => createMcpHttpHandler({ log, maxResultChars: 0 })).toThrow(/positive integer/);
  });
});
