import type { AddressInfo } from 'node:net';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  EventLogError,
  type EventRecord,
  failureEnvelope,
  type MessageType,
  SUBSCRIBE_TYPE,
  successEnvelope,
} from '@eventlog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocket as WebSocketCtor, WebSocketServer } from 'ws';
import { connect, type EventLogClient } from './index.js';

/** A scripted stand-in for the server: records requests and answers through `respond`. */
interface FakeServer {
  url: string;
  port: number;
  received: Array<Record<string, unknown>>;
  headers: Array<string | undefined>;
  /** The `Sec-WebSocket-Protocol` header of each connection. */
  protocols: Array<string | undefined>;
  sockets: WebSocket[];
  respond: (request: Record<string, unknown>, socket: WebSocket) => void;
  close(): Promise<void>;
}

/** Answers `request` with a successful envelope holding `data`, as the server would. */
function succeed(socket: WebSocket, request: Record<string, unknown>, data: unknown): void {
  socket.send(
    JSON.stringify(successEnvelope(request.type as MessageType, data, request.requestId as string)),
  );
}

const servers: FakeServer[] = [];
const clients: EventLogClient[] = [];

async function fakeServer(port = 0): Promise<FakeServer> {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const actual = (wss.address() as AddressInfo).port;
  const server: FakeServer = {
    url: `ws://127.0.0.1:${actual}`,
    port: actual,
    received: [],
    headers: [],
    protocols: [],
    sockets: [],
    respond: (request, socket) => succeed(socket, request, { echo: request.params }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.sockets) socket.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket, request) => {
    server.sockets.push(socket);
    server.headers.push(request.headers.authorization);
    server.protocols.push(request.headers['sec-websocket-protocol']);
    socket.on('message', (data) => {
      const request = JSON.parse(String(data)) as Record<string, unknown>;
      server.received.push(request);
      server.respond(request, socket);
    });
  });
  servers.push(server);
  return server;
}

function client(url: string, options: Parameters<typeof connect>[1] = {}): EventLogClient {
  const c = connect(url, { reconnect: { initialDelayMs: 20, maxDelayMs: 50 }, ...options });
  clients.push(c);
  return c;
}

/** A free port: bind one, note it, release it. */
async function freePort(): Promise<number> {
  const server = await fakeServer();
  await server.close();
  servers.splice(servers.indexOf(server), 1);
  return server.port;
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('connect(url, { token })', () => {
  it('given the nine methods, when called, then params are sent as the API document client sends them', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url);
    await eventLog.createInstance('n', 'd');
    await eventLog.getInstance('i');
    await eventLog.listInstances();
    await eventLog.updateInstance('i', { name: 'm' });
    await eventLog.deleteInstance('i');
    await eventLog.appendEvent({ instanceId: 'i', eventType: 't' });
    await eventLog.appendEvents({ instanceId: 'i', events: [{ eventType: 't' }] });
    await eventLog.queryEvents({ from: { instance: 'i' } });
    await eventLog.pageEvents({ from: { instance: 'i' } });
    await eventLog.getInstanceStats('i');
    expect(server.received.map(({ type, params }) => ({ type, params }))).toEqual([
      { type: 'eventLog.createInstance', params: { name: 'n', description: 'd' } },
      { type: 'eventLog.getInstance', params: { instanceId: 'i' } },
      { type: 'eventLog.listInstances', params: {} },
      { type: 'eventLog.updateInstance', params: { instanceId: 'i', name: 'm' } },
      { type: 'eventLog.deleteInstance', params: { instanceId: 'i' } },
      { type: 'eventLog.appendEvent', params: { instanceId: 'i', eventType: 't' } },
      { type: 'eventLog.appendEvents', params: { instanceId: 'i', events: [{ eventType: 't' }] } },
      { type: 'eventLog.queryEvents', params: { query: { from: { instance: 'i' } } } },
      { type: 'eventLog.pageEvents', params: { query: { from: { instance: 'i' } } } },
      { type: 'eventLog.getInstanceStats', params: { instanceId: 'i' } },
    ]);
    const ids = server.received.map((r) => r.requestId);
    expect(new Set(ids).size).toBe(10);
  });

  it('given a token, when requests are sent, then it travels in the handshake only (a Bearer header), never in requests', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url, { token: 's3cret' });
    await eventLog.listInstances();
    await eventLog.getInstance('a');
    expect(server.headers).toEqual(['Bearer s3cret']);
    expect(server.received.map((r) => r.token)).toEqual([undefined, undefined]);
  });

  it('given a WebSocket that cannot send headers (a browser), when connecting with a token, then it is offered as a subprotocol and requests carry none', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url, { token: 's3cret', WebSocket: WebSocketCtor as never });
    await eventLog.listInstances();
    expect(server.headers).toEqual([undefined]);
    expect(server.protocols).toEqual([
      `eventlog,eventlog.bearer.${Buffer.from('s3cret').toString('base64url')}`,
    ]);
    expect(server.received.map((r) => r.token)).toEqual([undefined]);
  });

  it('given the server refuses the token (close 4401), when requests are in flight, then each gets UNAUTHORIZED', async () => {
    const server = await fakeServer();
    server.respond = (request, socket) => {
      if (server.received.length < 3) return; // hold the first two
      socket.send(
        JSON.stringify(
          failureEnvelope(
            request.type as MessageType,
            new EventLogError('UNAUTHORIZED', 'Unauthorized: the token is wrong.'),
            request.requestId as string,
          ),
        ),
      );
      socket.close(4401, 'unauthorized');
    };
    const { eventLog } = client(server.url, { token: 'wrong' });
    const answers = await Promise.all([
      eventLog.listInstances(),
      eventLog.getInstance('a'),
      eventLog.getInstanceStats('a'),
    ]);
    expect(answers.map((a) => (a.success ? 'ok' : a.code))).toEqual([
      'UNAUTHORIZED',
      'UNAUTHORIZED',
      'UNAUTHORIZED',
    ]);
  });

  it('given a response larger than maxResponseBytes, when it arrives, then the request gets LIMIT_EXCEEDED naming the option', async () => {
    const server = await fakeServer();
    server.respond = (request, socket) => succeed(socket, request, { blob: 'x'.repeat(2 * 1024 * 1024) });
    const { eventLog } = client(server.url, { maxResponseBytes: 1024 * 1024 });
    const answer = await eventLog.listInstances();
    expect(answer).toMatchObject({ success: false, code: 'LIMIT_EXCEEDED' });
    expect(answer.success ? '' : answer.error).toMatch(/maxResponseBytes/);
  });

  it('given a response as large as the server allows by default, when it arrives, then the client takes it', async () => {
    const server = await fakeServer();
    // Just under the server's default cap once wrapped in the envelope.
    server.respond = (request, socket) =>
      succeed(socket, request, { blob: 'x'.repeat(DEFAULT_MAX_RESPONSE_BYTES - 1024) });
    const { eventLog } = client(server.url);
    const answer = await eventLog.listInstances();
    expect(answer.success).toBe(true);
  });

  it('given the server closes an idle connection (4408), when nothing is asked, then the client stays disconnected; the next request reconnects', async () => {
    const server = await fakeServer();
    const c = client(server.url);
    await c.waitForConnection(2000);
    (server.sockets[0] as WebSocket).close(4408, 'idle');
    await until(() => !c.connected);
    await new Promise((r) => setTimeout(r, 200)); // several reconnect delays (20–50 ms)
    expect(server.sockets).toHaveLength(1);
    expect(await c.eventLog.listInstances()).toMatchObject({ success: true });
    expect(server.sockets).toHaveLength(2);
  });

  it('given a value JSON cannot carry, when sent, then VALIDATION_ERROR names it and nothing is sent', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url);
    const res = await eventLog.appendEvent({
      instanceId: 'i',
      eventType: 't',
      payload: { at: new Date() as never },
    });
    expect(res).toMatchObject({ success: false, code: 'VALIDATION_ERROR', type: 'eventLog.appendEvent' });
    expect(!res.success && res.error).toContain('payload.at');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(
      await eventLog.appendEvent({ instanceId: 'i', eventType: 't', payload: cyclic as never }),
    ).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(server.received).toEqual([]);
  });

  it('given updates naming an instanceId, when updating, then VALIDATION_ERROR instead of touching another instance', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url);
    const res = await eventLog.updateInstance('a', { instanceId: 'b', name: 'x' } as never);
    expect(res).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(server.received).toEqual([]);
  });

  it('given a request over maxMessageBytes, when sent, then LIMIT_EXCEEDED without sending', async () => {
    const server = await fakeServer();
    const { eventLog } = client(server.url, { maxMessageBytes: 1000 });
    const res = await eventLog.appendEvent({
      instanceId: 'i',
      eventType: 't',
      payload: { big: 'x'.repeat(2000) },
    });
    expect(res).toMatchObject({ success: false, code: 'LIMIT_EXCEEDED' });
    expect(server.received).toEqual([]);
  });

  it('given no server yet, when a request is made, then it waits and is sent once the server starts', async () => {
    const port = await freePort();
    const c = client(`ws://127.0.0.1:${port}`);
    const pending = c.eventLog.getInstance('late');
    await new Promise((r) => setTimeout(r, 150));
    const server = await fakeServer(port);
    const res = await pending;
    expect(res).toMatchObject({
      success: true,
      type: 'eventLog.getInstance',
      data: { echo: { instanceId: 'late' } },
    });
    expect(server.received).toHaveLength(1);
    await c.waitForConnection(1000);
    expect(c.connected).toBe(true);
  });

  it('given no server, when the queue timeout passes, then STORAGE_ERROR says it is not connected', async () => {
    const port = await freePort();
    const c = client(`ws://127.0.0.1:${port}`, { queueTimeoutMs: 150 });
    const res = await c.eventLog.listInstances();
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR', type: 'eventLog.listInstances' });
    expect(!res.success && res.error).toMatch(/Not connected .* after 150 ms/);
    await expect(c.waitForConnection(50)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  });

  it('given a server that never answers, when the request timeout passes, then STORAGE_ERROR', async () => {
    const server = await fakeServer();
    server.respond = () => {};
    const { eventLog } = client(server.url, { requestTimeoutMs: 100 });
    const res = await eventLog.getInstanceStats('i');
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(!res.success && res.error).toMatch(/No response .* within 100 ms/);
  });

  it('given a request in flight, when the connection drops, then STORAGE_ERROR, and the next request reconnects', async () => {
    const server = await fakeServer();
    const normal = server.respond;
    server.respond = (_request, socket) => socket.terminate();
    const { eventLog } = client(server.url);
    const res = await eventLog.appendEvent({ instanceId: 'i', eventType: 't' });
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(!res.success && res.error).toMatch(/was lost .* may or may not have been applied/);
    server.respond = normal;
    expect(await eventLog.listInstances()).toMatchObject({ success: true });
  });

  it('given a closed client, when a method is called, then STORAGE_ERROR and no rejection', async () => {
    const server = await fakeServer();
    const c = client(server.url);
    await c.waitForConnection(1000);
    await c.close();
    const res = await c.eventLog.getInstance('i');
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(!res.success && res.error).toContain('closed');
    await expect(c.waitForConnection()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
  });

  it('given a URL that is not ws://, when connecting, then TypeError', () => {
    expect(() => connect('http://127.0.0.1:1')).toThrow(TypeError);
  });
});

describe('subscribe(params, onEvent)', () => {
  const event = (position: number) =>
    ({ global_position: position, event_type: 't', payload: {} }) as unknown as EventRecord;

  it('given a reconnect, when resubscribing, then it asks after the last position and drops repeats', async () => {
    const server = await fakeServer();
    let subscribes = 0;
    server.respond = (request, socket) => {
      if (request.type !== 'eventLog.subscribe') return;
      subscribes += 1;
      const subscriptionId = `s${subscribes}`;
      succeed(socket, request, {
        subscriptionId,
        instanceId: 'i',
        after: (request.params as { after: number }).after,
      });
      // The first connection sends 1..3 then drops; the second replays 2..5 (2 and 3 are repeats).
      const positions = subscribes === 1 ? [1, 2, 3] : [2, 3, 4, 5];
      for (const p of positions)
        socket.send(JSON.stringify({ type: 'eventLog.event', subscriptionId, event: event(p) }));
      if (subscribes === 1) setTimeout(() => socket.terminate(), 20);
    };
    const c = client(server.url);
    const seen: number[] = [];
    const sub = c.subscribe({ instance: 'i' }, (e) => seen.push(e.global_position));
    expect(await sub.ready).toMatchObject({ success: true, data: { subscriptionId: 's1' } });
    await until(() => seen.length >= 5);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const afters = server.received.filter((r) => r.type === 'eventLog.subscribe').map((r) => r.params);
    expect(afters).toEqual([
      { instance: 'i', after: 0 },
      { instance: 'i', after: 3 },
    ]);
    expect(sub.position).toBe(5);
  });

  it('given subscriptionEnded, when it arrives, then onEnd tells why', async () => {
    const server = await fakeServer();
    server.respond = (request, socket) => {
      succeed(socket, request, { subscriptionId: 'x', instanceId: 'i', after: 0 });
      socket.send(
        JSON.stringify({ type: 'eventLog.subscriptionEnded', subscriptionId: 'x', reason: 'deleted' }),
      );
    };
    const ends: unknown[] = [];
    const sub = client(server.url).subscribe({ instance: 'i' }, () => {}, { onEnd: (end) => ends.push(end) });
    await until(() => ends.length > 0);
    expect(ends).toEqual([{ reason: 'deleted' }]);
    expect(sub.closed).toBe(true);
  });

  it('given a refused subscription, when answered, then ready has the failed envelope and it ends', async () => {
    const server = await fakeServer();
    server.respond = (request, socket) =>
      socket.send(
        JSON.stringify(
          failureEnvelope(
            SUBSCRIBE_TYPE,
            new EventLogError('NOT_FOUND', 'Instance "i" was not found.'),
            request.requestId as string,
          ),
        ),
      );
    const ends: unknown[] = [];
    const sub = client(server.url).subscribe({ instance: 'i' }, () => {}, { onEnd: (end) => ends.push(end) });
    expect(await sub.ready).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect(ends).toEqual([{ reason: 'error', code: 'NOT_FOUND', error: 'Instance "i" was not found.' }]);
  });
});
