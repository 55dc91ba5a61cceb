import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, type EventLog, type EventRecord } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/raw-client.js';
import {
  createEventLogServer,
  type EventLogServer,
  type EventLogServerOptions,
} from '../event-log-server.js';

const NOW = Date.parse('2024-01-19T10:00:00.000Z');
const frozenLog = () => createEventLog({ adapter: memoryAdapter(), now: () => NOW });

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const dir = mkdtempSync(join(tmpdir(), 'eventlog-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(options: Partial<EventLogServerOptions> & { log: EventLog }): Promise<EventLogServer> {
  const server = await createEventLogServer({ port: 0, heartbeatMs: 0, console: false, ...options });
  cleanups.push(() => server.close());
  return server;
}

/** POSTs `body` (JSON unless a string) to /v1/eventLog.<method>; the status and the parsed answer. */
async function call(
  server: EventLogServer,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.address.httpUrl}/v1/eventLog.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

describe('Given the HTTP API (POST /v1/eventLog.<method>)', () => {
  it('when each method is called, then it answers the envelope with the status of SPEC §11', async () => {
    const log = frozenLog();
    const server = await serve({ log });
    const created = await call(server, 'createInstance', { name: 'audit-log', description: 'Who did what' });
    expect(created).toMatchObject({ status: 200, body: { type: 'eventLog.createInstance', success: true } });
    expect((await call(server, 'createInstance', { name: 'audit-log' })).status).toBe(409);
    expect((await call(server, 'getInstance', { instanceId: 'audit-log' })).status).toBe(200);
    expect(await call(server, 'getInstance', { instanceId: 'missing' })).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    expect(await call(server, 'listInstances')).toMatchObject({
      status: 200,
      body: { data: { instances: [{}] } },
    });
    expect(
      (await call(server, 'updateInstance', { instanceId: 'audit-log', description: 'Changes' })).status,
    ).toBe(200);
    const appended = await call(server, 'appendEvent', {
      instanceId: 'audit-log',
      streamId: 'u1',
      eventType: 'login',
      payload: { ip: '1.2.3.4' },
      expectedVersion: 'no_stream',
    });
    expect(appended).toMatchObject({ status: 200, body: { data: { event: { global_position: 1 } } } });
    expect(
      await call(server, 'appendEvent', {
        instanceId: 'audit-log',
        streamId: 'u1',
        eventType: 'x',
        expectedVersion: 0,
      }),
    ).toMatchObject({ status: 409, body: { code: 'CONFLICT', details: { actualVersion: 1 } } });
    expect(
      (
        await call(server, 'appendEvents', {
          instanceId: 'audit-log',
          events: [
            { streamId: 'u2', eventType: 'page_view' },
            { streamId: 'u2', eventType: 'page_view' },
          ],
        })
      ).body,
    ).toMatchObject({ success: true, data: { count: 2 } });
    const query = { from: { instance: 'audit-log' }, reduce: { type: 'count', groupBy: ['event_type'] } };
    const remote = await call(server, 'queryEvents', { query });
    const local = await log.queryEvents(query as never);
    expect(remote.body.data).toEqual(local.success ? local.data : undefined);
    const page = {
      from: { instance: 'audit-log' },
      orderBy: { field: 'global_position', direction: 'desc' },
      limit: 2,
    };
    const paged = await call(server, 'pageEvents', { query: page });
    const localPage = await log.pageEvents(page as never);
    expect(paged).toMatchObject({ status: 200, body: { type: 'eventLog.pageEvents', success: true } });
    expect(paged.body.data).toEqual(localPage.success ? localPage.data : undefined);
    const pageData = paged.body.data as { events: Array<{ stream_id: string }> };
    expect(Object.keys(pageData)).toEqual(['events']);
    expect(pageData.events.map((e) => e.stream_id)).toEqual(['u2', 'u2']);
    expect(
      await call(server, 'queryEvents', { query: { from: { instance: 'audit-log' }, limit: 10_001 } }),
    ).toMatchObject({
      status: 413,
      body: { code: 'LIMIT_EXCEEDED' },
    });
    expect((await call(server, 'getInstanceStats', { instanceId: 'audit-log' })).body).toMatchObject({
      data: { eventCount: 3 },
    });
    expect(await call(server, 'appendEvent', { instanceId: 'audit-log' })).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_ERROR' },
    });
    expect((await call(server, 'deleteInstance', { instanceId: 'audit-log' })).body).toMatchObject({
      data: { deletedEvents: 3 },
    });
  });

  it('when the body is not JSON, names no method, or the method is not POST, then 400 / 405 envelopes', async () => {
    const server = await serve({ log: frozenLog() });
    expect(await call(server, 'listInstances', '{"oops"')).toMatchObject({
      status: 400,
      body: { type: 'eventLog.listInstances', success: false, code: 'VALIDATION_ERROR' },
    });
    expect(await call(server, 'subscribe', {})).toMatchObject({
      status: 400,
      body: { code: 'VALIDATION_ERROR' },
    });
    const get = await fetch(`${server.address.httpUrl}/v1/eventLog.listInstances`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${server.address.httpUrl}/nope`)).status).toBe(404);
  });

  it('when a request carries X-Request-Id, then the envelope and the response carry it', async () => {
    const server = await serve({ log: frozenLog() });
    const answer = await call(server, 'listInstances', {}, { 'x-request-id': 'req-42' });
    expect(answer.body.requestId).toBe('req-42');
    expect(answer.headers.get('x-request-id')).toBe('req-42');
  });

  it('when the body is over maxMessageBytes, then 413 without reading it; when the answer is over maxResponseBytes, then 413', async () => {
    const log = frozenLog();
    await log.appendEvents({
      instanceId: 'big',
      autoCreateInstance: true,
      events: Array.from({ length: 20 }, (_, i) => ({
        eventType: 'blob',
        payload: { i, blob: 'x'.repeat(50_000) },
      })),
    });
    const server = await serve({ log, maxMessageBytes: 10_000, maxResponseBytes: 200_000 });
    expect(
      await call(server, 'appendEvent', {
        instanceId: 'big',
        eventType: 'x',
        payload: { s: 'y'.repeat(20_000) },
      }),
    ).toMatchObject({ status: 413, body: { code: 'LIMIT_EXCEEDED', details: { limit: 'maxMessageBytes' } } });
    expect(
      await call(server, 'queryEvents', { query: { from: { instance: 'big' }, limit: 20 } }),
    ).toMatchObject({
      status: 413,
      body: { code: 'LIMIT_EXCEEDED', details: { limit: 'maxResponseBytes' } },
    });
    expect(
      (await call(server, 'queryEvents', { query: { from: { instance: 'big' }, limit: 2 } })).status,
    ).toBe(200);
  });

  it('when the store fails, then 500 STORAGE_ERROR, and /health says 503', async () => {
    const log = frozenLog();
    const server = await serve({ log });
    expect((await fetch(`${server.address.httpUrl}/health`)).status).toBe(200);
    await log.close();
    expect(await call(server, 'listInstances')).toMatchObject({
      status: 500,
      body: { code: 'STORAGE_ERROR' },
    });
    const health = await fetch(`${server.address.httpUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable' });
  });
});

describe('Given a token and origins', () => {
  const token = 'correct horse';

  it('when a request has no token or a wrong one, then 401 UNAUTHORIZED, checked before the body is read; /health needs none', async () => {
    const server = await serve({ log: frozenLog(), token, maxMessageBytes: 1000 });
    expect(await call(server, 'listInstances')).toMatchObject({
      status: 401,
      body: { type: 'eventLog.listInstances', code: 'UNAUTHORIZED' },
    });
    expect(await call(server, 'listInstances', {}, { authorization: 'Bearer guess' })).toMatchObject({
      status: 401,
      body: { code: 'UNAUTHORIZED' },
    });
    // A large body without the token: refused for the token, not for its size.
    expect(await call(server, 'appendEvent', { payload: 'x'.repeat(5000) })).toMatchObject({ status: 401 });
    expect((await call(server, 'listInstances', {}, { authorization: `Bearer ${token}` })).status).toBe(200);
    const health = await fetch(`${server.address.httpUrl}/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    expect((await fetch(`${server.address.httpUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.address.httpUrl}/v1/events?instance=x`)).status).toBe(401);
  });

  it('when a page of another origin calls, then 403; listed origins get CORS headers and preflights', async () => {
    const server = await serve({ log: frozenLog(), allowOrigins: ['https://app.example.com'] });
    expect((await call(server, 'listInstances', {}, { origin: 'http://evil.example' })).status).toBe(403);
    const allowed = await call(server, 'listInstances', {}, { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const preflight = await fetch(`${server.address.httpUrl}/v1/eventLog.listInstances`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const same = await call(server, 'listInstances', {}, { origin: server.address.httpUrl });
    expect(same.status).toBe(200);
  });

  it('when a page rebinds its own domain to the loopback server (DNS rebinding), then 403: same origin needs a loopback name', async () => {
    // Without a token, a page of evil.example whose name now resolves to 127.0.0.1 sends its own
    // origin and host; the server must not take that for its own pages.
    const server = await serve({ log: frozenLog() });
    const port = server.address.port;
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(
          `${server.address.httpUrl}/v1/eventLog.listInstances`,
          { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.on('error', reject);
        request.end('{}');
      });
    expect(await post({ origin: `http://evil.example:${port}`, host: `evil.example:${port}` })).toBe(403);
    expect(await post({ origin: `http://localhost:${port}`, host: `localhost:${port}` })).toBe(200);
    expect(await post({ origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` })).toBe(200);
  });

  it('when a handler is mounted (the MCP hook), then it is reached after the token check', async () => {
    const seen: string[] = [];
    const server = await serve({
      log: frozenLog(),
      token,
      mounts: {
        '/mcp': (request, response) => {
          seen.push(request.url ?? '');
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.end('mounted');
        },
      },
    });
    expect((await fetch(`${server.address.httpUrl}/mcp`, { method: 'POST' })).status).toBe(401);
    const ok = await fetch(`${server.address.httpUrl}/mcp/x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect([ok.status, await ok.text()]).toEqual([200, 'mounted']);
    expect(seen).toEqual(['/mcp/x']);
  });
});

describe('Given /metrics and the console', () => {
  it('when requests were served, then /metrics shows requests by method and code, appended events and subscribers', async () => {
    const log = frozenLog();
    const server = await serve({ log });
    await call(server, 'appendEvents', {
      instanceId: 'm',
      autoCreateInstance: true,
      events: [{ eventType: 'a' }, { eventType: 'b' }],
    });
    await call(server, 'getInstance', { instanceId: 'missing' });
    const source = new EventSource(`${server.address.httpUrl}/v1/events?instance=m`);
    cleanups.push(() => source.close());
    await new Promise((resolve) => source.addEventListener('message', resolve, { once: true }));
    const response = await fetch(`${server.address.httpUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/eventlog_requests_total\{transport="http",method="appendEvents",code="ok"\} 1/);
    expect(text).toMatch(
      /eventlog_requests_total\{transport="http",method="getInstance",code="NOT_FOUND"\} 1/,
    );
    expect(text).toMatch(/eventlog_appended_events_total 2/);
    expect(text).toMatch(/eventlog_subscribers\{transport="sse"\} 1/);
    expect(text).toMatch(
      /eventlog_request_duration_seconds_bucket\{le="0.005",transport="http",method="appendEvents"\}/,
    );
  });

  it('when the console is built, then / serves it without a token, with a content security policy', async () => {
    const consoleDir = join(dir, 'console');
    rmSync(consoleDir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(consoleDir, 'assets'), { recursive: true });
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Event Log</title>');
    writeFileSync(join(consoleDir, 'assets', 'app-1234.js'), 'console.log(1)');
    const server = await serve({ log: frozenLog(), token: 't', console: consoleDir });
    const page = await fetch(`${server.address.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Event Log</title>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const script = await fetch(`${server.address.httpUrl}/assets/app-1234.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.address.httpUrl}/assets/missing.js`)).status).toBe(404);
  });
});

describe('Given SSE (GET /v1/events) and a real EventSource client', () => {
  const seed = async (log: EventLog, from: number, count: number) => {
    const res = await log.appendEvents({
      instanceId: 'orders',
      autoCreateInstance: true,
      events: Array.from({ length: count }, (_, i) => ({
        eventType: (from + i) % 2 === 0 ? 'even' : 'odd',
        payload: { n: from + i },
      })),
    });
    if (!res.success) throw new Error(res.error);
  };

  it('when events are stored and then appended, then each arrives once, in order, with id = global_position', async () => {
    const log = frozenLog();
    await seed(log, 0, 10);
    const server = await serve({ log });
    const got: Array<{ id: string; n: number }> = [];
    const source = new EventSource(`${server.address.httpUrl}/v1/events?instance=orders&after=4`);
    cleanups.push(() => source.close());
    source.addEventListener('message', (message) => {
      got.push({ id: message.lastEventId, n: (JSON.parse(message.data) as EventRecord).payload.n as number });
    });
    await until(() => got.length === 6);
    await seed(log, 10, 3);
    await until(() => got.length === 9);
    expect(got.map((g) => g.n)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(got.map((g) => g.id)).toEqual(['5', '6', '7', '8', '9', '10', '11', '12', '13']);
  });

  it('when the server restarts, then EventSource reconnects with Last-Event-ID and resumes without gaps or repeats', async () => {
    const log = frozenLog();
    await seed(log, 0, 5);
    let server = await createEventLogServer({ log, port: 0, heartbeatMs: 0, console: false });
    const { port } = server.address;
    const url = `${server.address.httpUrl}/v1/events?instance=orders`;
    const got: number[] = [];
    const source = new EventSource(url);
    cleanups.push(() => source.close());
    source.addEventListener('message', (message) => {
      got.push((JSON.parse(message.data) as EventRecord).payload.n as number);
    });
    await until(() => got.length === 5);
    await server.close();
    await seed(log, 5, 5); // while the client is disconnected
    server = await createEventLogServer({ log, port, heartbeatMs: 0, console: false });
    cleanups.push(() => server.close());
    await seed(log, 10, 2);
    await until(() => got.length === 12, 15_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('when filtered with where and the token is sent, then only matching events arrive; the deletion ends the stream; a missing instance is 404', async () => {
    const log = frozenLog();
    await seed(log, 0, 6);
    const token = 'tok';
    const server = await serve({ log, token });
    const where = encodeURIComponent(
      JSON.stringify([{ field: 'event_type', operator: 'eq', value: 'even' }]),
    );
    const got: number[] = [];
    const ends: unknown[] = [];
    const source = new EventSource(`${server.address.httpUrl}/v1/events?instance=orders&where=${where}`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${token}` } }),
    });
    cleanups.push(() => source.close());
    source.addEventListener('message', (message) => {
      got.push((JSON.parse(message.data) as EventRecord).payload.n as number);
    });
    source.addEventListener('end', (message) => ends.push(JSON.parse(message.data)));
    await until(() => got.length === 3);
    await seed(log, 6, 2);
    await until(() => got.length === 4);
    expect(got).toEqual([0, 2, 4, 6]);
    await log.deleteInstance('orders');
    await until(() => ends.length === 1);
    expect(ends).toEqual([{ reason: 'deleted' }]);
    source.close();
    const missing = await fetch(`${server.address.httpUrl}/v1/events?instance=orders`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const bad = await fetch(`${server.address.httpUrl}/v1/events?instance=x&after=-1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.status).toBe(400);
  });
});
