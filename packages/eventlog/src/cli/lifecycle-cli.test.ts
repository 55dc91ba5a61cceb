import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@eventlog/client';
import { hasCapability } from '@eventlog/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { archiveEvents } from '../lifecycle/archive.js';
import { openEventLog } from '../open-event-log.js';
import { killCliProcesses, runCli, startCli, waitUntil } from '../test/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-lifecycle-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(killCliProcesses);

/** Starts the real bin in the test directory. */
const start = (args: string[]) => startCli(args, dir);
/** Runs the bin to completion in the test directory. */
const run = (args: string[]) => runCli(args, dir);
const until = waitUntil;

describe('eventlog lifecycle commands', () => {
  it('given a server, when streams are deleted and truncated, retention set, pruned and a subject forgotten from the CLI, then each prints its result; destructive ones need --yes without a terminal', async () => {
    const serve = start(['serve', '--url', 'memory:', '--port', '0', '--prune-interval', 'off']);
    await until(() => serve.stdout().includes('listening'));
    const url = /ws:\/\/[^\s]+/.exec(serve.stdout())?.[0] as string;
    const client = connect(url);
    try {
      await client.eventLog.createInstance('shop');
      await client.eventLog.appendEvents({
        instanceId: 'shop',
        events: [
          { streamId: 'cart-1', eventType: 'ItemAdded', timestamp: '2020-01-01T00:00:00Z' },
          { streamId: 'cart-1', eventType: 'ItemAdded' },
          { streamId: 'cart-2', eventType: 'ItemAdded' },
          { streamId: 'cart-2', eventType: 'ItemAdded' },
          { streamId: 'cart-2', eventType: 'ItemAdded' },
          {
            streamId: 'customer-ada',
            eventType: 'Registered',
            payload: { email: 'ada@example.com' },
            metadata: { subject: 'ada', personal: ['payload.email'] },
          },
        ],
      });
    } finally {
      await client.close();
    }

    const refused = await run(['streams', 'delete', 'shop', 'cart-1', '--url', url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stdin is not a terminal to ask: pass --yes/);

    const deleted = await run([
      'streams',
      'delete',
      'shop',
      'cart-1',
      '--url',
      url,
      '--yes',
      '--expected-version',
      '2',
    ]);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ streamId: 'cart-1', deletedEvents: 2, version: 2 });

    const truncated = await run([
      'streams',
      'truncate',
      'shop',
      'cart-2',
      '--before',
      '3',
      '--url',
      url,
      '-y',
    ]);
    expect(JSON.parse(truncated.stdout)).toEqual({ streamId: 'cart-2', deletedEvents: 2 });

    const badVersion = await run([
      'streams',
      'delete',
      'shop',
      'cart-2',
      '--url',
      url,
      '-y',
      '--expected-version',
      'v1',
    ]);
    expect(badVersion.code).toBe(2);

    const set = await run([
      'retention',
      'set',
      'shop',
      '--max-age',
      '30d',
      '--max-events',
      '5',
      '--url',
      url,
    ]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).instance).toMatchObject({
      name: 'shop',
      retention: { maxAgeMs: 2_592_000_000, maxEventsPerStream: 5 },
    });
    const cleared = await run(['retention', 'set', 'shop', '--max-events', 'none', '--url', url]);
    expect(JSON.parse(cleared.stdout).instance.retention).toEqual({ maxAgeMs: 2_592_000_000 });
    const noRule = await run(['retention', 'set', 'shop', '--url', url]);
    expect(noRule.code).toBe(2);

    const pruned = await run(['prune', '--url', url]);
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({ deletedEvents: 0 });

    const forgotten = await run(['forget', 'ada', '--url', url, '--yes']);
    expect(forgotten.code).toBe(0);
    expect(JSON.parse(forgotten.stdout)).toMatchObject({ subjectId: 'ada', forgotten: true });

    const query = await run([
      'query',
      '{"from":{"instance":"shop"},"select":["stream_id","event_type","payload"]}',
      '--url',
      url,
    ]);
    const events = JSON.parse(query.stdout).result.events as Array<{
      stream_id: string;
      event_type: string;
      payload: unknown;
    }>;
    expect(events.map((e) => `${e.stream_id}/${e.event_type}`)).toEqual([
      'cart-2/ItemAdded',
      'customer-ada/Registered',
      '$system/$stream.deleted',
      '$system/$stream.truncated',
      '$system/$subject.forgotten',
    ]);
    expect(events[1]?.payload).toEqual({ email: '[erased]' });

    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  }, 180_000);

  it('given an archive, when queried with --archive, then the DSL runs over it read-only', async () => {
    const log = await openEventLog('memory:');
    const archive = join(dir, 'archive');
    try {
      await log.store.createInstance('audit');
      await log.store.appendEvents({
        instanceId: 'audit',
        events: Array.from({ length: 6 }, (_, i) => ({
          eventType: i % 2 === 0 ? 'login' : 'logout',
          timestamp: Date.UTC(2020, 0, 1 + i),
        })),
      });
      await archiveEvents(log.store, { dir: archive, instance: 'audit', before: '2021-01-01T00:00:00.000Z' });
    } finally {
      await log.close();
    }
    const res = await run([
      'query',
      '{"from":{"instance":"audit"},"reduce":{"type":"count","groupBy":["event_type"]}}',
      '--archive',
      archive,
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).result).toMatchObject({
      total: 6,
      aggregation: {
        groups: [
          { key: { event_type: 'login' }, value: 3 },
          { key: { event_type: 'logout' }, value: 3 },
        ],
      },
    });
    const missing = await run(['query', '{"from":{"instance":"audit"}}', '--archive', join(dir, 'nowhere')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/manifest\.json cannot be read/);
  }, 60_000);

  it('given a SQLite store, when archived and restored from the CLI, then the events come back (or the adapter refuses, saying why)', async () => {
    const url = `sqlite:${join(dir, 'events.db')}`;
    const archive = join(dir, 'sqlite-archive');
    const log = await openEventLog(url);
    let before: unknown;
    let capable = false;
    try {
      capable = hasCapability(log.store.adapter, 'archive');
      await log.store.createInstance('audit');
      await log.store.appendEvents({
        instanceId: 'audit',
        events: Array.from({ length: 10 }, (_, i) => ({
          eventType: 'e',
          timestamp: Date.UTC(2020 + i, 0, 1),
        })),
      });
      before = await log.store.readAfter({ instance: 'audit' });
    } finally {
      await log.close();
    }
    const archived = await run([
      'archive',
      archive,
      '--before',
      '2025-01-01T00:00:00Z',
      '--url',
      url,
      '--yes',
    ]);
    if (!capable) {
      expect(archived.code).toBe(1);
      expect(archived.stderr).toMatch(/STORAGE_ERROR: .*capabilities\.archive/);
      return;
    }
    expect(archived.code).toBe(0);
    expect(JSON.parse(archived.stdout)).toMatchObject({ movedEvents: 5 });
    const restored = await run(['restore', archive, '--url', url]);
    expect(JSON.parse(restored.stdout)).toEqual({ files: 1, imported: 5, skipped: 0 });
    const after = await openEventLog(url);
    try {
      expect(await after.store.readAfter({ instance: 'audit' })).toEqual(before);
    } finally {
      await after.close();
    }
  }, 60_000);
});
