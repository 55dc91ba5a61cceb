/**
 * The `liveQuery` part of the live group: results now and after matching commits, consistency
 * with a fresh query, coalesced bursts, completion on delete.
 */

import type { Query, QueryResult } from '@eventlog/core';
import { expect, test } from 'vitest';
import {
  append,
  instrument,
  type LiveGroupOptions,
  type LiveTestContext,
  newInstance,
  numbered,
  ok,
  record,
  sleep,
} from './live-harness.js';

function countOf(result: QueryResult | undefined): unknown {
  return result?.aggregation?.value;
}

/** Registers the liveQuery tests. */
export function registerLiveQueryTests(context: () => LiveTestContext, options: LiveGroupOptions): void {
  const { rx } = options;

  test('given a live count, when matching events commit, then it emits the new count; non-matching commits emit nothing', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'lq-count');
    await append(log, inst.id, [...numbered(3, { type: 'login' }), ...numbered(2, { type: 'view' })]);
    const rec = record(
      rx.liveQuery(log, {
        from: { instance: inst.id },
        where: [{ field: 'event_type', operator: 'eq', value: 'login' }],
        reduce: { type: 'count' },
      }),
    );
    try {
      await rec.until((v) => v.length >= 1, signalTimeoutMs, 'the first result');
      expect(countOf(rec.values[0])).toBe(3);
      await append(log, inst.id, numbered(2, { type: 'login' }));
      await rec.until((v) => countOf(v.at(-1)) === 5, signalTimeoutMs, 'the count of 5');
      const emitted = rec.values.length;
      await append(log, inst.id, numbered(3, { type: 'view' }));
      // A control subscription proves the commit was seen before silence is judged.
      const control = record(rx.liveEvents(log, { instance: inst.id }));
      await control.until((v) => v.length >= 10, signalTimeoutMs, 'the view events');
      control.subscription.unsubscribe();
      await sleep(100);
      expect(rec.values).toHaveLength(emitted);
      ok(await log.appendEvent({ instanceId: inst.id, eventType: 'login' }));
      await rec.until((v) => countOf(v.at(-1)) === 6, signalTimeoutMs, 'the count of 6');
      expect(rec.values.map(countOf)).toEqual([3, 5, 6]);
      expect(rec.values.at(-1)?.total).toBe(6);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given live group-bys and an event list, when events commit, then each result equals a fresh query', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'lq-groups');
    const events = (from: number) =>
      Array.from({ length: 6 }, (_, i) => ({
        streamId: `user-${(from + i) % 3}`,
        eventType: (from + i) % 2 === 0 ? 'buy' : 'view',
        payload: { amount: from + i, label: `l${(from + i) % 4}` },
      }));
    await append(log, inst.id, events(0));
    const queries: Query[] = [
      { from: { instance: inst.id }, reduce: { type: 'count', groupBy: ['stream_id', 'event_type'] } },
      {
        from: { instance: inst.id },
        reduce: { type: 'sum', field: 'payload.amount', groupBy: ['stream_id'] },
      },
      { from: { instance: inst.id }, reduce: { type: 'max', field: 'payload.label' } },
      { from: { instance: inst.id }, reduce: { type: 'avg', field: 'payload.amount' } },
      {
        from: { instance: inst.id },
        where: [{ field: 'event_type', operator: 'eq', value: 'buy' }],
        orderBy: { field: 'global_position', direction: 'desc' },
        limit: 2,
      },
    ];
    const recs = queries.map((q) => record(rx.liveQuery(log, q)));
    try {
      for (const rec of recs) await rec.until((v) => v.length >= 1, signalTimeoutMs, 'a first result');
      await append(log, inst.id, events(6));
      await append(log, inst.id, events(12));
      for (const [i, rec] of recs.entries()) {
        const expected = ok(await log.queryEvents(queries[i] as Query)).result;
        await rec.until(
          (v) => v.at(-1)?.total === expected.total,
          signalTimeoutMs,
          `query ${i} to reach total ${expected.total}`,
        );
        expect(rec.values.at(-1), `query ${i}`).toEqual(expected);
      }
    } finally {
      for (const rec of recs) rec.subscription.unsubscribe();
    }
  });

  test('given a live count, when 500 appends commit in a burst, then it ends at the right count after far fewer reads than appends', async () => {
    const { adapter, signalTimeoutMs } = context();
    // Slow reads make coalescing visible: appends arrive while a refresh is in flight.
    const probe = instrument(adapter, { delayMs: 20 });
    const inst = await newInstance(probe.log, 'lq-burst');
    const rec = record(rx.liveQuery(probe.log, { from: { instance: inst.id }, reduce: { type: 'count' } }));
    try {
      await rec.until((v) => v.length >= 1, signalTimeoutMs, 'the first result');
      const readsBefore = probe.counters.readAfter + probe.counters.query;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 50; i++)
            ok(await probe.log.appendEvent({ instanceId: inst.id, eventType: 'tick' }));
        }),
      );
      await rec.until((v) => countOf(v.at(-1)) === 500, signalTimeoutMs + 5000, 'the count of 500');
      const reads = probe.counters.readAfter + probe.counters.query - readsBefore;
      expect(reads).toBeLessThan(250);
      expect(rec.values.length).toBeLessThan(250);
      // Counts never go backwards.
      const counts = rec.values.map((r) => countOf(r) as number);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    } finally {
      rec.subscription.unsubscribe();
    }
  });

  test('given a live query, when the instance is deleted, then it completes; a bad query errors', async () => {
    const { log, signalTimeoutMs } = context();
    const inst = await newInstance(log, 'lq-delete');
    const rec = record(rx.liveQuery(log, { from: { instance: inst.id }, reduce: { type: 'count' } }));
    await rec.until((v) => v.length >= 1, signalTimeoutMs, 'the first result');
    ok(await log.deleteInstance(inst.id));
    await rec.ended(signalTimeoutMs + 1000);
    expect(rec.error).toBeUndefined();
    expect(rec.completed).toBe(true);

    const bad = record(
      rx.liveQuery(log, { from: { instance: inst.id }, where: [{ field: 'x', operator: 'eq', value: 1 }] }),
    );
    await bad.ended(signalTimeoutMs);
    expect(bad.error).toMatchObject({ code: 'VALIDATION_ERROR' });
  });
}
