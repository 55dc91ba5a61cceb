/**
 * What live subscriptions build on: `readAfter` pages in position order with stream and where
 * filters, `headPosition`, and `watch` wake-ups after commits and deletes.
 */

import type { CommitSignal, EventRecord, StorageAdapter } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectOk, sleep, useContext } from '../context.js';

/** Records signals from `adapter.watch` and waits for one that matches. */
function recordSignals(adapter: StorageAdapter) {
  const signals: CommitSignal[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = adapter.watch((signal) => {
    signals.push(signal);
    wake?.();
  });
  return {
    signals,
    unsubscribe,
    /** Resolves with the first signal (from `from` on) that matches, or undefined after `timeoutMs`. */
    async waitFor(
      matches: (s: CommitSignal) => boolean,
      timeoutMs: number,
      from = 0,
    ): Promise<CommitSignal | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = signals.slice(from).find(matches);
        if (hit !== undefined) return hit;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 50));
        });
      }
    },
  };
}

/** Registers the `live` group. */
export function registerLiveTests(holder: ContextHolder): void {
  const seven = async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('live');
    const events = await ctx.append(inst.id, [
      { streamId: 'x', eventType: 'a', payload: { n: 1 } },
      { streamId: 'y', eventType: 'b', payload: { n: 2 } },
      { streamId: 'x', eventType: 'b', payload: { n: 3 } },
      { streamId: 'y', eventType: 'a', payload: { n: 4 } },
      { streamId: 'x', eventType: 'b', payload: { n: 5 } },
      { streamId: 'x', eventType: 'a', payload: { n: 6 } },
      { streamId: 'y', eventType: 'b', payload: { n: 7 } },
    ]);
    return { ctx, inst, events };
  };

  test('given an empty instance, then headPosition is 0; after appends it is the last position', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('head');
    expect(await ctx.log.store.headPosition(inst.id)).toBe(0);
    const events = await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }]);
    expect(await ctx.log.store.headPosition(inst.id)).toBe(events[1]?.global_position);
    expect(await ctx.log.store.headPosition(inst.name)).toBe(events[1]?.global_position);
    expect(await ctx.adapter.headPosition(inst.id)).toBe(events[1]?.global_position);
  });

  test('given seven events, when reading pages of 3 after each last position, then every event comes once, in order', async () => {
    const { ctx, inst, events } = await seven();
    const pages: EventRecord[][] = [];
    let after = 0;
    for (let i = 0; i < 5; i++) {
      const page = await ctx.log.store.readAfter({ instance: inst.id, after, limit: 3 });
      pages.push(page);
      if (page.length === 0) break;
      after = page[page.length - 1]!.global_position;
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1, 0]);
    expect(pages.flat()).toEqual(events);
  });

  test('given a position in the middle, when reading after it, then only later events come', async () => {
    const { ctx, inst, events } = await seven();
    const page = await ctx.log.store.readAfter({ instance: inst.name, after: events[3]!.global_position });
    expect(page).toEqual(events.slice(4));
  });

  test('given a stream filter, when reading after 0, then only that stream comes, in order', async () => {
    const { ctx, inst, events } = await seven();
    const page = await ctx.log.store.readAfter({ instance: inst.id, after: 0, stream: 'y', limit: 2 });
    expect(page).toEqual([events[1], events[3]]);
  });

  test('given a where filter, when reading after a position, then only matches come', async () => {
    const { ctx, inst, events } = await seven();
    const page = await ctx.log.store.readAfter({
      instance: inst.id,
      after: events[0]!.global_position,
      where: [
        { field: 'event_type', operator: 'eq', value: 'b' },
        { field: 'payload.n', operator: 'gt', value: 2 },
      ],
    });
    expect(page).toEqual([events[2], events[4], events[6]]);
    const both = await ctx.log.store.readAfter({
      instance: inst.id,
      after: 0,
      stream: 'x',
      where: [{ field: 'event_type', operator: 'eq', value: 'a' }],
      limit: 1,
    });
    expect(both).toEqual([events[0]]);
  });

  test('given the adapter directly, when reading after with a parsed condition, then it filters the same way', async () => {
    const { ctx, inst, events } = await seven();
    const where = ctx.log.store.parseQuery({
      from: { instance: inst.id },
      where: [{ field: 'payload.n', operator: 'in', value: [2, 6, 7] }],
    }).where;
    const page = await ctx.adapter.readAfter({ instanceId: inst.id, after: 0, where, limit: 2 });
    expect(page).toEqual([events[1], events[5]]);
  });

  test('given a missing instance or a bad where, then readAfter throws NOT_FOUND or VALIDATION_ERROR', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('live-errors');
    await expect(
      ctx.log.store.readAfter({ instance: ctx.uniqueName('missing'), after: 0 }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(
      ctx.log.store.readAfter({
        instance: inst.id,
        after: 0,
        where: [{ field: 'payload..x', operator: 'eq', value: 1 }],
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  test('given a watcher, when an event is appended, then it receives a signal for the instance', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('watch');
    const watcher = recordSignals(ctx.adapter);
    try {
      const { event } = expectOk(await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'a' }));
      const signal = await watcher.waitFor(
        (s) => s.instanceId === inst.id || s.instanceId === null,
        ctx.signalTimeoutMs,
      );
      expect(signal, 'no signal after an append').toBeDefined();
      expect(['append', 'unknown']).toContain(signal?.kind);
      if (signal?.position !== undefined && signal.instanceId === inst.id) {
        expect(signal.position).toBeGreaterThanOrEqual(event.global_position);
      }
    } finally {
      watcher.unsubscribe();
    }
  });

  test('given signals that carry what they committed, then each holds exactly the events after its previous head', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('watch-committed');
    const watcher = recordSignals(ctx.adapter);
    try {
      // Concurrent appends by id and by name, single and batched: commits interleave and coalesce.
      const appended = await Promise.all(
        Array.from({ length: 24 }, (_, k) =>
          ctx.append(
            k % 2 === 0 ? inst.id : inst.name,
            Array.from({ length: 1 + (k % 3) }, (_, j) => ({
              streamId: `s-${k % 4}`,
              eventType: 't',
              payload: { k, j },
            })),
          ),
        ),
      );
      const total = appended.flat().length;
      const carried = watcher.signals.filter((s) => s.instanceId === inst.id && s.committed !== undefined);
      for (const signal of carried) {
        const { previous, events } = signal.committed!;
        expect(events.length).toBeGreaterThan(0);
        expect(signal.position).toBe(events[events.length - 1]!.global_position);
        // Nothing of the instance lies between `previous` and the commit's last event but its own.
        const read = await ctx.log.store.readAfter({ instance: inst.id, after: previous, limit: total });
        expect(read.slice(0, events.length)).toEqual(events);
      }
      // An adapter that attaches them does so to every append of this process.
      if (carried.length > 0) {
        const covered = carried.flatMap((s) => s.committed!.events.map((e) => e.global_position));
        expect(covered.sort((a, b) => a - b)).toEqual(
          appended
            .flat()
            .map((e) => e.global_position)
            .sort((a, b) => a - b),
        );
      }
    } finally {
      watcher.unsubscribe();
    }
  });

  test('given a watcher, when another instance is appended to, then no signal names this instance', async () => {
    const ctx = useContext(holder);
    const mine = await ctx.newInstance('watch-mine');
    const other = await ctx.newInstance('watch-other');
    const watcher = recordSignals(ctx.adapter);
    try {
      await ctx.append(other.id, [{ eventType: 'a' }, { eventType: 'b' }]);
      const signal = await watcher.waitFor(
        (s) => s.instanceId === other.id || s.instanceId === null,
        ctx.signalTimeoutMs,
      );
      expect(signal, 'no signal after an append').toBeDefined();
      expect(watcher.signals.filter((s) => s.instanceId === mine.id)).toEqual([]);
    } finally {
      watcher.unsubscribe();
    }
  });

  test('given a watcher, when the instance is deleted, then it receives a signal', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('watch-delete');
    await ctx.append(inst.id, [{ eventType: 'a' }]);
    const watcher = recordSignals(ctx.adapter);
    try {
      const from = watcher.signals.length;
      expectOk(await ctx.log.deleteInstance(inst.id));
      const signal = await watcher.waitFor(
        (s) =>
          (s.kind === 'delete' || s.kind === 'unknown') &&
          (s.instanceId === inst.id || s.instanceId === null),
        ctx.signalTimeoutMs,
        from,
      );
      expect(signal, 'no signal after a delete').toBeDefined();
    } finally {
      watcher.unsubscribe();
    }
  });

  test('given an unsubscribed watcher, when an event is appended, then it is not called', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('unwatch');
    const watcher = recordSignals(ctx.adapter);
    const control = recordSignals(ctx.adapter);
    watcher.unsubscribe();
    try {
      await ctx.append(inst.id, [{ eventType: 'a' }]);
      // The control watcher proves a signal was sent; only then is silence meaningful.
      expect(
        await control.waitFor((s) => s.instanceId === inst.id || s.instanceId === null, ctx.signalTimeoutMs),
      ).toBeDefined();
      await sleep(50);
      expect(watcher.signals.filter((s) => s.instanceId === inst.id)).toEqual([]);
    } finally {
      control.unsubscribe();
    }
  });
}
