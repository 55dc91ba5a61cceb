/**
 * The lifecycle part of the live group (SPEC §9): subscribers and projections receive the
 * `$stream.*` records in order with the other events; a deleted stream's events never reappear
 * in a replay or a rebuilt projection; events expired by retention are never delivered. Needs
 * `capabilities.lifecycle` (skipped with that reason otherwise).
 */

import {
  type EventRecord,
  hasCapability,
  STREAM_DELETED,
  STREAM_TRUNCATED,
  SYSTEM_STREAM,
} from '@eventlog/core';
import { expect, type TestContext, test } from 'vitest';
import {
  append,
  freshName,
  type LiveGroupOptions,
  type LiveTestContext,
  newInstance,
  numbered,
  ok,
  readAll,
  record,
  sleep,
} from './live-harness.js';

const label = (e: EventRecord) =>
  e.stream_id === SYSTEM_STREAM
    ? `${e.event_type}:${String((e.payload as { streamId?: string }).streamId)}`
    : `${e.stream_id}#${e.sequence_number}`;

/** Registers the live lifecycle tests. */
export function registerLifecycleLiveTests(context: () => LiveTestContext, options: LiveGroupOptions): void {
  const { rx } = options;
  const lifecycle = (t: TestContext): LiveTestContext => {
    const ctx = context();
    if (!hasCapability(ctx.adapter, 'lifecycle')) {
      t.skip(`adapter "${ctx.adapter.name}" declares capabilities.lifecycle = false`);
    }
    return ctx;
  };

  test('given a live subscriber, when a stream is deleted and written again, then it receives $stream.deleted in order, and a replay never shows the deleted events', async (t) => {
    const { log, signalTimeoutMs } = lifecycle(t);
    const inst = await newInstance(log, 'live-delete');
    await append(log, inst.id, [...numbered(3, { stream: 'a' }), ...numbered(2, { stream: 'b' })]);
    const rec = record(rx.liveEvents(log, { instance: inst.id }));
    try {
      await rec.until((v) => v.length >= 5, signalTimeoutMs, 'the catch-up');
      ok(await log.deleteStream({ instanceId: inst.id, streamId: 'a' }));
      await append(log, inst.id, numbered(1, { stream: 'a', from: 4 }));
      await rec.until((v) => v.length >= 7, signalTimeoutMs, 'the record and the new event');
      await sleep(50);
      expect(rec.values.map(label)).toEqual([
        'a#1',
        'a#2',
        'a#3',
        'b#1',
        'b#2',
        `${STREAM_DELETED}:a`,
        'a#4',
      ]);
      const positions = rec.values.map((e) => e.global_position);
      expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    } finally {
      rec.subscription.unsubscribe();
    }
    const replay = record(rx.liveEvents(log, { instance: inst.id, after: 0 }));
    try {
      await replay.until((v) => v.length >= 4, signalTimeoutMs, 'the replay');
      await sleep(50);
      expect(replay.values.map(label)).toEqual(['b#1', 'b#2', `${STREAM_DELETED}:a`, 'a#4']);
    } finally {
      replay.subscription.unsubscribe();
    }
  });

  test('given a projection, when streams are deleted and truncated, then its handler gets the records in order, and a rebuild never sees the removed events', async (t) => {
    const { log } = lifecycle(t);
    const inst = await newInstance(log, 'live-proj-delete');
    const seen: string[] = [];
    const p = rx.projection({
      log,
      name: freshName('lifecycle'),
      instance: inst.id,
      lease: { ttlMs: 400, renewIntervalMs: 100, retryIntervalMs: 50 },
      handler: (e) => void seen.push(label(e)),
    });
    try {
      p.start();
      await append(log, inst.id, [...numbered(2, { stream: 'a' }), ...numbered(3, { stream: 'b' })]);
      await p.caughtUp();
      ok(await log.deleteStream({ instanceId: inst.id, streamId: 'a' }));
      ok(await log.truncateStream({ instanceId: inst.id, streamId: 'b', before: 3 }));
      await p.caughtUp();
      expect(seen).toEqual([
        'a#1',
        'a#2',
        'b#1',
        'b#2',
        'b#3',
        `${STREAM_DELETED}:a`,
        `${STREAM_TRUNCATED}:b`,
      ]);
      seen.length = 0;
      await p.reset();
      p.start();
      await p.caughtUp();
      expect(seen).toEqual(['b#3', `${STREAM_DELETED}:a`, `${STREAM_TRUNCATED}:b`]);
    } finally {
      await p.stop();
    }
  });

  test('given retention rules, then live subscribers never receive expired events, not even from a batch that expires part of itself as it commits', async (t) => {
    const { log, signalTimeoutMs } = lifecycle(t);
    const inst = await newInstance(log, 'live-retention');
    await append(log, inst.id, numbered(3, { stream: 'a' }));
    ok(await log.setRetention({ instanceId: inst.id, maxEventsPerStream: 2 }));
    const rec = record(rx.liveEvents(log, { instance: inst.id }));
    try {
      await rec.until((v) => v.length >= 2, signalTimeoutMs, 'the catch-up');
      await append(log, inst.id, numbered(3, { stream: 'b' }));
      await rec.until((v) => v.length >= 4, signalTimeoutMs, 'the visible part of the batch');
      await sleep(100);
      expect(rec.values.map(label)).toEqual(['a#2', 'a#3', 'b#2', 'b#3']);
    } finally {
      rec.subscription.unsubscribe();
    }
    expect((await readAll(log, inst.id)).map(label)).toEqual(['a#2', 'a#3', 'b#2', 'b#3']);
  });
}
