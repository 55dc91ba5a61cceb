import { connect, type EventLogClient, type RemoteEventLog } from '@eventlog/client';
import { createEventLog, type EventLog, type EventRecord, type Query } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { captureLogger } from '../test/capture-logger.js';
import { type RawClient, rawClient, until } from '../test/raw-client.js';
import { createEventLogServer, type EventLogServer, type EventLogServerOptions } from './event-log-server.js';

const NOW = Date.parse('2024-01-19T10:00:00.000Z');
const frozenLog = () => createEventLog({ adapter: memoryAdapter(), now: () => NOW });

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(options: Partial<EventLogServerOptions> & { log: EventLog }): Promise<EventLogServer> {
  const server = await createEventLogServer({ port: 0, heartbeatMs: 0, ...options });
  cleanups.push(() => server.close());
  return server;
}

function client(url: string, token?: string): EventLogClient {
  const c = connect(url, { reconnect: { initialDelayMs: 20, maxDelayMs: 100 }, ...(token ? { token } : {}) });
  cleanups.push(() => c.close());
  return c;
}

async function raw(url: string, headers?: Record<string, string>): Promise<RawClient> {
  const c = await rawClient(url, headers);
  cleanups.push(() => c.close());
  return c;
}

/** The same calls, in order, against any log with the nine methods. */
async function script(log: Omit<EventLog, 'store'> | RemoteEventLog): Promise<unknown[]> {
  const out: unknown[] = [];
  out.push(await log.createInstance('audit-log', 'Who did what'));
  out.push(await log.createInstance('audit-log'));
  out.push(await log.createInstance(''));
  out.push(await log.getInstance('audit-log'));
  out.push(await log.getInstance('missing'));
  out.push(await log.listInstances());
  out.push(await log.updateInstance('audit-log', { description: 'Every change' }));
  out.push(await log.updateInstance('audit-log', { bogus: 1 } as never));
  const login = { instanceId: 'audit-log', streamId: 'u1', eventType: 'login', payload: { ip: '1.2.3.4' } };
  out.push(await log.appendEvent({ ...login, eventId: 'e1', expectedVersion: 'no_stream' }));
  out.push(await log.appendEvent({ ...login, eventId: 'e1' }));
  out.push(await log.appendEvent({ ...login, expectedVersion: 5 }));
  out.push(await log.appendEvent({ ...login, event_type: 'other' } as never));
  out.push(await log.appendEvent({ instanceId: 'scratch', eventType: 'x', autoCreateInstance: true }));
  out.push(
    await log.appendEvents({
      instanceId: 'audit-log',
      streamId: 'u2',
      events: [
        { eventType: 'page_view', payload: { page: '/a', ms: 10 }, timestamp: '2024-01-01T00:00:00+02:00' },
        { eventType: 'page_view', payload: { page: '/b', ms: 30 } },
        { stream_id: 'u1', event_type: 'logout' },
      ],
    }),
  );
  out.push(
    await log.appendEvents({
      instanceId: 'audit-log',
      events: [{ eventType: 'ok' }, { payload: {} }] as never,
    }),
  );
  out.push(
    await log.queryEvents({
      from: { instance: 'audit-log' },
      where: [{ field: 'event_type', operator: 'in', value: ['login', 'page_view'] }],
      orderBy: { field: 'payload.ms', direction: 'desc' },
      select: ['event_type', 'payload.page', 'global_position'],
      limit: 2,
    }),
  );
  out.push(
    await log.queryEvents({
      from: { instance: 'audit-log' },
      reduce: { type: 'avg', field: 'payload.ms', groupBy: ['stream_id'] },
    }),
  );
  out.push(
    await log.queryEvents({
      from: { instance: 'audit-log' },
      where: [{ field: 'x', operator: 'eq', value: 1 }],
    }),
  );
  out.push(await log.queryEvents({ from: { instance: 'audit-log' }, limit: 1_000_000 }));
  out.push(await log.getInstanceStats('audit-log'));
  out.push(await log.getInstanceStats('missing'));
  out.push(await log.deleteInstance('scratch'));
  out.push(await log.deleteInstance('scratch'));
  return out;
}

/**
 * Replaces random UUIDs by their order of appearance, and drops what differs by nature: request
 * ids, and the envelope's own timestamp (a check the client makes locally carries the client's
 * clock; event and instance timestamps are compared).
 */
function normalize(envelopes: unknown[]): unknown {
  const ids = new Map<string, string>();
  const text = JSON.stringify(
    envelopes.map((envelope) => {
      const { requestId: _requestId, timestamp: _timestamp, ...rest } = envelope as Record<string, unknown>;
      return rest;
    }),
  );
  return JSON.parse(
    text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<id ${ids.size}>`);
      return ids.get(id) as string;
    }),
  );
}

describe('Given a server and a client over a real socket', () => {
  it('when the nine methods run, then every envelope equals the in-process one', async () => {
    const local = frozenLog();
    const remoteLog = frozenLog();
    const server = await serve({ log: remoteLog });
    const { eventLog } = client(server.address.url);

    const expected = await script(local);
    const actual = await script(eventLog);

    expect(normalize(actual)).toEqual(normalize(expected));
    // The script reaches every outcome worth comparing.
    const codes = expected.map((e) => (e as { code?: string }).code ?? 'ok');
    expect(new Set(codes)).toEqual(
      new Set(['ok', 'ALREADY_EXISTS', 'VALIDATION_ERROR', 'NOT_FOUND', 'CONFLICT', 'LIMIT_EXCEEDED']),
    );
  });

  it('when pageEvents runs, then the page equals the in-process one and has no total; an aggregation is refused', async () => {
    const log = frozenLog();
    await log.createInstance('pages');
    await log.appendEvents({
      instanceId: 'pages',
      events: [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }],
    });
    const server = await serve({ log });
    const { eventLog } = client(server.address.url);
    const query: Query = {
      from: { instance: 'pages' },
      where: [{ field: 'global_position', operator: 'gt', value: 1 }],
      limit: 1,
    };
    const remote = await eventLog.pageEvents(query);
    const local = await log.pageEvents(query);
    expect(remote.success && remote.data).toEqual(local.success && local.data);
    expect(remote.success && remote.data.events.map((e) => e.event_type)).toEqual(['b']);
    expect(
      await eventLog.pageEvents({ from: { instance: 'pages' }, reduce: { type: 'count' } }),
    ).toMatchObject({
      type: 'eventLog.pageEvents',
      success: false,
      code: 'VALIDATION_ERROR',
    });
  });

  it('when a raw request carries a requestId, then the envelope has the same type and requestId', async () => {
    const log = frozenLog();
    await log.createInstance('audit-log');
    const server = await serve({ log });
    const ws = await raw(server.address.url);
    const reply = await ws.call({
      type: 'eventLog.getInstance',
      requestId: 'r-1',
      params: { instanceId: 'audit-log' },
    });
    expect(reply).toMatchObject({ type: 'eventLog.getInstance', requestId: 'r-1', success: true });
    expect((reply.data as { instance: { name: string } }).instance.name).toBe('audit-log');
  });

  it('when messages are malformed or oversized, then each gets an error envelope and the socket keeps serving', async () => {
    const log = frozenLog();
    await log.createInstance('audit-log');
    const server = await serve({ log, maxMessageBytes: 2048 });
    const ws = await raw(server.address.url);

    ws.send('not json');
    expect(await ws.next()).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      type: 'eventLog.unknown',
    });
    ws.send('{"type":"eventLog.getInstance","requestId":"r2","params":{');
    expect(await ws.next()).toMatchObject({
      code: 'VALIDATION_ERROR',
      requestId: 'r2',
      type: 'eventLog.getInstance',
    });
    ws.send('[1,2]');
    expect(await ws.next()).toMatchObject({ code: 'VALIDATION_ERROR' });
    ws.send('"just a string"');
    expect(await ws.next()).toMatchObject({ code: 'VALIDATION_ERROR' });
    const refused: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['eventLog.nope', {}, { code: 'VALIDATION_ERROR', type: 'eventLog.nope' }],
      ['eventLog.getInstance', { params: 5 }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.getInstance', { params: { instanceId: 'audit-log', x: 1 } }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.subscribe', { params: { instance: 'audit-log', limit: 5 } }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.subscribe', { params: { instance: 'audit-log', where: 'x' } }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.subscribe', { extra: 1, params: { instance: 'audit-log' } }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.unsubscribe', { params: {} }, { code: 'VALIDATION_ERROR' }],
      ['eventLog.unsubscribe', { params: { subscriptionId: 'zz' } }, { code: 'NOT_FOUND' }],
    ];
    for (const [i, [type, rest, expected]] of refused.entries()) {
      const requestId = `r3-${i}`;
      expect(await ws.call({ type, requestId, ...rest }), requestId).toMatchObject({
        success: false,
        type,
        requestId,
        ...expected,
      });
    }
    const big = {
      type: 'eventLog.appendEvent',
      requestId: 'r9',
      params: { instanceId: 'audit-log', eventType: 'x', payload: { s: 'x'.repeat(3000) } },
    };
    ws.send(JSON.stringify(big));
    expect(await ws.next()).toMatchObject({
      success: false,
      code: 'LIMIT_EXCEEDED',
      requestId: 'r9',
      type: 'eventLog.appendEvent',
    });
    ws.send(Buffer.from(JSON.stringify({ type: 'eventLog.listInstances', requestId: 'r10' })));
    expect(await ws.next()).toMatchObject({ success: true, requestId: 'r10' });

    expect(
      await ws.call({
        type: 'eventLog.getInstanceStats',
        requestId: 'r11',
        params: { instanceId: 'audit-log' },
      }),
    ).toMatchObject({
      success: true,
      data: { eventCount: 0 },
    });
    expect(server.connections).toBe(1);
    expect((await log.getInstanceStats('audit-log')).success).toBe(true);
  });
});

describe('Given a server started with a token', () => {
  const token = 'correct horse';

  /** Resolves with the close code of a raw client's socket. */
  const closed = (ws: RawClient) =>
    new Promise<number>((resolve) => {
      if (ws.socket.readyState === ws.socket.CLOSED) resolve(-1);
      ws.socket.once('close', (code) => resolve(code));
    });

  it('when the first request has no token, then UNAUTHORIZED and the socket is closed', async () => {
    const server = await serve({ log: frozenLog(), token });
    const ws = await raw(server.address.url);
    const gone = closed(ws);
    const missing = await ws.call({ type: 'eventLog.listInstances', requestId: 'a1' });
    expect(missing).toMatchObject({ success: false, code: 'UNAUTHORIZED', requestId: 'a1' });
    expect(missing.error).toMatch(/needs a token/);
    expect(await gone).toBe(4401);
  });

  it('when the first request has a wrong token, then UNAUTHORIZED and the socket is closed', async () => {
    const server = await serve({ log: frozenLog(), token });
    const ws = await raw(server.address.url);
    const gone = closed(ws);
    const wrong = await ws.call({ type: 'eventLog.listInstances', requestId: 'a2', token: 'nope' });
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', requestId: 'a2' });
    expect(wrong.error).toMatch(/token is wrong/);
    expect(await gone).toBe(4401);
  });

  it('when the first request carries the token, then the connection is authenticated: later requests need none and may be large', async () => {
    const log = frozenLog();
    await log.createInstance('big');
    const server = await serve({ log, token });
    const ws = await raw(server.address.url);
    expect(await ws.call({ type: 'eventLog.listInstances', requestId: 'f1', token })).toMatchObject({
      success: true,
    });
    expect(await ws.call({ type: 'eventLog.listInstances', requestId: 'f2' })).toMatchObject({
      success: true,
    });
    const payload = { blob: 'x'.repeat(512 * 1024) };
    expect(
      await ws.call({
        type: 'eventLog.appendEvent',
        requestId: 'f3',
        params: { instanceId: 'big', eventType: 'blob', payload },
      }),
    ).toMatchObject({ success: true });
  });

  it('when an unauthenticated connection sends a large frame, then it is not read: the socket is closed (1009) and nothing is served', async () => {
    const log = frozenLog();
    let served = 0;
    const listInstances = log.store.listInstances.bind(log.store);
    log.store.listInstances = async () => {
      served += 1;
      return listInstances();
    };
    const server = await serve({ log, token });
    const ws = await raw(server.address.url);
    const gone = closed(ws);
    ws.send({
      type: 'eventLog.listInstances',
      requestId: 'big',
      token,
      params: {},
      padding: 'x'.repeat(1024 * 1024),
    });
    expect(await gone).toBe(1009);
    expect(served).toBe(0);
  });

  it('when the upgrade carries the Bearer token, then requests need no token field; a wrong header gets UNAUTHORIZED and is closed', async () => {
    const server = await serve({ log: frozenLog(), token });
    const good = await raw(server.address.url, { Authorization: `Bearer ${token}` });
    expect(await good.call({ type: 'eventLog.listInstances', requestId: 'b1' })).toMatchObject({
      success: true,
    });
    const bad = await raw(server.address.url, { Authorization: 'Bearer guess' });
    const gone = closed(bad);
    expect(await bad.call({ type: 'eventLog.listInstances', requestId: 'b2', token })).toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect(await gone).toBe(4401);
  });

  it('when the client connects with the token, then it is served; with a wrong one, it gets UNAUTHORIZED envelopes', async () => {
    const server = await serve({ log: frozenLog(), token });
    expect(await client(server.address.url, token).eventLog.createInstance('a')).toMatchObject({
      success: true,
    });
    const refused = await client(server.address.url, 'wrong').eventLog.listInstances();
    expect(refused).toMatchObject({
      success: false,
      code: 'UNAUTHORIZED',
      type: 'eventLog.listInstances',
    });
  });
  it('when the client waits for its connection, then it resolves with the right token and rejects UNAUTHORIZED with a wrong or missing one', async () => {
    const server = await serve({ log: frozenLog(), token });
    await expect(client(server.address.url, token).waitForConnection(5000)).resolves.toBeUndefined();
    const wrong = client(server.address.url, 'wrong');
    await expect(wrong.waitForConnection(5000)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/token is wrong.*refused the token/),
    });
    // Asked again (the client dials again), it is refused again rather than left waiting.
    await expect(wrong.waitForConnection(5000)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(client(server.address.url).waitForConnection(5000)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
  });
});

describe('Given WebSocket upgrades from web pages (Origin)', () => {
  /** The HTTP status of an upgrade refused by the server, or 101 when it was accepted. */
  const upgradeStatus = (url: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => {
        socket.close();
        resolve(101);
      });
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', (error) => {
        if (!/Unexpected server response/.test(error.message)) reject(error);
      });
    });

  it('when a page of another origin opens a socket, then 403; the same origin, listed origins and clients without Origin are accepted', async () => {
    const server = await serve({ log: frozenLog(), allowOrigins: ['https://app.example.com'] });
    const url = server.address.url;
    const self = `http://127.0.0.1:${server.address.port}`;
    expect(await upgradeStatus(url, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: 'null' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: `http://localhost:${server.address.port + 1}` })).toBe(403);
    // DNS rebinding: a page of evil.example whose name now resolves to this loopback server.
    const rebound = `evil.example:${server.address.port}`;
    expect(await upgradeStatus(url, { Origin: `http://${rebound}`, Host: rebound })).toBe(403);
    expect(await upgradeStatus(url, { Origin: self })).toBe(101);
    expect(await upgradeStatus(url, { Origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(url, {})).toBe(101);
  });

  it('when every origin is allowed (*), then any page may connect', async () => {
    const server = await serve({ log: frozenLog(), allowOrigins: ['*'] });
    expect(await upgradeStatus(server.address.url, { Origin: 'http://evil.example' })).toBe(101);
  });

  it('when bound to a non-loopback address without a token, then a warning is logged; with a token or on loopback, none', async () => {
    const lines: string[] = [];
    await serve({ log: frozenLog(), host: '0.0.0.0', logger: captureLogger(lines) });
    expect(lines.join('\n')).toMatch(/"level":40.*without a token/);
    const quiet: string[] = [];
    await serve({ log: frozenLog(), host: '0.0.0.0', token: 't', logger: captureLogger(quiet) });
    await serve({ log: frozenLog(), logger: captureLogger(quiet) });
    expect(quiet.filter((line) => line.includes('"level":40'))).toEqual([]);
  });
});

describe('Given subscriptions', () => {
  it('when the server restarts mid-stream, then the client receives every event once, in order', async () => {
    const log = frozenLog();
    await log.createInstance('orders');
    const append = async (from: number, count: number) => {
      const res = await log.appendEvents({
        instanceId: 'orders',
        events: Array.from({ length: count }, (_, i) => ({ eventType: 'placed', payload: { n: from + i } })),
      });
      expect(res.success).toBe(true);
    };
    await append(0, 40);
    let server = await createEventLogServer({ log, port: 0, heartbeatMs: 0 });
    const { port } = server.address;
    cleanups.push(() => server.close());
    const c = client(server.address.url);
    const seen: number[] = [];
    const sub = c.subscribe({ instance: 'orders', after: 10 }, (event) =>
      seen.push(event.payload.n as number),
    );
    expect(await sub.ready).toMatchObject({ success: true, data: { after: 10 } });
    await until(() => seen.length === 30);
    await append(40, 20);
    await until(() => seen.length === 50);

    await server.close();
    await until(() => !c.connected);
    await append(60, 25); // while the client is disconnected
    server = await createEventLogServer({ log, port, heartbeatMs: 0 });
    await append(85, 15);
    await until(() => seen.length === 90);
    await new Promise((r) => setTimeout(r, 50));

    expect(seen).toEqual(Array.from({ length: 90 }, (_, i) => i + 10));
    expect(sub.position).toBe(100);
  });

  it('when events are waiting, then sub.ready resolves before the first event reaches onEvent', async () => {
    const log = frozenLog();
    const server = await serve({ log });
    await log.appendEvents({
      instanceId: 'orders',
      autoCreateInstance: true,
      events: Array.from({ length: 5 }, () => ({ eventType: 'placed' })),
    });
    for (let round = 0; round < 5; round++) {
      const order: string[] = [];
      const sub = client(server.address.url).subscribe({ instance: 'orders' }, (event) =>
        order.push(`event ${event.global_position}`),
      );
      await sub.ready;
      order.push('ready');
      await until(() => order.length === 6);
      expect(order).toEqual(['ready', 'event 1', 'event 2', 'event 3', 'event 4', 'event 5']);
    }
  });

  it('when filtered by stream and where, then only matching events arrive', async () => {
    const log = frozenLog();
    const server = await serve({ log });
    await log.appendEvents({
      instanceId: 'shop',
      autoCreateInstance: true,
      events: [
        { streamId: 'a', eventType: 'x' },
        { streamId: 'b', eventType: 'x' },
        { streamId: 'a', eventType: 'y' },
        { streamId: 'a', eventType: 'x', payload: { k: 2 } },
      ],
    });
    const seen: EventRecord[] = [];
    const sub = client(server.address.url).subscribe(
      { instance: 'shop', stream: 'a', where: [{ field: 'event_type', operator: 'eq', value: 'x' }] },
      (event) => seen.push(event),
    );
    await sub.ready;
    await log.appendEvent({ instanceId: 'shop', streamId: 'a', eventType: 'x', payload: { k: 3 } });
    await until(() => seen.length === 3);
    expect(seen.map((e) => [e.stream_id, e.event_type, e.global_position])).toEqual([
      ['a', 'x', 1],
      ['a', 'x', 4],
      ['a', 'x', 5],
    ]);
  });

  it('when unsubscribed, then no more events; when the instance is deleted, then subscriptionEnded', async () => {
    const log = frozenLog();
    await log.createInstance('a');
    await log.createInstance('b');
    const server = await serve({ log });
    const c = client(server.address.url);
    const gotA: number[] = [];
    const ends: unknown[] = [];
    const subA = c.subscribe({ instance: 'a' }, (e) => gotA.push(e.global_position));
    const subB = c.subscribe({ instance: 'b' }, () => {}, { onEnd: (end) => ends.push(end) });
    await Promise.all([subA.ready, subB.ready]);
    await log.appendEvent({ instanceId: 'a', eventType: 'x' });
    await until(() => gotA.length === 1);
    await subA.unsubscribe();
    await log.appendEvent({ instanceId: 'a', eventType: 'x' });
    await log.deleteInstance('b');
    await until(() => ends.length === 1);
    expect(ends).toEqual([{ reason: 'deleted' }]);
    expect(gotA).toHaveLength(1);

    const ws = await raw(server.address.url);
    await log.createInstance('c');
    const ack = await ws.call({ type: 'eventLog.subscribe', requestId: 's1', params: { instance: 'c' } });
    const subscriptionId = (ack.data as { subscriptionId: string }).subscriptionId;
    await log.deleteInstance('c');
    expect(await ws.next()).toMatchObject({
      type: 'eventLog.subscriptionEnded',
      subscriptionId,
      reason: 'deleted',
    });
  });

  it('when a consumer stops reading, then the server stops reading the log, and resumes when it drains', async () => {
    const log = frozenLog();
    const total = 2000;
    const blob = 'x'.repeat(20_000);
    for (let i = 0; i < total; i += 500) {
      await log.appendEvents({
        instanceId: 'big',
        autoCreateInstance: true,
        events: Array.from({ length: 500 }, (_, j) => ({ eventType: 'blob', payload: { n: i + j, blob } })),
      });
    }
    let served = 0;
    const readAfter = log.store.readAfter.bind(log.store);
    log.store.readAfter = async (params) => {
      const page = await readAfter(params);
      served += page.length;
      return page;
    };
    const server = await serve({ log, highWaterMarkBytes: 64 * 1024, pageSize: 50 });
    const ws = await raw(server.address.url);
    const positions: number[] = [];
    ws.socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; event?: EventRecord };
      if (message.type === 'eventLog.event') positions.push(message.event?.global_position as number);
    });
    ws.send({ type: 'eventLog.subscribe', requestId: 'big', params: { instance: 'big' } });
    ws.socket.pause();
    await new Promise((r) => setTimeout(r, 700));
    // 2000 events of ~20 kB (40 MB): at most the socket buffers and one page are read while paused.
    expect(served).toBeLessThan(total / 2);
    ws.socket.resume();
    await until(() => positions.length === total, 30_000);
    expect(positions).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(served).toBe(total);
  });
});

describe('Given responses that are too large or cannot be sent', () => {
  it('when a query result is over maxResponseBytes, then LIMIT_EXCEEDED, and smaller ones are still served', async () => {
    const log = frozenLog();
    const blob = 'x'.repeat(100 * 1024);
    await log.appendEvents({
      instanceId: 'big',
      autoCreateInstance: true,
      events: Array.from({ length: 20 }, (_, i) => ({ eventType: 'blob', payload: { i, blob } })),
    });
    const server = await serve({ log, maxResponseBytes: 1024 * 1024 });
    const ws = await raw(server.address.url);
    const tooLarge = await ws.call({
      type: 'eventLog.queryEvents',
      requestId: 'q1',
      params: { query: { from: { instance: 'big' }, limit: 20 } },
    });
    expect(tooLarge).toMatchObject({
      success: false,
      code: 'LIMIT_EXCEEDED',
      requestId: 'q1',
      details: { limit: 'maxResponseBytes', max: 1024 * 1024 },
    });
    expect(tooLarge.error).toMatch(/maxResponseBytes/);
    const fits = await ws.call({
      type: 'eventLog.queryEvents',
      requestId: 'q2',
      params: { query: { from: { instance: 'big' }, limit: 5 } },
    });
    expect(fits).toMatchObject({ success: true, data: { result: { total: 20 } } });
    expect((fits.data as { result: { events: unknown[] } }).result.events).toHaveLength(5);
  });

  it('when a response is large, then it arrives whole (sent in fragments) and equals the in-process result', async () => {
    const log = frozenLog();
    const blob = 'é"\\'.repeat(20 * 1024);
    await log.appendEvents({
      instanceId: 'big',
      autoCreateInstance: true,
      events: Array.from({ length: 60 }, (_, i) => ({ eventType: 'blob', payload: { i, blob } })),
    });
    const server = await serve({ log });
    const ws = await raw(server.address.url);
    const query = { from: { instance: 'big' }, limit: 60 };
    const remote = await ws.call({ type: 'eventLog.queryEvents', requestId: 'q', params: { query } });
    const local = await log.queryEvents(query);
    expect(remote.data).toEqual(local.success ? local.data : undefined);
  });

  it('when a response cannot be serialized, then the request gets STORAGE_ERROR, a log line is written, and the server keeps serving', async () => {
    const log = frozenLog();
    await log.createInstance('a');
    const broken = Object.create(log) as EventLog;
    broken.queryEvents = async () =>
      ({
        type: 'eventLog.queryEvents',
        success: true,
        data: { result: { events: [{ n: 10n }], total: 1, limit: 1, offset: 0 } },
        timestamp: new Date(NOW).toISOString(),
        requestId: 'x',
      }) as never;
    const lines: string[] = [];
    const server = await serve({ log: broken, logger: captureLogger(lines) });
    const ws = await raw(server.address.url);
    const answer = await ws.call({
      type: 'eventLog.queryEvents',
      requestId: 'b1',
      params: { query: { from: { instance: 'a' } } },
    });
    expect(answer).toMatchObject({ success: false, code: 'STORAGE_ERROR', requestId: 'b1' });
    expect(lines.join('\n')).toMatch(/BigInt/);
    expect(await ws.call({ type: 'eventLog.listInstances', requestId: 'b2' })).toMatchObject({
      success: true,
    });
  });
});

describe('Given slow, idle and too many clients', () => {
  it('when a client stops reading while the server has data for it, then the server drops it once the buffer makes no progress', async () => {
    const log = frozenLog();
    // 60 MB: more than the kernel's socket buffers take on loopback (they can grow to ~36 MB).
    const blob = 'x'.repeat(20_000);
    for (let k = 0; k < 6; k++) {
      const appended = await log.appendEvents({
        instanceId: 'big',
        autoCreateInstance: true,
        events: Array.from({ length: 500 }, (_, i) => ({ eventType: 'blob', payload: { i, blob } })),
      });
      expect(appended.success).toBe(true);
    }
    const server = await serve({ log, highWaterMarkBytes: 64 * 1024, pageSize: 50, sendTimeoutMs: 300 });
    const stuck = await raw(server.address.url);
    const live = await raw(server.address.url);
    stuck.send({ type: 'eventLog.subscribe', requestId: 's', params: { instance: 'big' } });
    stuck.socket.pause();
    await until(() => server.connections === 1, 10_000);
    expect(await live.call({ type: 'eventLog.listInstances', requestId: 'l' })).toMatchObject({
      success: true,
    });
  });

  it('when more connections than maxConnections arrive, then the extra upgrade gets 503', async () => {
    const server = await serve({ log: frozenLog(), maxConnections: 2 });
    await raw(server.address.url);
    await raw(server.address.url);
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.address.url);
      socket.once('open', () => resolve(101));
      socket.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', () => {});
    });
    expect(status).toBe(503);
  });

  it('when a connection sends nothing for idleTimeoutMs, then it is closed (4408); one with a subscription is kept', async () => {
    const log = frozenLog();
    await log.createInstance('a');
    const server = await serve({ log, idleTimeoutMs: 300 });
    const idle = await raw(server.address.url);
    const busy = await raw(server.address.url);
    const code = new Promise<number>((resolve) => idle.socket.once('close', (c) => resolve(c)));
    expect(
      await busy.call({ type: 'eventLog.subscribe', requestId: 's', params: { instance: 'a' } }),
    ).toMatchObject({ success: true });
    expect(await code).toBe(4408);
    await new Promise((r) => setTimeout(r, 400));
    expect(busy.socket.readyState).toBe(WebSocket.OPEN);
    expect(server.connections).toBe(1);
  });
});

describe('Given heartbeats', () => {
  it('when a client stops answering pings, then the server drops it; a live client stays', async () => {
    const server = await serve({ log: frozenLog(), heartbeatMs: 50 });
    const live = await raw(server.address.url);
    const dead = await raw(server.address.url);
    await until(() => server.connections === 2);
    dead.socket.pause(); // reads nothing, so it answers no ping
    await until(() => server.connections === 1, 3000);
    expect(await live.call({ type: 'eventLog.listInstances', requestId: 'h1' })).toMatchObject({
      success: true,
    });
  });
});

describe('Given a server closing', () => {
  it('when close() is called, then requests in flight finish, clients are disconnected, and the port is released', async () => {
    const log = frozenLog();
    const server = await createEventLogServer({ log, port: 0, heartbeatMs: 0 });
    let started = false;
    const createInstance = log.store.createInstance.bind(log.store);
    log.store.createInstance = async (...args) => {
      started = true;
      await new Promise((r) => setTimeout(r, 200));
      return createInstance(...args);
    };
    const c = client(server.address.url);
    await c.waitForConnection(2000);
    const inFlight = c.eventLog.createInstance('late');
    await until(() => started);
    await server.close();
    expect(await inFlight).toMatchObject({ success: true });
    await until(() => !c.connected);
    expect(server.connections).toBe(0);
    const again = await createEventLogServer({ log, port: server.address.port, heartbeatMs: 0 });
    cleanups.push(() => again.close());
    expect(again.address.port).toBe(server.address.port);
  });
});
