import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@eventlog/client';
import type { EventRecord } from '@eventlog/core';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { killCliProcesses, runCli, startCli, waitUntil } from '../test/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(killCliProcesses);

/** Starts the real bin in the test directory. */
const start = (args: string[]) => startCli(args, dir);
/** Runs the bin to completion in the test directory. */
const run = (args: string[]) => runCli(args, dir);
const until = waitUntil;

describe('eventlog serve', () => {
  it('given --port 0 and a token, when started, then it prints "listening", answers clients, and stops on SIGTERM', async () => {
    const serve = start([
      'serve',
      '--url',
      'memory:',
      '--port',
      '0',
      '--token',
      'tok',
      '--max-response-bytes',
      '2000',
    ]);
    await until(() => serve.stdout().includes('listening'));
    const url = /ws:\/\/[^\s]+/.exec(serve.stdout())?.[0] as string;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);

    const client = connect(url, { token: 'tok' });
    try {
      expect(await client.eventLog.createInstance('remote', 'over the wire')).toMatchObject({
        success: true,
      });
      expect(
        await client.eventLog.appendEvent({ instanceId: 'remote', eventType: 'hello', payload: { n: 1 } }),
      ).toMatchObject({ success: true, data: { event: { global_position: 1 } } });
      await client.eventLog.appendEvent({
        instanceId: 'remote',
        eventType: 'big',
        payload: { s: 'x'.repeat(3000) },
      });
      expect(await client.eventLog.queryEvents({ from: { instance: 'remote' } })).toMatchObject({
        success: false,
        code: 'LIMIT_EXCEEDED',
      });
    } finally {
      await client.close();
    }
    // The CLI itself as a client of the server.
    const stats = await run(['stats', 'remote', '--url', url, '--token', 'tok']);
    expect(stats.code).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      name: 'remote',
      eventCount: 2,
      eventTypes: { hello: 1, big: 1 },
    });
    const refused = await run(['stats', 'remote', '--url', url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/UNAUTHORIZED: Unauthorized/);
    // The MCP server, mounted at /mcp behind the same token.
    const mcp = (authorization?: string) =>
      fetch(`${url.replace('ws://', 'http://')}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'eventlog_get_instance_stats', arguments: { instanceId: 'remote' } },
        }),
      });
    expect((await mcp()).status).toBe(401);
    const called = await mcp('Bearer tok');
    expect(called.status).toBe(200);
    const answer = (await called.json()) as { result: { content: Array<{ text: string }> } };
    expect(JSON.parse(answer.result.content[0]?.text as string)).toMatchObject({
      success: true,
      data: { eventCount: 2 },
    });

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.stderr()).toContain('stopped');
  });

  it('given --mcp read-only or off, then /mcp lists only the reading tools, or is not served', async () => {
    const listTools = async (url: string) =>
      fetch(`${url.replace('ws://', 'http://')}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
    const readOnly = start(['serve', '--url', 'memory:', '--port', '0', '--mcp', 'read-only']);
    const off = start(['serve', '--url', 'memory:', '--port', '0', '--mcp', 'off']);
    try {
      await until(() => readOnly.stdout().includes('listening') && off.stdout().includes('listening'));
      const urlOf = (s: typeof readOnly) => /ws:\/\/[^\s]+/.exec(s.stdout())?.[0] as string;
      const listed = (await (await listTools(urlOf(readOnly))).json()) as {
        result: { tools: Array<{ name: string }> };
      };
      const names = listed.result.tools.map((t) => t.name);
      expect(names).toContain('eventlog_query_events');
      expect(names).not.toContain('eventlog_append_event');
      expect((await listTools(urlOf(off))).status).toBe(404);
    } finally {
      readOnly.child.kill('SIGTERM');
      off.child.kill('SIGTERM');
      await Promise.all([readOnly.exited, off.exited]);
    }
    const bad = await run(['serve', '--url', 'memory:', '--port', '0', '--mcp', 'maybe']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--mcp must be on, read-only or off/);
  });
});

describe('eventlog export / import', () => {
  it('given an instance, when exported and imported (resuming a partial import), then the copy has the same events once', async () => {
    const url = `sqlite:${join(dir, 'roundtrip.db')}`;
    const log = await openEventLog(url);
    await log.createInstance('src');
    const appended = await log.appendEvents({
      instanceId: 'src',
      events: Array.from({ length: 30 }, (_, i) => ({
        streamId: `s${i % 3}`,
        eventType: i % 2 === 0 ? 'even' : 'odd',
        payload: { i, nested: { text: `é ${i}\n"q"` } },
        metadata: { source: 'test' },
        timestamp: Date.parse('2024-01-01T00:00:00Z') + i * 1000,
        eventId: `ev-${i}`,
      })),
    });
    expect(appended.success).toBe(true);
    await log.close();

    const file = join(dir, 'src.ndjson');
    const exported = await run(['export', file, '--instance', 'src', '--url', url]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ events: 30, instances: 1 });
    expect(exported.stderr).toMatch(/export: 30 events/);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(31); // the instance record, then 30 events

    // An interrupted import: only the first 10 events made it.
    writeFileSync(join(dir, 'part.ndjson'), `${lines.slice(0, 11).join('\n')}\n`);
    const partial = await run(['import', 'part.ndjson', '--instance', 'dst', '--create', '--url', url]);
    expect(partial.code).toBe(0);
    expect(JSON.parse(partial.stdout)).toMatchObject({ appended: 10, duplicates: 0 });

    // The re-run over the whole file, in batches that straddle the first run's end.
    const full = await run(['import', file, '--instance', 'dst', '--batch-size', '7', '--url', url]);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toMatchObject({ lines: 31, appended: 20, duplicates: 10 });
    expect(full.stderr).toMatch(/import: 30 events \(20 appended, 10 already stored\)/);

    const check = await openEventLog(url);
    try {
      const read = async (instance: string) => {
        const res = await check.queryEvents({ from: { instance }, limit: 1000 });
        if (!res.success) throw new Error(res.error);
        return (res.data.result.events as EventRecord[]).map(
          ({ stream_id, event_type, payload, metadata, timestamp, sequence_number, eventId }) => ({
            stream_id,
            event_type,
            payload,
            metadata,
            timestamp,
            sequence_number,
            eventId,
          }),
        );
      };
      expect(await read('dst')).toEqual(await read('src'));
    } finally {
      await check.close();
    }
  }, 120_000);
  it('given two described instances and events without eventIds, when exported and imported twice into another store, then names, descriptions, ids and timestamps are kept and the re-run adds nothing', async () => {
    // Given
    const source = `sqlite:${join(dir, 'meta-src.db')}`;
    const target = `sqlite:${join(dir, 'meta-dst.db')}`;
    const log = await openEventLog(source);
    const originals: EventRecord[] = [];
    try {
      await log.createInstance('orders', 'Orders of the web shop');
      await log.createInstance('audit');
      for (const instanceId of ['orders', 'audit']) {
        const res = await log.appendEvents({
          instanceId,
          events: Array.from({ length: 150 }, (_, i) => ({
            streamId: `s${i % 4}`,
            eventType: 'happened',
            payload: { i },
            timestamp: Date.parse('2024-03-01T00:00:00Z') + i,
            ...(i % 3 === 0 ? { eventId: `${instanceId}-${i}` } : {}),
            ...(i === 0 ? { tags: ['first'] } : {}),
          })),
        });
        if (!res.success) throw new Error(res.error);
        originals.push(...res.data.events);
      }
    } finally {
      await log.close();
    }
    const file = join(dir, 'meta.ndjson');
    expect((await run(['export', file, '--url', source])).code).toBe(0);

    // When
    const first = await run(['import', file, '--create', '--url', target]);
    const again = await run(['import', file, '--create', '--url', target]);

    // Then
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ appended: 300, duplicates: 0, positions: 'renumbered' });
    expect(first.stderr).toMatch(/global positions are renumbered/);
    expect(first.stderr).toMatch(/checkpoints/);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, duplicates: 300 });
    expect(again.stderr).toMatch(/300 events \(0 appended, 300 already stored\)/);
    // --skip skips events, not the instance record that says where they go.
    const skipped = await run(['import', file, '--skip', '100', '--url', target]);
    // Lines 2–100 are the first 99 events of "orders": 51 of them and 150 of "audit" remain.
    expect(JSON.parse(skipped.stdout)).toMatchObject({ appended: 0, duplicates: 201 });
    const check = await openEventLog(target);
    try {
      const listed = await check.listInstances();
      if (!listed.success) throw new Error(listed.error);
      expect(
        listed.data.instances
          .map(({ name, description }) => ({ name, description }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      ).toEqual([{ name: 'audit' }, { name: 'orders', description: 'Orders of the web shop' }]);
      const copies: EventRecord[] = [];
      for (const instance of ['orders', 'audit']) {
        const res = await check.queryEvents({ from: { instance }, limit: 1000 });
        if (!res.success) throw new Error(res.error);
        copies.push(...(res.data.result.events as EventRecord[]));
      }
      expect(copies).toHaveLength(300);
      const shape = (e: EventRecord, eventId: string | undefined) => ({
        stream_id: e.stream_id,
        payload: e.payload,
        timestamp: e.timestamp,
        tags: e.tags,
        eventId,
      });
      // An event without an eventId keeps its exported id as its eventId.
      expect(copies.map((e) => shape(e, e.eventId))).toEqual(
        originals.map((e) => shape(e, e.eventId ?? e.id)),
      );
    } finally {
      await check.close();
    }
  }, 120_000);

  it('given an export file without instance records (an older export), when imported, then it still imports, and a re-run into the same instance adds nothing', async () => {
    const url = `sqlite:${join(dir, 'old-format.db')}`;
    const log = await openEventLog(url);
    try {
      await log.createInstance('src');
      await log.appendEvents({
        instanceId: 'src',
        events: Array.from({ length: 5 }, (_, i) => ({ eventType: 't', payload: { i } })),
      });
    } finally {
      await log.close();
    }
    const exported = await run(['export', '--instance', 'src', '--url', url]);
    const events = exported.stdout
      .trimEnd()
      .split('\n')
      .filter((l) => !l.includes('"eventlog.instance"'));
    expect(events).toHaveLength(5);
    writeFileSync(join(dir, 'old.ndjson'), `${events.join('\n')}\n`);

    const copied = await run(['import', 'old.ndjson', '--instance', 'copy', '--create', '--url', url]);
    expect(copied.code).toBe(0);
    expect(JSON.parse(copied.stdout)).toMatchObject({ appended: 5, duplicates: 0 });
    const twice = await run(['import', 'old.ndjson', '--instance', 'copy', '--url', url]);
    expect(JSON.parse(twice.stdout)).toMatchObject({ appended: 0, duplicates: 5 });
    // Back into the instance the events came from (they have no eventId): already there.
    const home = await run(['import', 'old.ndjson', '--url', url]);
    expect(home.code).toBe(0);
    expect(JSON.parse(home.stdout)).toMatchObject({ appended: 0, duplicates: 5 });
  }, 120_000);

  it('given an exported instance missing from the target, when imported without --create, then NOT_FOUND names it and says --create', async () => {
    const file = join(dir, 'one.ndjson');
    writeFileSync(
      file,
      `${JSON.stringify({ type: 'eventlog.instance', instance: { id: 'abc', name: 'billing', createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z' } })}\n`,
    );
    // A store that exists (import without --create never creates one) but lacks the instance.
    const target = `sqlite:${join(dir, 'other.db')}`;
    expect((await run(['instances', 'create', 'other', '--url', target])).code).toBe(0);
    const result = await run(['import', file, '--url', target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /NOT_FOUND: Instance "billing" \(exported as abc\) does not exist.*--create/,
    );
  });
});

describePostgres('eventlog import into PostgreSQL', () => {
  const pg = usePostgres({ prefix: 'el_cli_import' });

  it('given 5000 events, when imported with the default batch size (one batch: the COPY path) and imported again, then the store holds them once, in order', async () => {
    const url = `${pg.url}${pg.url.includes('?') ? '&' : '?'}schema=${pg.schema}`;
    const file = join(dir, 'pg-import.ndjson');
    const events = Array.from({ length: 5000 }, (_, i) => ({
      streamId: `s${i % 3}`,
      eventType: i % 2 === 0 ? 'even' : 'odd',
      payload: { i, text: `tab\there \\ é ${i}\n"q"` },
      metadata: i % 10 === 0 ? { source: 'test' } : {},
      timestamp: '2024-01-01T00:00:00.000Z',
      eventId: `ev-${i}`,
    }));
    writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const first = await run(['import', file, '--instance', 'dst', '--create', '--url', url]);
    expect(first.stderr).not.toMatch(/eventlog: /);
    expect(JSON.parse(first.stdout)).toMatchObject({ lines: 5000, appended: 5000, duplicates: 0 });
    const again = await run(['import', file, '--instance', 'dst', '--url', url]);
    expect(JSON.parse(again.stdout)).toMatchObject({ appended: 0, duplicates: 5000 });

    const check = await openEventLog(url);
    try {
      const res = await check.queryEvents({ from: { instance: 'dst' }, limit: 10_000 });
      if (!res.success) throw new Error(res.error);
      const stored = res.data.result.events as EventRecord[];
      expect(
        stored.map(({ stream_id, event_type, payload, metadata, eventId }) => ({
          stream_id,
          event_type,
          payload,
          metadata,
          eventId,
        })),
      ).toEqual(
        events.map(({ streamId, eventType, payload, metadata, eventId }) => ({
          stream_id: streamId,
          event_type: eventType,
          payload,
          metadata,
          eventId,
        })),
      );
      expect(stored.filter((e) => e.stream_id === 's0').map((e) => e.sequence_number)).toEqual(
        Array.from({ length: 1667 }, (_, k) => k + 1),
      );
    } finally {
      await check.close();
    }
  });
});

describe('eventlog tail -f, append and failures', () => {
  it('given tail -f on a store, when another process appends, then the new event is printed', async () => {
    const url = `sqlite:${join(dir, 'tail.db')}`;
    const log = await openEventLog(url);
    try {
      await log.appendEvent({
        instanceId: 'feed',
        autoCreateInstance: true,
        eventType: 'old',
        payload: { n: 1 },
      });
      await log.appendEvent({ instanceId: 'feed', eventType: 'old', payload: { n: 2 } });
      const tail = start(['tail', 'feed', '-f', '-n', '1', '--url', url]);
      await until(() => tail.stdout().includes('\n'));
      expect(JSON.parse(tail.stdout().trim())).toMatchObject({ event_type: 'old', payload: { n: 2 } });

      // Another process: the CLI's own append.
      const appended = await run(['append', 'feed', '--type', 'new', '--payload', '{"n":3}', '--url', url]);
      expect(appended.code).toBe(0);
      expect(JSON.parse(appended.stdout)).toMatchObject({ event: { event_type: 'new', global_position: 3 } });
      await until(() => tail.stdout().trim().split('\n').length === 2);
      const printed = tail
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as EventRecord);
      expect(printed.map((e) => e.global_position)).toEqual([2, 3]);

      tail.child.kill('SIGINT');
      expect(await tail.exited).toBe(0);
    } finally {
      await log.close();
    }
  });

  it('given a missing instance, when a command fails, then the envelope error is on stderr with a non-zero exit', async () => {
    const result = await run(['stats', 'missing', '--url', `sqlite:${join(dir, 'tail.db')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^eventlog: NOT_FOUND: Instance "missing" was not found/);
    expect(result.stdout).toBe('');
  });
});
