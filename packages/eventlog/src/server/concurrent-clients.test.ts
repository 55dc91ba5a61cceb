/**
 * Many clients at once lose nothing: 50 WebSocket clients and 50 HTTP clients append 100 events
 * each, concurrently, to a served SQLite store (read threads on, as `eventlog serve` runs it); every
 * event is stored once, streams have no gaps, positions are unique, and a live subscriber that
 * watched throughout received all of them in order.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@eventlog/client';
import type { EventRecord } from '@eventlog/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { until } from '../test/raw-client.js';
import { createEventLogServer } from './event-log-server.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-clients-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENTS = 50;
const APPENDS = 100;

/** POSTs JSON over a keep-alive agent; resolves with the parsed envelope. */
function post(agent: Agent, port: number, path: string, body: unknown): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          data += chunk;
        });
        res.on('end', () => resolve(JSON.parse(data) as Record<string, unknown>));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('Given 50 WebSocket and 50 HTTP clients appending at once', () => {
  it('when each appends 100 events, then all 10,000 are stored once, without gaps, and a live subscriber got them all in order', async () => {
    const log = await openEventLog(`sqlite:${join(dir, 'clients.db')}`, {
      adapterOptions: { sqlite: { durability: 'normal', readWorkers: { threads: 1 } } },
    });
    const server = await createEventLogServer({ log, port: 0, heartbeatMs: 0, console: false });
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const clients = Array.from({ length: CLIENTS }, () => connect(server.address.url));
    try {
      expect((await log.createInstance('load')).success).toBe(true);
      const watcher = connect(server.address.url);
      clients.push(watcher);
      const seen: EventRecord[] = [];
      const subscription = watcher.subscribe({ instance: 'load' }, (event) => seen.push(event));
      expect((await subscription.ready).success).toBe(true);

      const failures: unknown[] = [];
      const ws = clients.slice(0, CLIENTS).map(async (client, c) => {
        for (let i = 0; i < APPENDS; i++) {
          const res = await client.eventLog.appendEvent({
            instanceId: 'load',
            streamId: `ws-${c}`,
            eventType: 'tick',
            eventId: `ws-${c}-${i}`,
            payload: { c, i },
          });
          if (!res.success) failures.push(res);
        }
      });
      const http = Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < APPENDS; i++) {
          const res = await post(agent, server.address.port, '/v1/eventLog.appendEvent', {
            instanceId: 'load',
            streamId: `http-${c}`,
            eventType: 'tick',
            eventId: `http-${c}-${i}`,
            payload: { c, i },
          });
          if (res.success !== true) failures.push(res);
        }
      });
      await Promise.all([...ws, ...http]);
      expect(failures).toEqual([]);

      const total = 2 * CLIENTS * APPENDS;
      const stats = await log.getInstanceStats('load');
      expect(stats).toMatchObject({ success: true, data: { eventCount: total, streamCount: 2 * CLIENTS } });
      const stored: EventRecord[] = [];
      for (let after = 0; ; ) {
        const page = await log.store.readAfter({ instance: 'load', after, limit: 5000 });
        if (page.length === 0) break;
        stored.push(...page);
        after = (page.at(-1) as EventRecord).global_position;
      }
      expect(stored).toHaveLength(total);
      expect(new Set(stored.map((e) => e.eventId)).size).toBe(total);
      const byStream = new Map<string, number[]>();
      for (const event of stored) {
        byStream.set(event.stream_id, [...(byStream.get(event.stream_id) ?? []), event.sequence_number]);
      }
      for (const [, sequence] of byStream) {
        expect(sequence).toEqual(Array.from({ length: APPENDS }, (_, k) => k + 1));
      }
      // Each client's own appends kept their order within its stream.
      for (const event of stored) {
        expect(event.sequence_number).toBe((event.payload.i as number) + 1);
      }

      await until(() => seen.length === total, 30_000);
      expect(seen.map((e) => e.global_position)).toEqual(stored.map((e) => e.global_position));
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      agent.destroy();
      await server.close();
      await log.close();
    }
  }, 120_000);
});
