/**
 * Stream lifecycle and retention (SPEC §9): deleteStream and truncateStream (recorded as
 * `$stream.*` events of the `$system` stream in the same transaction; versions continue; positions
 * never reused), reserved `$` names, retention rules applied to every read from the moment events
 * expire (a controllable clock, so nothing sleeps), pruning in batches, and the retention
 * differential test against the core evaluator.
 *
 * Input validation runs on every adapter; the rest needs `capabilities.lifecycle` (skipped with
 * that reason otherwise), and an adapter without it must refuse the methods with `STORAGE_ERROR`.
 */

import {
  createEventLog,
  type Envelope,
  type EventLog,
  type EventRecord,
  hasCapability,
  type Retention,
  STREAM_DELETED,
  STREAM_TRUNCATED,
  SYSTEM_STREAM,
  visibleEvents,
} from '@eventlog/core';
import { expect, type TestContext, test } from 'vitest';
import {
  type ConformanceContext,
  type ContextHolder,
  expectFailure,
  expectOk,
  loose,
  snapshot,
  useContext,
} from '../context.js';
import { type MovableClock, runRetentionDifferential } from '../differential.js';

/** 2024-03-01T12:00:00.000Z: the clock of the retention tests. */
const T0 = Date.UTC(2024, 2, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** The context when the adapter declares `lifecycle`; otherwise the test is skipped, saying why. */
function lifecycle(holder: ContextHolder, t: TestContext): ConformanceContext {
  const ctx = useContext(holder);
  if (!hasCapability(ctx.adapter, 'lifecycle')) {
    t.skip(`adapter "${ctx.options.name}" declares capabilities.lifecycle = false`);
  }
  return ctx;
}

/** A facade over the adapter under test whose clock the test moves. */
function clocked(ctx: ConformanceContext, ms = T0): { log: EventLog; clock: MovableClock } {
  const clock = { ms };
  const log = createEventLog({ adapter: ctx.adapter, limits: ctx.options.limits, now: () => clock.ms });
  return { log, clock };
}

/** Every event of an instance through `log` (position order). */
async function all(log: EventLog, instanceId: string, stream?: string): Promise<EventRecord[]> {
  const from = stream === undefined ? { instance: instanceId } : { instance: instanceId, stream };
  return (expectOk(await log.queryEvents({ from, limit: 10_000 })).result.events ?? []) as EventRecord[];
}

const summary = (events: EventRecord[]) => events.map((e) => `${e.stream_id}#${e.sequence_number}`);

/** Registers the `lifecycle` group. */
export function registerLifecycleTests(holder: ContextHolder): void {
  // ── reserved names and input validation: every adapter ───────────────────────────────────────

  test('given stream ids or event types starting with "$", when a user appends them, then VALIDATION_ERROR names the field and nothing is written', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('reserved');
    await ctx.append(inst.id, [{ eventType: 'a' }]);
    const before = await snapshot(ctx, inst.id);
    const log = loose(ctx.log);
    expectFailure(
      await log.appendEvent({ instanceId: inst.id, streamId: '$system', eventType: 'x' }),
      'VALIDATION_ERROR',
      ['streamId', 'reserved'],
    );
    expectFailure(
      await log.appendEvent({ instanceId: inst.id, stream_id: '$mine', eventType: 'x' }),
      'VALIDATION_ERROR',
      ['reserved'],
    );
    expectFailure(
      await log.appendEvent({ instanceId: inst.id, eventType: '$stream.deleted' }),
      'VALIDATION_ERROR',
      ['eventType', 'reserved'],
    );
    expectFailure(
      await log.appendEvents({ instanceId: inst.id, events: [{ eventType: 'ok' }, { event_type: '$x' }] }),
      'VALIDATION_ERROR',
      ['events[1].eventType', 'reserved'],
    );
    expectFailure(
      await log.appendEvents({ instanceId: inst.id, streamId: '$default', events: [{ eventType: 'ok' }] }),
      'VALIDATION_ERROR',
      ['reserved'],
    );
    expect(await snapshot(ctx, inst.id)).toEqual(before);
    // Names with a "$" elsewhere are ordinary, and reading the $system stream is allowed.
    expectOk(await ctx.log.appendEvent({ instanceId: inst.id, streamId: 'a$b', eventType: 'price.$usd' }));
    expectOk(await ctx.log.queryEvents({ from: { instance: inst.id, stream: SYSTEM_STREAM } }));
  });

  test('given bad lifecycle params, when called, then VALIDATION_ERROR names the param and nothing changes (before any capability check)', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('lifecycle-bad');
    await ctx.append(inst.id, [{ eventType: 'a' }], 's1');
    const before = await snapshot(ctx, inst.id);
    const log = loose(ctx.log);
    const id = inst.id;
    const cases: Array<[Promise<unknown>, string[]]> = [
      [log.deleteStream({ instanceId: id }), ['streamId', 'required']],
      [log.deleteStream({ instanceId: id, streamId: SYSTEM_STREAM }), ['streamId', 'reserved']],
      [log.deleteStream({ instanceId: id, streamId: 's1', expectedVersion: -1 }), ['expectedVersion']],
      [log.deleteStream({ instanceId: id, streamId: 's1', force: true }), ['force', 'allowed keys']],
      [log.deleteStream({ instanceId: '', streamId: 's1' }), ['instanceId']],
      [log.deleteStream('s1'), ['deleteStream params']],
      [log.truncateStream({ instanceId: id, streamId: 's1' }), ['before']],
      [log.truncateStream({ instanceId: id, streamId: 's1', before: 0 }), ['before', 'integer from 1']],
      [log.truncateStream({ instanceId: id, streamId: 's1', before: 1.5 }), ['before']],
      [log.truncateStream({ instanceId: id, streamId: '$system', before: 2 }), ['reserved']],
      [log.setRetention({ instanceId: id }), ['no rule']],
      [log.setRetention({ instanceId: id, maxAgeMs: 0 }), ['maxAgeMs', 'integer from 1']],
      [log.setRetention({ instanceId: id, maxAgeMs: -5 }), ['maxAgeMs']],
      [log.setRetention({ instanceId: id, maxAgeMs: '1d' }), ['maxAgeMs']],
      [log.setRetention({ instanceId: id, maxAgeMs: Number.NaN }), ['maxAgeMs']],
      [log.setRetention({ instanceId: id, maxEventsPerStream: 2 ** 60 }), ['maxEventsPerStream']],
      [log.setRetention({ instanceId: id, maxEventsPerStream: 0 }), ['maxEventsPerStream']],
      [log.setRetention({ instanceId: id, maxAge: 5 }), ['maxAge', 'allowed keys']],
      [log.pruneExpired({ instanceId: 5 }), ['instanceId']],
      [log.pruneExpired({ all: true }), ['all']],
      [log.forgetSubject(''), ['subjectId']],
      [log.forgetSubject({ subject: 'x' }), ['subject']],
    ];
    for (const [call, mentions] of cases) expectFailure((await call) as never, 'VALIDATION_ERROR', mentions);
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  test('given an adapter without capabilities.lifecycle, when a lifecycle method is called, then STORAGE_ERROR says so and nothing changes', async (t) => {
    const ctx = useContext(holder);
    if (hasCapability(ctx.adapter, 'lifecycle')) {
      t.skip(
        `adapter "${ctx.options.name}" declares capabilities.lifecycle; the refusal applies only to adapters without it`,
      );
    }
    const inst = await ctx.newInstance('no-lifecycle');
    await ctx.append(inst.id, [{ eventType: 'a' }], 's1');
    const before = await snapshot(ctx, inst.id);
    const calls: Array<Promise<Envelope<string, unknown>>> = [
      ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1' }),
      ctx.log.truncateStream({ instanceId: inst.id, streamId: 's1', before: 2 }),
      ctx.log.setRetention({ instanceId: inst.id, maxAgeMs: 1000 }),
      ctx.log.pruneExpired({ instanceId: inst.id }),
    ];
    for (const call of calls) expectFailure(await call, 'STORAGE_ERROR', ['lifecycle']);
    expect(await snapshot(ctx, inst.id)).toEqual(before);
  });

  // ── erasure of personal data: every adapter (it needs the key-value store and appends) ──────

  test('given personal fields, then the adapter stores only ciphertext, reads decrypt, and after forgetSubject every read returns "[erased]"', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('erasure');
    const subject = ctx.uniqueName('subject');
    const email = `${ctx.uniqueName('ada')}@example.com`;
    await ctx.append(inst.id, [
      {
        streamId: 'customer-1',
        eventType: 'Registered',
        payload: { email, address: { city: 'London' }, plan: 'pro' },
        metadata: { subject, personal: ['payload.email', 'payload.address.city'] },
      },
    ]);
    const raw = JSON.stringify(await ctx.adapter.readAfter({ instanceId: inst.id, after: 0, limit: 10 }));
    expect(raw).not.toContain(email);
    expect(raw).not.toContain('London');
    const [clear] = await ctx.readAll(inst.id);
    expect(clear?.payload).toEqual({ email, address: { city: 'London' }, plan: 'pro' });
    // The start of a fold (aggregateStream, handleCommand) decrypts too.
    const loaded = await ctx.log.store.loadStream({ instance: inst.id, streamId: 'customer-1', limit: 10 });
    expect(loaded.events[0]?.payload).toEqual({ email, address: { city: 'London' }, plan: 'pro' });
    expectFailure(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: 'payload.email', operator: 'eq', value: email }],
      }),
      'VALIDATION_ERROR',
      ['personal data'],
    );
    const forgotten = expectOk(await ctx.log.forgetSubject(subject));
    expect(forgotten).toEqual({ subjectId: subject, forgotten: true, recordedIn: [inst.id] });
    const after = await ctx.readAll(inst.id);
    expect(after.map((e) => [e.event_type, e.payload])).toEqual([
      ['Registered', { email: '[erased]', address: { city: '[erased]' }, plan: 'pro' }],
      ['$subject.forgotten', { subjectId: subject }],
    ]);
    const page = await ctx.log.store.readAfter({ instance: inst.id, after: 0 });
    expect(page[0]?.payload.email).toBe('[erased]');
    const erased = await ctx.log.store.loadStream({ instance: inst.name, streamId: 'customer-1', limit: 10 });
    expect(erased.events[0]?.payload).toEqual({
      email: '[erased]',
      address: { city: '[erased]' },
      plan: 'pro',
    });
  });

  // ── deleteStream ──────────────────────────────────────────────────────────────────────────────

  test('given a stream, when deleted, then its events are gone, a $stream.deleted event records it in the same commit, and other streams are untouched', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete');
    const first = await ctx.append(
      inst.id,
      [{ eventType: 'a' }, { eventType: 'b' }, { eventType: 'a' }],
      'order-1',
    );
    await ctx.append(inst.id, [{ eventType: 'c' }, { eventType: 'c' }], 'order-2');
    const head = await ctx.log.store.headPosition(inst.id);

    const deleted = expectOk(await ctx.log.deleteStream({ instanceId: inst.name, streamId: 'order-1' }));
    expect(deleted).toEqual({ streamId: 'order-1', deletedEvents: 3, version: 3 });

    const events = await ctx.readAll(inst.id);
    expect(summary(events)).toEqual(['order-2#1', 'order-2#2', `${SYSTEM_STREAM}#1`]);
    const record = events[2] as EventRecord;
    expect(record).toMatchObject({
      instanceId: inst.id,
      stream_id: SYSTEM_STREAM,
      event_type: STREAM_DELETED,
      payload: { streamId: 'order-1', deletedEvents: 3 },
      sequence_number: 1,
    });
    expect(record.payload).toEqual({ streamId: 'order-1', deletedEvents: 3 });
    expect(record.global_position).toBeGreaterThan(head);
    expect(await ctx.log.store.headPosition(inst.id)).toBe(record.global_position);
    expect(await all(ctx.log, inst.id, 'order-1')).toEqual([]);
    for (const gone of first) {
      const { result } = expectOk(
        await ctx.log.queryEvents({
          from: { instance: inst.id },
          where: [{ field: 'id', operator: 'eq', value: gone.id }],
        }),
      );
      expect(result.total).toBe(0);
    }
    const stats = await ctx.stats(inst.id);
    expect(stats).toMatchObject({ eventCount: 3, streamCount: 2, eventTypes: { c: 2, [STREAM_DELETED]: 1 } });
  });

  test('given a deleted stream, when written again, then its sequence continues after its version and positions are never reused', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete-continue');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'a' }], 's1');
    const deleted = expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1' }));
    const positionsBefore = (await ctx.readAll(inst.id)).map((e) => e.global_position);
    const highest = Math.max(...positionsBefore);

    expectFailure(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's1',
        eventType: 'a',
        expectedVersion: 'no_stream',
      }),
      'CONFLICT',
    );
    const again = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's1',
        eventType: 'a',
        expectedVersion: deleted.version,
      }),
    ).event;
    expect(again.sequence_number).toBe(3);
    expect(again.global_position).toBeGreaterThan(highest);
    const second = expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1' }));
    expect(second).toEqual({ streamId: 's1', deletedEvents: 1, version: 3 });
    const records = (await all(ctx.log, inst.id, SYSTEM_STREAM)).map((e) => [e.sequence_number, e.payload]);
    expect(records).toEqual([
      [1, { streamId: 's1', deletedEvents: 2 }],
      [2, { streamId: 's1', deletedEvents: 1 }],
    ]);
    // Positions only grow, across deletes, records and appends.
    const positions = (await ctx.readAll(inst.id)).map((e) => e.global_position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(new Set(positions).size).toBe(positions.length);
  });

  test('given expectedVersion on deleteStream, then a mismatch is a CONFLICT that removes and records nothing; a match deletes', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete-expected');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'a' }], 's1');
    const before = await snapshot(ctx, inst.id);
    const conflict = expectFailure(
      await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1', expectedVersion: 1 }),
      'CONFLICT',
    );
    expect(conflict.details).toEqual({ streamId: 's1', expectedVersion: 1, actualVersion: 2 });
    expectFailure(
      await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1', expectedVersion: 'no_stream' }),
      'CONFLICT',
    );
    expectFailure(
      await ctx.log.deleteStream({
        instanceId: inst.id,
        streamId: 'never-written',
        expectedVersion: 'stream_exists',
      }),
      'CONFLICT',
    );
    expect(await snapshot(ctx, inst.id)).toEqual(before);
    expect(
      expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1', expectedVersion: 2 })),
    ).toEqual({
      streamId: 's1',
      deletedEvents: 2,
      version: 2,
    });
    // After a delete the version stays: 'stream_exists' still holds, and the version is still 2.
    expectOk(
      await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1', expectedVersion: 'stream_exists' }),
    );
    expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1', expectedVersion: 2 }));
  });

  test('given a stream that has no events, when deleted, then it succeeds with 0 deleted events and is still recorded', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete-empty');
    expect(
      expectOk(
        await ctx.log.deleteStream({ instanceId: inst.id, streamId: 'ghost', expectedVersion: 'no_stream' }),
      ),
    ).toEqual({
      streamId: 'ghost',
      deletedEvents: 0,
      version: 0,
    });
    expect((await ctx.readAll(inst.id)).map((e) => [e.event_type, e.payload])).toEqual([
      [STREAM_DELETED, { streamId: 'ghost', deletedEvents: 0 }],
    ]);
  });

  test('given a missing instance, when deleting or truncating a stream, then NOT_FOUND; by name it works', async (t) => {
    const ctx = lifecycle(holder, t);
    expectFailure(
      await ctx.log.deleteStream({ instanceId: ctx.uniqueName('none'), streamId: 's' }),
      'NOT_FOUND',
    );
    expectFailure(
      await ctx.log.truncateStream({ instanceId: ctx.uniqueName('none'), streamId: 's', before: 2 }),
      'NOT_FOUND',
    );
    expectFailure(
      await ctx.log.setRetention({ instanceId: ctx.uniqueName('none'), maxAgeMs: 5 }),
      'NOT_FOUND',
    );
    expectFailure(await ctx.log.pruneExpired({ instanceId: ctx.uniqueName('none') }), 'NOT_FOUND');
  });

  test('given the same stream id in two instances, when one is deleted, then the other instance keeps its events', async (t) => {
    const ctx = lifecycle(holder, t);
    const a = await ctx.newInstance('delete-iso-a');
    const b = await ctx.newInstance('delete-iso-b');
    await ctx.append(a.id, [{ eventType: 'x' }], 'shared');
    await ctx.append(b.id, [{ eventType: 'x' }, { eventType: 'y' }], 'shared');
    expectOk(await ctx.log.deleteStream({ instanceId: a.id, streamId: 'shared' }));
    expect(summary(await ctx.readAll(b.id))).toEqual(['shared#1', 'shared#2']);
  });

  test('given tagged events with eventIds, when their stream is deleted, then tags, conditions and eventIds no longer find them', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete-tags');
    const [tagged] = await ctx.append(
      inst.id,
      [{ eventType: 'Subscribed', tags: ['course:c1'], eventId: 'sub-1' }],
      's1',
    );
    expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1' }));
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }],
      }),
    );
    expect(result.total).toBe(0);
    // The deleted event no longer makes a condition fail…
    expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'probe',
        eventType: 'probe',
        condition: { failIfEventsMatch: [{ types: ['Subscribed'], tags: ['course:c1'] }] },
      }),
    );
    // …and its eventId is free again: appending it stores a new event.
    const again = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's1',
        eventType: 'Subscribed',
        eventId: 'sub-1',
      }),
    );
    expect(again.duplicate).toBeUndefined();
    expect(again.event.id).not.toBe(tagged?.id);
    expect(again.event.sequence_number).toBe(2);
  });

  test('given a watcher, when a stream is deleted, then it is signalled like an append', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('delete-signal');
    await ctx.append(inst.id, [{ eventType: 'a' }], 's1');
    const signalled = new Promise<void>((resolve) => {
      const stop = ctx.log.store.watch((signal) => {
        if (signal.instanceId === inst.id || signal.instanceId === null) {
          stop();
          resolve();
        }
      });
    });
    expectOk(await ctx.log.deleteStream({ instanceId: inst.id, streamId: 's1' }));
    await expect(
      Promise.race([
        signalled,
        new Promise((_, reject) => setTimeout(() => reject(new Error('no signal')), ctx.signalTimeoutMs)),
      ]),
    ).resolves.toBeUndefined();
  });

  // ── truncateStream ────────────────────────────────────────────────────────────────────────────

  test('given a stream, when truncated before a sequence number, then the earlier events are gone, the rest keep their numbers, and $stream.truncated records it', async (t) => {
    const ctx = lifecycle(holder, t);
    const inst = await ctx.newInstance('truncate');
    await ctx.append(
      inst.id,
      [1, 2, 3, 4, 5].map((n) => ({ eventType: 'n', payload: { n } })),
      's1',
    );
    await ctx.append(inst.id, [{ eventType: 'other' }], 's2');
    expect(
      expectOk(await ctx.log.truncateStream({ instanceId: inst.id, streamId: 's1', before: 3 })),
    ).toEqual({
      streamId: 's1',
      deletedEvents: 2,
    });
    expect(summary(await all(ctx.log, inst.id, 's1'))).toEqual(['s1#3', 's1#4', 's1#5']);
    const [record] = await all(ctx.log, inst.id, SYSTEM_STREAM);
    expect(record).toMatchObject({
      event_type: STREAM_TRUNCATED,
      payload: { streamId: 's1', before: 3, deletedEvents: 2 },
    });
    expect(record?.payload).toEqual({ streamId: 's1', before: 3, deletedEvents: 2 });
    // Truncating before 1 removes nothing; beyond the version removes the rest.
    expect(
      expectOk(await ctx.log.truncateStream({ instanceId: inst.id, streamId: 's1', before: 1 }))
        .deletedEvents,
    ).toBe(0);
    expect(
      expectOk(await ctx.log.truncateStream({ instanceId: inst.id, streamId: 's1', before: 100 }))
        .deletedEvents,
    ).toBe(3);
    expect(await all(ctx.log, inst.id, 's1')).toEqual([]);
    const next = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: 's1', eventType: 'n', expectedVersion: 5 }),
    );
    expect(next.event.sequence_number).toBe(6);
    expect(await ctx.stats(inst.id)).toMatchObject({
      eventCount: 5,
      eventTypes: { n: 1, other: 1, [STREAM_TRUNCATED]: 3 },
    });
  });

  // ── retention ─────────────────────────────────────────────────────────────────────────────────

  test('given setRetention, then the instance shows its rules; a field left out keeps its rule, null removes it, and updatedAt moves', async (t) => {
    const ctx = lifecycle(holder, t);
    const { log, clock } = clocked(ctx);
    const inst = await ctx.newInstance('retention-rules');
    clock.ms = T0 + 1000;
    const set = expectOk(await log.setRetention({ instanceId: inst.name, maxAgeMs: 86_400_000 })).instance;
    expect(set).toMatchObject({
      id: inst.id,
      retention: { maxAgeMs: 86_400_000 },
      updatedAt: iso(T0 + 1000),
    });
    const both = expectOk(await log.setRetention({ instanceId: inst.id, maxEventsPerStream: 10 })).instance;
    expect(both.retention).toEqual({ maxAgeMs: 86_400_000, maxEventsPerStream: 10 });
    expect(expectOk(await log.getInstance(inst.id)).instance.retention).toEqual({
      maxAgeMs: 86_400_000,
      maxEventsPerStream: 10,
    });
    const listed = expectOk(await log.listInstances()).instances.find((i) => i.id === inst.id);
    expect(listed?.retention).toEqual({ maxAgeMs: 86_400_000, maxEventsPerStream: 10 });
    const one = expectOk(await log.setRetention({ instanceId: inst.id, maxAgeMs: null })).instance;
    expect(one.retention).toEqual({ maxEventsPerStream: 10 });
    const none = expectOk(await log.setRetention({ instanceId: inst.id, maxEventsPerStream: null })).instance;
    expect('retention' in none).toBe(false);
    // A rename keeps the rules.
    expectOk(await log.setRetention({ instanceId: inst.id, maxAgeMs: Number.MAX_SAFE_INTEGER }));
    const renamed = expectOk(await log.updateInstance(inst.id, { name: ctx.uniqueName('renamed') })).instance;
    expect(renamed.retention).toEqual({ maxAgeMs: Number.MAX_SAFE_INTEGER });
  });

  test('given maxAgeMs, then events more than maxAgeMs old are invisible to queries, reads and stats from that millisecond on', async (t) => {
    const ctx = lifecycle(holder, t);
    const { log, clock } = clocked(ctx);
    const inst = await ctx.newInstance('retention-age');
    const ages = [10_000, 6_001, 6_000, 5_999, 0];
    await ctx.append(
      inst.id,
      ages.map((age) => ({
        eventType: age === 0 ? 'fresh' : 'old',
        payload: { age },
        timestamp: iso(T0 - age),
      })),
      's1',
    );
    expectOk(await log.setRetention({ instanceId: inst.id, maxAgeMs: 6_000 }));
    const ages$ = async () => (await all(log, inst.id)).map((e) => (e.payload as { age: number }).age);
    expect(await ages$()).toEqual([6_000, 5_999, 0]);
    const page = await log.store.readAfter({ instance: inst.id, after: 0 });
    expect(page.map((e) => (e.payload as { age: number }).age)).toEqual([6_000, 5_999, 0]);
    expect(expectOk(await log.getInstanceStats(inst.id))).toMatchObject({
      eventCount: 3,
      eventTypes: { old: 2, fresh: 1 },
      firstEventAt: iso(T0 - 6_000),
      lastEventAt: iso(T0),
    });
    const { result } = expectOk(
      await log.queryEvents({ from: { instance: inst.id }, reduce: { type: 'count' } }),
    );
    expect(result.aggregation?.value).toBe(3);
    clock.ms = T0 + 1;
    expect(await ages$()).toEqual([5_999, 0]);
    clock.ms = T0 + 6_001;
    expect(await ages$()).toEqual([]);
    expect(expectOk(await log.getInstanceStats(inst.id))).toMatchObject({
      eventCount: 0,
      streamCount: 0,
      eventTypes: {},
      firstEventAt: null,
      lastEventAt: null,
    });
    // The same adapter read without a moment in the past still sees them: nothing was removed.
    clock.ms = T0 - 20_000;
    expect((await ages$()).length).toBe(5);
  });

  test('given maxEventsPerStream, then each stream keeps its last N sequence numbers, counted from its version', async (t) => {
    const ctx = lifecycle(holder, t);
    const { log } = clocked(ctx);
    const inst = await ctx.newInstance('retention-count');
    await ctx.append(
      inst.id,
      [1, 2, 3, 4, 5].map((n) => ({ eventType: 'n', payload: { n } })),
      'long',
    );
    await ctx.append(inst.id, [{ eventType: 'n' }, { eventType: 'n' }], 'short');
    expectOk(await log.setRetention({ instanceId: inst.id, maxEventsPerStream: 3 }));
    expect(summary(await all(log, inst.id))).toEqual(['long#3', 'long#4', 'long#5', 'short#1', 'short#2']);
    expect(summary(await all(log, inst.id, 'long'))).toEqual(['long#3', 'long#4', 'long#5']);
    const page = await log.store.readAfter({ instance: inst.id, after: 0, stream: 'long', limit: 2 });
    expect(summary(page)).toEqual(['long#3', 'long#4']);
    const { result } = expectOk(
      await log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: 'payload.n', operator: 'lte', value: 4 }],
      }),
    );
    expect(summary((result.events ?? []) as EventRecord[])).toEqual(['long#3', 'long#4']);
    expect(result.total).toBe(2);
    // The version, not what remains, counts: truncate, then one more append expires one more.
    expectOk(await log.truncateStream({ instanceId: inst.id, streamId: 'long', before: 5 }));
    expectOk(await log.setRetention({ instanceId: inst.id, maxEventsPerStream: 1 }));
    expect(summary(await all(log, inst.id, 'long'))).toEqual(['long#5']);
    await ctx.append(inst.id, [{ eventType: 'n' }], 'long');
    expect(summary(await all(log, inst.id, 'long'))).toEqual(['long#6']);
    // A batch longer than the rule is partly expired the moment it commits.
    await ctx.append(inst.id, [{ eventType: 'n' }, { eventType: 'n' }, { eventType: 'n' }], 'burst');
    expect(summary(await all(log, inst.id, 'burst'))).toEqual(['burst#3']);
  });

  test('given expired events, when pruned in small batches, then they are physically removed, nothing visible changes, and other instances are untouched', async (t) => {
    const ctx = lifecycle(holder, t);
    const clock = { ms: T0 };
    const log = createEventLog({
      adapter: ctx.adapter,
      limits: ctx.options.limits,
      now: () => clock.ms,
      pruneBatchSize: 2,
    });
    const a = await ctx.newInstance('prune-a');
    const b = await ctx.newInstance('prune-b');
    const events = Array.from({ length: 9 }, (_, i) => ({
      eventType: 'e',
      payload: { i },
      timestamp: iso(T0 - (9 - i) * 1000),
    }));
    const stored = await ctx.append(a.id, events, 's');
    await ctx.append(b.id, events, 's');
    const retention: Retention = { maxAgeMs: 4_500 };
    expectOk(await log.setRetention({ instanceId: a.id, ...retention }));
    expectOk(await log.setRetention({ instanceId: b.id, ...retention }));
    const visible = visibleEvents(stored, retention, iso(T0));
    expect(visible.length).toBe(4);
    const before = await all(log, a.id);
    expect(expectOk(await log.pruneExpired({ instanceId: a.name }))).toEqual({ deletedEvents: 5 });
    expect(await all(log, a.id)).toEqual(before);
    expect(expectOk(await log.pruneExpired({ instanceId: a.id }))).toEqual({ deletedEvents: 0 });
    // Without rules, what was pruned stays gone; b, not pruned, shows everything again.
    expectOk(await log.setRetention({ instanceId: a.id, maxAgeMs: null }));
    expectOk(await log.setRetention({ instanceId: b.id, maxAgeMs: null }));
    expect((await all(log, a.id)).map((e) => e.id)).toEqual(visible.map((e) => e.id));
    expect((await all(log, b.id)).length).toBe(9);
    // Pruning every instance reaches b.
    expectOk(await log.setRetention({ instanceId: b.id, maxEventsPerStream: 2 }));
    const everything = expectOk(await log.pruneExpired());
    expect(everything.deletedEvents).toBeGreaterThanOrEqual(7);
    expectOk(await log.setRetention({ instanceId: b.id, maxEventsPerStream: null }));
    expect(summary(await all(log, b.id))).toEqual(['s#8', 's#9']);
    // The stream's version survives pruning: the next event is #10.
    const next = expectOk(
      await log.appendEvent({ instanceId: b.id, streamId: 's', eventType: 'e', expectedVersion: 9 }),
    );
    expect(next.event.sequence_number).toBe(10);
  });

  test('given a stream emptied by pruning, then statistics count only the streams holding events, and the stream counts again once written to', async (t) => {
    const ctx = lifecycle(holder, t);
    const { log } = clocked(ctx);
    const inst = await ctx.newInstance('prune-streams');
    const at = (age: number) => ({ eventType: 'e', timestamp: iso(T0 - age) });
    await ctx.append(inst.id, [at(9_000), at(8_000)], 'old');
    await ctx.append(inst.id, [at(9_000), at(0)], 'mixed');
    await ctx.append(inst.id, [at(0)], 'fresh');
    expect(expectOk(await log.getInstanceStats(inst.id))).toMatchObject({ eventCount: 5, streamCount: 3 });
    expectOk(await log.setRetention({ instanceId: inst.id, maxAgeMs: 4_500 }));
    expect(expectOk(await log.pruneExpired({ instanceId: inst.id }))).toEqual({ deletedEvents: 3 });
    // Without rules, statistics read what the writes kept: "old" holds nothing any more.
    expectOk(await log.setRetention({ instanceId: inst.id, maxAgeMs: null }));
    expect(expectOk(await log.getInstanceStats(inst.id))).toMatchObject({ eventCount: 2, streamCount: 2 });
    const next = expectOk(await log.appendEvent({ instanceId: inst.id, streamId: 'old', eventType: 'e' }));
    expect(next.event.sequence_number).toBe(3);
    expect(expectOk(await log.getInstanceStats(inst.id))).toMatchObject({ eventCount: 3, streamCount: 3 });
  });

  test('given generated events, rules and moments, then queries, reads and stats agree with the core evaluator over the visible events, and pruning changes nothing visible', async (t) => {
    const ctx = lifecycle(holder, t);
    const { log, clock } = clocked(ctx);
    const report = await runRetentionDifferential(
      log,
      clock,
      ctx.options.differential?.seed === undefined ? {} : { seed: ctx.options.differential.seed },
    );
    expect(report.queries).toBeGreaterThanOrEqual(100);
    expect(report.expired, 'generated rules must expire some events').toBeGreaterThan(0);
    expect(report.visible, 'and leave some visible').toBeGreaterThan(0);
    expect(report.pruned).toBeGreaterThan(0);
  }, 600_000);
}
