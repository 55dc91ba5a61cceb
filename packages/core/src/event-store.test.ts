import { describe, expect, it } from 'vitest';
import type { CommitSignal, ReadAfterRequest, ReadOptions } from './adapter.js';
import { EventLogError } from './errors.js';
import { createEventStore } from './event-store.js';
import { readStream } from './stream-reads.js';
import { fakeAdapter, T0 } from './test/fake-adapter.js';

describe('EventStore (the throwing layer)', () => {
  function store() {
    const fake = fakeAdapter();
    return { store: createEventStore({ adapter: fake.adapter, now: () => T0 }), fake };
  }

  it('given a missing instance, when getInstance, then it throws NOT_FOUND as an EventLogError', async () => {
    const { store: s } = store();
    await expect(s.getInstance('x')).rejects.toSatisfy(
      (e: unknown) => EventLogError.isInstance(e) && e.code === 'NOT_FOUND',
    );
  });

  it('given an adapter failure, when a method runs, then it throws STORAGE_ERROR with the cause', async () => {
    const { store: s, fake } = store();
    const cause = new Error('io');
    fake.failNext(cause);
    await expect(s.listInstances()).rejects.toSatisfy(
      (e: unknown) => EventLogError.isInstance(e) && e.code === 'STORAGE_ERROR' && e.cause === cause,
    );
  });

  it('given events, when readAfter, then the adapter gets the resolved id, parsed where and default page', async () => {
    const { store: s, fake } = store();
    const instance = await s.createInstance('live');
    await s.appendEvents({
      instanceId: 'live',
      events: [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'c' }],
    });
    const page = await s.readAfter({
      instance: 'live',
      after: 1,
      where: [{ field: 'eventType', operator: 'neq', value: 'z' }],
    });
    expect(page.map((e) => e.global_position)).toEqual([2, 3]);
    const request = fake.calls.find((c) => c.method === 'readAfter')?.args[0] as ReadAfterRequest;
    expect(request).toMatchObject({ instanceId: instance.id, after: 1, limit: 500, where: { kind: 'and' } });
    await expect(s.readAfter({ instance: 'live', after: -1 })).rejects.toSatisfy(
      (e: unknown) => EventLogError.isInstance(e) && e.code === 'VALIDATION_ERROR',
    );
    await expect(s.readAfter({ instance: 'gone' })).rejects.toSatisfy(
      (e: unknown) => EventLogError.isInstance(e) && e.code === 'NOT_FOUND',
    );
  });

  it('given a known id with new events, when readAfter and headPosition, then the adapter is asked by id alone', async () => {
    const { store: s, fake } = store();
    const instance = await s.createInstance('fast');
    await s.appendEvents({ instanceId: instance.id, events: [{ eventType: 'a' }, { eventType: 'b' }] });
    // The first read by id resolves it; later reads that find events do not.
    expect((await s.readAfter({ instance: instance.id, after: 0 })).map((e) => e.global_position)).toEqual([
      1, 2,
    ]);
    const before = fake.calls.length;
    expect((await s.readAfter({ instance: instance.id, after: 1 })).map((e) => e.global_position)).toEqual([
      2,
    ]);
    expect(await s.headPosition(instance.id)).toBe(2);
    expect(fake.methods().slice(before)).toEqual(['readAfter', 'headPosition']);
    // Nothing new: the reference is resolved, so an empty page still means "exists, nothing new".
    expect(await s.readAfter({ instance: instance.id, after: 2 })).toEqual([]);
    expect(fake.methods().slice(-2)).toEqual(['readAfter', 'resolveInstance']);
    // A name is resolved as before.
    expect(await s.readAfter({ instance: 'fast', after: 1 })).toHaveLength(1);
    expect(fake.methods().slice(-2)).toEqual(['resolveInstance', 'readAfter']);
  });

  it('given a known id, when queryEvents and getInstanceStats, then the adapter is asked by id alone; a stale id is resolved', async () => {
    const { store: s, fake } = store();
    const notFound = (e: unknown) => EventLogError.isInstance(e) && e.code === 'NOT_FOUND';
    const old = await s.createInstance('q');
    await s.appendEvents({ instanceId: old.id, events: [{ eventType: 'a' }, { eventType: 'b' }] });
    expect((await s.queryEvents({ from: { instance: old.id } })).total).toBe(2); // resolves: learns the id
    const before = fake.calls.length;
    expect((await s.queryEvents({ from: { instance: old.id } })).total).toBe(2);
    expect((await s.getInstanceStats(old.id)).instanceId).toBe(old.id);
    expect(fake.methods().slice(before)).toEqual(['query', 'stats']);
    // A name is resolved, as before.
    expect((await s.queryEvents({ from: { instance: 'q' } })).total).toBe(2);
    expect(fake.methods().slice(-2)).toEqual(['resolveInstance', 'query']);
    // Deleted, and its id's string made another instance's name: the reference now means that one.
    await s.deleteInstance(old.id);
    const heir = await s.createInstance(old.id);
    await s.appendEvent({ instanceId: heir.id, eventType: 'x' });
    const { events = [] } = await s.queryEvents({ from: { instance: old.id } });
    expect(events.map((e) => [e.instanceId, e.event_type])).toEqual([[heir.id, 'x']]);
    expect(fake.methods().slice(-3)).toEqual(['query', 'resolveInstance', 'query']);
    expect((await s.getInstanceStats(old.id)).instanceId).toBe(heir.id);
    // Deleted for good: NOT_FOUND, from the fallback's resolution.
    await s.deleteInstance(heir.id);
    await expect(s.queryEvents({ from: { instance: heir.id } })).rejects.toSatisfy(notFound);
    await expect(s.getInstanceStats(heir.id)).rejects.toSatisfy(notFound);
  });

  it('given a known id that was deleted, when readAfter or headPosition, then NOT_FOUND; a new instance named like it is read', async () => {
    const { store: s } = store();
    const old = await s.createInstance('old');
    await s.appendEvent({ instanceId: old.id, eventType: 'a' });
    expect(await s.readAfter({ instance: old.id, after: 0 })).toHaveLength(1);
    expect(await s.headPosition(old.id)).toBe(1);
    await s.deleteInstance(old.id);
    const notFound = (e: unknown) => EventLogError.isInstance(e) && e.code === 'NOT_FOUND';
    await expect(s.readAfter({ instance: old.id, after: 0 })).rejects.toSatisfy(notFound);
    await expect(s.headPosition(old.id)).rejects.toSatisfy(notFound);
    // The old id's string now names another instance: the reference resolves to it.
    const heir = await s.createInstance(old.id);
    await s.appendEvents({ instanceId: heir.id, events: [{ eventType: 'x' }, { eventType: 'y' }] });
    const page = await s.readAfter({ instance: old.id, after: 0 });
    expect(page.map((e) => [e.instanceId, e.event_type])).toEqual([
      [heir.id, 'x'],
      [heir.id, 'y'],
    ]);
    expect(await s.headPosition(old.id)).toBe(3);
  });

  it('given an auto-created id that was deleted and auto-created again, when readAfter and headPosition, then the new instance is read, as resolving would', async () => {
    const { store: s, fake } = store();
    // With autoCreateInstance an id equals a name, so the same id can name a new instance later.
    await s.appendEvent({ instanceId: 'auto', eventType: 'a', autoCreateInstance: true });
    expect((await s.readAfter({ instance: 'auto', after: 0 })).map((e) => e.event_type)).toEqual(['a']);
    await s.deleteInstance('auto');
    await s.appendEvents({
      instanceId: 'auto',
      events: [{ eventType: 'b' }, { eventType: 'c' }],
      autoCreateInstance: true,
    });
    const before = fake.calls.length;
    const page = await s.readAfter({ instance: 'auto', after: 0 });
    expect(fake.methods().slice(before)).toEqual(['readAfter']);
    expect(page.map((e) => [e.instanceId, e.event_type, e.global_position])).toEqual([
      ['auto', 'b', 2],
      ['auto', 'c', 3],
    ]);
    expect(await s.headPosition('auto')).toBe(3);
    // A store that never saw the id resolves first, and reads the same.
    const fresh = createEventStore({ adapter: fake.adapter, now: () => T0 });
    expect(await fresh.readAfter({ instance: 'auto', after: 0 })).toEqual(page);
    expect(await fresh.headPosition('auto')).toBe(3);
    // Deleted again and the string taken as another instance's name: the name is read.
    await s.deleteInstance('auto');
    const named = await s.createInstance('auto');
    await s.appendEvent({ instanceId: named.id, eventType: 'd' });
    expect(
      (await s.readAfter({ instance: 'auto', after: 0 })).map((e) => [e.instanceId, e.event_type]),
    ).toEqual([[named.id, 'd']]);
    expect(await s.headPosition('auto')).toBe(4);
  });

  it('given events, when headPosition, then the highest position of the instance', async () => {
    const { store: s } = store();
    await s.createInstance('h');
    expect(await s.headPosition('h')).toBe(0);
    await s.appendEvent({ instanceId: 'h', eventType: 'a' });
    expect(await s.headPosition('h')).toBe(1);
  });

  it('given a watcher, when an append commits, then it is called; unsubscribe stops it', async () => {
    const { store: s } = store();
    await s.createInstance('w');
    const signals: CommitSignal[] = [];
    const stop = s.watch((signal) => signals.push(signal));
    await s.appendEvent({ instanceId: 'w', eventType: 'a' });
    stop();
    await s.appendEvent({ instanceId: 'w', eventType: 'b' });
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ kind: 'append', position: 1 });
  });

  it('given a stream, when its pages are read newest first and its version asked, then the adapter is told no total is needed', async () => {
    const { store: s, fake } = store();
    const instance = await s.createInstance('pages');
    const events = Array.from({ length: 5 }, () => ({ eventType: 'a' }));
    await s.appendEvents({ instanceId: instance.id, streamId: 'st', events });
    const queryOptions = () =>
      fake.calls.filter((c) => c.method === 'query').map((c) => (c.args[3] as ReadOptions).total);
    const back = await readStream(s, {
      instance: 'pages',
      streamId: 'st',
      direction: 'backward',
      pageSize: 2,
    });
    expect(back.events.map((e) => e.sequence_number)).toEqual([5, 4, 3, 2, 1]);
    const forward = await readStream(s, { instance: 'pages', streamId: 'st', maxCount: 2 });
    expect(forward.currentVersion).toBe(5); // asked after the page: the stream's newest event
    expect(queryOptions()).toEqual([false, false, false, false]);
    // A page of any query reads the same events as queryEvents; an aggregation is refused.
    const query = {
      from: { instance: 'pages' },
      orderBy: { field: 'global_position', direction: 'desc' },
      limit: 2,
    } as const;
    expect(await s.pageEvents(query)).toEqual((await s.queryEvents(query)).events);
    expect(queryOptions().slice(-2)).toEqual([false, undefined]);
    await expect(s.pageEvents({ from: { instance: 'pages' }, reduce: { type: 'count' } })).rejects.toSatisfy(
      (e: unknown) =>
        EventLogError.isInstance(e) && e.code === 'VALIDATION_ERROR' && /queryEvents/.test(e.message),
    );
  });

  it('given a raw query, when parseQuery, then the AST uses the store limits', () => {
    const fake = fakeAdapter();
    const s = createEventStore({ adapter: fake.adapter, limits: { defaultQueryLimit: 3 } });
    expect(s.parseQuery({ from: { instance: 'x' } }).limit).toBe(3);
    expect(() => s.parseQuery({})).toThrow(EventLogError);
    expect(s.limits.defaultQueryLimit).toBe(3);
  });

  it('given a closed store, when watch, then it throws STORAGE_ERROR', async () => {
    const { store: s } = store();
    await s.close();
    expect(() => s.watch(() => {})).toThrow(/closed/);
  });
});
