import { instrument } from '@eventlog/conformance';
import { type CommitSignal, createEventLog, type EventRecord, type StorageAdapter } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { liveEvents } from './live-events.js';
import { LiveReader } from './live-reader.js';

/** Overrides some adapter methods, delegating the rest. */
function override(adapter: StorageAdapter, methods: Partial<StorageAdapter>): StorageAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (Object.hasOwn(methods, property)) return methods[property as keyof StorageAdapter];
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function seeded(count: number) {
  const adapter = memoryAdapter();
  const log = createEventLog({ adapter });
  const { id } = await log.store.createInstance(`i-${count}`);
  if (count > 0) {
    await log.store.appendEvents({
      instanceId: id,
      events: Array.from({ length: count }, (_, i) => ({ eventType: 't', payload: { n: i + 1 } })),
    });
  }
  return { adapter, log, id };
}

const n = (e: EventRecord) => (e.payload as { n: number }).n;

describe('liveEvents', () => {
  it('given the store instead of the log, and onCaughtUp, then it reports the end of the catch-up and of each live read', async () => {
    const { log, id } = await seeded(4);
    const caughtUp: number[] = [];
    const got: number[] = [];
    const sub = liveEvents(log.store, {
      instance: id,
      pageSize: 3,
      onCaughtUp: (p) => caughtUp.push(p),
    }).subscribe((e) => got.push(n(e)));
    await expect.poll(() => caughtUp.length).toBe(1);
    expect(got).toEqual([1, 2, 3, 4]);
    const head = await log.store.headPosition(id);
    expect(caughtUp).toEqual([head]);
    const { event } = await log.store.appendEvent({ instanceId: id, eventType: 't', payload: { n: 5 } });
    await expect.poll(() => caughtUp.at(-1)).toBe(event.global_position);
    expect(got).toEqual([1, 2, 3, 4, 5]);
    sub.unsubscribe();
    await log.close();
  });

  it('given a subscriber that takes 3 of a backlog, then it stops reading and releases its watcher', async () => {
    const { adapter, log, id } = await seeded(10);
    const probe = instrument(adapter);
    const first = await firstValueFrom(
      liveEvents(probe.log, { instance: id, pageSize: 5 }).pipe(take(3), toArray()),
    );
    expect(first.map(n)).toEqual([1, 2, 3]);
    expect(probe.counters.watchers).toBe(0);
    expect(probe.counters.readAfter).toBe(1);
    await log.close();
  });

  it('given only "unknown" signals (another process wrote), then events still arrive, and a deletion completes it through NOT_FOUND', async () => {
    const { adapter, log, id } = await seeded(2);
    const blind = override(adapter, {
      watch: (listener: (signal: CommitSignal) => void) =>
        adapter.watch(() => listener({ kind: 'unknown', instanceId: null })),
    });
    const got: number[] = [];
    let completed = false;
    liveEvents(createEventLog({ adapter: blind }), { instance: id }).subscribe({
      next: (e) => got.push(n(e)),
      complete: () => {
        completed = true;
      },
    });
    await expect.poll(() => got).toEqual([1, 2]);
    await log.store.appendEvent({ instanceId: id, eventType: 't', payload: { n: 3 } });
    await expect.poll(() => got).toEqual([1, 2, 3]);
    await log.store.deleteInstance(id);
    await expect.poll(() => completed).toBe(true);
    await log.close();
  });

  it('given an adapter that returns events out of order, then it errors instead of emitting them', async () => {
    const { adapter, log, id } = await seeded(3);
    const broken = override(adapter, {
      readAfter: async (request) => (await adapter.readAfter(request)).reverse(),
    });
    const got: number[] = [];
    const error = await new Promise<unknown>((resolve) => {
      liveEvents(createEventLog({ adapter: broken }), { instance: id }).subscribe({
        next: (e) => got.push(n(e)),
        error: resolve,
      });
    });
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringMatching(/out of order/) });
    expect(got).toEqual([]);
    await log.close();
  });

  it('given a closed log, a bad page size or no options, then it errors at subscription', async () => {
    const { log, id } = await seeded(0);
    await expect(firstValueFrom(liveEvents(log, { instance: id, pageSize: 0 }))).rejects.toThrow(/pageSize/);
    await expect(firstValueFrom(liveEvents(log, undefined as never))).rejects.toThrow(/options/);
    await log.close();
    await expect(firstValueFrom(liveEvents(log, { instance: id }))).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
    });
  });

  it('given a read that fails, then the error reaches the subscriber and the watcher is released', async () => {
    const { adapter, log, id } = await seeded(1);
    let watchers = 0;
    const failing = override(adapter, {
      readAfter: async () => {
        throw new Error('disk on fire');
      },
      watch: (listener: (signal: CommitSignal) => void) => {
        watchers++;
        const release = adapter.watch(listener);
        return () => {
          watchers--;
          release();
        };
      },
    });
    await expect(
      firstValueFrom(liveEvents(createEventLog({ adapter: failing }), { instance: id })),
    ).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
      message: expect.stringMatching(/disk on fire/),
    });
    expect(watchers).toBe(0);
    await log.close();
  });
});

describe('liveEvents: commits of this process', () => {
  it('given a caught-up subscriber, when this process appends, then the events arrive without a read, in pages, as copies', async () => {
    const { adapter, log, id } = await seeded(2);
    const probe = instrument(adapter);
    const pages: number[][] = [];
    let caughtUp = 0;
    const reader = new LiveReader({
      store: probe.log.store,
      instance: id,
      after: 0,
      pageSize: 2,
      deliver: (page) => {
        pages.push(page.map(n));
        // A subscriber that scribbles on what it got must not touch the appender's result.
        for (const event of page) (event.payload as { n: number }).n = -1;
      },
      onEnd: () => {},
      onCaughtUp: () => {
        caughtUp++;
      },
    });
    reader.start();
    await expect.poll(() => caughtUp).toBe(1);
    const reads = probe.counters.readAfter;
    const batch = await probe.log.store.appendEvents({
      instanceId: id,
      events: [3, 4, 5, 6, 7].map((k) => ({ eventType: 't', payload: { n: k } })),
    });
    await expect.poll(() => pages.flat().length).toBe(7);
    await probe.log.store.appendEvent({ instanceId: id, eventType: 't', payload: { n: 8 } });
    await expect.poll(() => pages.flat().length).toBe(8);
    expect(pages).toEqual([[1, 2], [3, 4], [5, 6], [7], [8]]);
    expect(probe.counters.readAfter).toBe(reads);
    expect(batch.events.map(n)).toEqual([3, 4, 5, 6, 7]);
    expect(reader.position).toBe(await log.store.headPosition(id));
    reader.stop();
    await log.close();
  });

  it('given stream and where filters, then only matching committed events are delivered, and caughtUp resolves', async () => {
    const { adapter, log, id } = await seeded(0);
    const probe = instrument(adapter);
    const got: EventRecord[] = [];
    const reader = new LiveReader({
      store: probe.log.store,
      instance: id,
      stream: 'keep',
      where: [{ field: 'payload.n', operator: 'gte', value: 2 }],
      after: 0,
      pageSize: 10,
      deliver: (page) => {
        got.push(...page);
      },
      onEnd: () => {},
    });
    reader.start();
    await reader.caughtUp();
    const reads = probe.counters.readAfter;
    for (const [stream, k] of [
      ['keep', 1],
      ['keep', 2],
      ['drop', 3],
      ['keep', 4],
    ] as const) {
      await probe.log.store.appendEvent({
        instanceId: id,
        streamId: stream,
        eventType: 't',
        payload: { n: k },
      });
    }
    await reader.caughtUp();
    expect(got.map(n)).toEqual([2, 4]);
    expect(got.map((e) => e.stream_id)).toEqual(['keep', 'keep']);
    // caughtUp reads the head once; the events themselves came with their commits.
    expect(probe.counters.readAfter).toBe(reads);
    reader.stop();
    await log.close();
  });

  it('given a filtered reader whose catch-up ends on events it filters out, then after the first commit, later ones, matching or not, come with their commits and need no read (as unfiltered)', async () => {
    const { adapter, log, id } = await seeded(0);
    await log.store.appendEvents({
      instanceId: id,
      events: [
        ...[1, 2, 3].map((k) => ({ eventType: 'keep', payload: { n: k } })),
        ...[4, 5, 6, 7, 8].map((k) => ({ eventType: 'noise', payload: { n: k } })),
      ],
    });
    const probe = instrument(adapter);
    const got: number[] = [];
    let caughtUp = 0;
    const reader = new LiveReader({
      store: probe.log.store,
      instance: id,
      where: [{ field: 'event_type', operator: 'eq', value: 'keep' }],
      after: 0,
      pageSize: 10,
      deliver: (page) => {
        got.push(...page.map(n));
      },
      onEnd: () => {},
      onCaughtUp: () => {
        caughtUp++;
      },
    });
    reader.start();
    await expect.poll(() => caughtUp).toBe(1);
    // The first commit tells the reader the head (its catch-up could not know it): one read.
    await probe.log.store.appendEvent({ instanceId: id, eventType: 'noise', payload: { n: 9 } });
    await expect.poll(() => caughtUp).toBe(2);
    const reads = probe.counters.readAfter;
    for (const [type, k] of [
      ['keep', 10],
      ['noise', 11],
      ['noise', 12],
      ['keep', 13],
    ] as const) {
      const before = caughtUp;
      await probe.log.store.appendEvent({ instanceId: id, eventType: type, payload: { n: k } });
      await expect.poll(() => caughtUp).toBeGreaterThan(before);
    }
    expect(got).toEqual([1, 2, 3, 10, 13]);
    expect(probe.counters.readAfter).toBe(reads);
    reader.stop();
    await log.close();
  });

  it('given commits that carry no events (SQLite in-process, other processes), then a filtered reader reads only after what it has scanned, never again from its last match', async () => {
    const { adapter, log, id } = await seeded(0);
    const afters: number[] = [];
    const plain = override(adapter, {
      watch: (listener: (signal: CommitSignal) => void) =>
        adapter.watch(({ committed: _committed, ...signal }) => listener(signal)),
      readAfter: (request) => {
        afters.push(request.after);
        return adapter.readAfter(request);
      },
    });
    const store = createEventLog({ adapter: plain }).store;
    const got: number[] = [];
    let caughtUp = 0;
    const reader = new LiveReader({
      store,
      instance: id,
      where: [{ field: 'event_type', operator: 'eq', value: 'keep' }],
      after: 0,
      pageSize: 10,
      deliver: (page) => {
        got.push(...page.map(n));
      },
      onEnd: () => {},
      onCaughtUp: () => {
        caughtUp++;
      },
    });
    reader.start();
    await expect.poll(() => caughtUp).toBe(1);
    const positions: number[] = [];
    for (const [type, k] of [
      ['keep', 1],
      ['noise', 2],
      ['noise', 3],
      ['noise', 4],
      ['keep', 5],
      ['noise', 6],
    ] as const) {
      const before = caughtUp;
      const { event } = await store.appendEvent({ instanceId: id, eventType: type, payload: { n: k } });
      positions.push(event.global_position);
      await expect.poll(() => caughtUp).toBeGreaterThan(before);
    }
    expect(got).toEqual([1, 5]);
    // Each read starts after the head the previous commit signalled: 0, then each commit's predecessor.
    expect(afters).toEqual([0, 0, ...positions.slice(0, -1)]);
    reader.stop();
    await log.close();
  });

  it('given a missed signal, when the next commit says what it added, then the reader reads instead of taking it (nothing is lost)', async () => {
    const { adapter, log, id } = await seeded(1);
    let drop = false;
    const lossy = override(adapter, {
      watch: (listener: (signal: CommitSignal) => void) =>
        adapter.watch((signal) => {
          if (drop && signal.kind === 'append') {
            drop = false;
            return;
          }
          listener(signal);
        }),
    });
    const got: number[] = [];
    let caughtUp = 0;
    liveEvents(createEventLog({ adapter: lossy }), {
      instance: id,
      onCaughtUp: () => {
        caughtUp++;
      },
    }).subscribe((e) => got.push(n(e)));
    await expect.poll(() => caughtUp).toBe(1);
    drop = true;
    await log.store.appendEvent({ instanceId: id, eventType: 't', payload: { n: 2 } });
    // This commit's `previous` is 2, the reader has read up to 1: taking its events would skip 2.
    await log.store.appendEvent({ instanceId: id, eventType: 't', payload: { n: 3 } });
    await expect.poll(() => got).toEqual([1, 2, 3]);
    await log.close();
  });
  it('given a stream reader catching up page by page, then each read after the first is bounded by the sequence number it reached, so it seeks there (no walk back from the stream’s end)', async () => {
    const adapter = memoryAdapter();
    const log = createEventLog({ adapter });
    const { id } = await log.store.createInstance('paged-stream');
    // Two streams interleaved: positions and sequence numbers differ.
    await log.store.appendEvents({
      instanceId: id,
      events: Array.from({ length: 50 }, (_, i) => ({
        streamId: i % 2 === 0 ? 's' : 'other',
        eventType: 't',
        payload: { n: i + 1 },
      })),
    });
    const reads: Array<{ after: number; where: string }> = [];
    const recording = override(adapter, {
      readAfter: (request) => {
        reads.push({ after: request.after, where: JSON.stringify(request.where ?? null) });
        return adapter.readAfter(request);
      },
    });
    const got = await firstValueFrom(
      liveEvents(createEventLog({ adapter: recording }).store, {
        instance: id,
        stream: 's',
        pageSize: 10,
      }).pipe(take(25), toArray()),
    );
    expect(got.map((e) => e.sequence_number)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(got.every((e) => e.stream_id === 's')).toBe(true);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads[0]?.where).not.toMatch(/sequence_number/);
    // After 10 and 20 events of the stream: bounded by sequence numbers 10 and 20.
    for (const [k, read] of reads.slice(1, 3).entries()) {
      expect(read.after).toBe(got[10 * (k + 1) - 1]?.global_position);
      expect(read.where).toMatch(
        new RegExp(`"op":"gt","field":\\{[^}]*"column":"sequence_number"[^}]*\\},"value":${10 * (k + 1)}`),
      );
    }
    await log.close();
  });
});
