import { describe, expect, it } from 'vitest';
import type { AppendRequest } from './adapter.js';
import { createEventLog } from './envelope-log.js';
import { EventLogError } from './errors.js';
import { fakeAdapter, ISO, setup } from './test/fake-adapter.js';

describe('createEventLog — instances', () => {
  it('given a name and description, when createInstance, then a success envelope with the new instance', async () => {
    const { log, fake } = setup();
    const res = await log.createInstance('user-activity', 'Logs user actions');
    expect(res).toEqual({
      type: 'eventLog.createInstance',
      success: true,
      data: {
        instance: {
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          name: 'user-activity',
          description: 'Logs user actions',
          createdAt: '2024-01-19T10:00:00.000Z',
          updatedAt: '2024-01-19T10:00:00.000Z',
        },
      },
      timestamp: '2024-01-19T10:00:00.000Z',
      requestId: 'req-1',
    });
    expect(fake.calls[0]?.args[0]).not.toHaveProperty('description', undefined);
  });

  it('given a taken name, when createInstance, then ALREADY_EXISTS with "exists" in error', async () => {
    const { log } = setup();
    await log.createInstance('dup');
    const res = await log.createInstance('dup');
    expect(res).toMatchObject({ type: 'eventLog.createInstance', success: false, code: 'ALREADY_EXISTS' });
    expect(!res.success && res.error).toContain('exists');
  });

  it('given a bad name, when createInstance, then VALIDATION_ERROR and the adapter is not called', async () => {
    const { log, fake } = setup();
    const res = await log.createInstance('');
    expect(res).toMatchObject({ success: false, code: 'VALIDATION_ERROR', requestId: 'req-1' });
    expect(!res.success && res.error).toMatch(/^name: must not be empty/);
    expect(!res.success && res.details).toEqual({ issues: [{ path: 'name', message: expect.any(String) }] });
    expect(fake.calls).toEqual([]);
  });

  it('given an instance, when getInstance by id or by name, then it is found; otherwise NOT_FOUND', async () => {
    const { log } = setup();
    const created = await log.createInstance('audit-log');
    if (!created.success) throw new Error('setup');
    const byId = await log.getInstance(created.data.instance.id);
    const byName = await log.getInstance('audit-log');
    expect(byId).toMatchObject({ success: true, data: { instance: created.data.instance } });
    expect(byName).toMatchObject({ success: true, data: { instance: created.data.instance } });
    const missing = await log.getInstance('nope');
    expect(missing).toMatchObject({ type: 'eventLog.getInstance', success: false, code: 'NOT_FOUND' });
    expect(!missing.success && missing.error).toContain('"nope"');
  });

  it('given instances, when listInstances, then data.instances lists them', async () => {
    const { log } = setup();
    await log.createInstance('a');
    await log.createInstance('b');
    const res = await log.listInstances();
    expect(res.success && res.data.instances.map((i) => i.name)).toEqual(['a', 'b']);
  });

  it('given a rename by name, when updateInstance, then the adapter gets the id and updatedAt from the clock', async () => {
    const { log, fake, tick } = setup();
    const created = await log.createInstance('old', 'd');
    if (!created.success) throw new Error('setup');
    tick(5000);
    const res = await log.updateInstance('old', { name: 'new', description: null });
    expect(res).toMatchObject({
      success: true,
      data: {
        instance: { id: created.data.instance.id, name: 'new', updatedAt: '2024-01-19T10:00:05.000Z' },
      },
    });
    expect(res.success && 'description' in res.data.instance).toBe(false);
    expect(fake.calls.find((c) => c.method === 'updateInstance')?.args).toEqual([
      created.data.instance.id,
      { name: 'new', description: null, updatedAt: '2024-01-19T10:00:05.000Z' },
    ]);
  });

  it('given bad updates, when updateInstance, then VALIDATION_ERROR before any lookup', async () => {
    const { log, fake } = setup();
    expect(await log.updateInstance('x', {})).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(await log.updateInstance('x', { name: 5 } as never)).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(fake.calls).toEqual([]);
    expect(await log.updateInstance('x', { name: 'y' })).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('given an instance with events, when deleteInstance, then data has the instance and deletedEvents', async () => {
    const { log } = setup();
    await log.createInstance('gone');
    await log.appendEvents({ instanceId: 'gone', events: [{ eventType: 'a' }, { eventType: 'b' }] });
    const res = await log.deleteInstance('gone');
    expect(res).toMatchObject({
      type: 'eventLog.deleteInstance',
      success: true,
      data: { instance: { name: 'gone' }, deletedEvents: 2 },
    });
    expect(await log.deleteInstance('gone')).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it('given an instance, when getInstanceStats, then stats fields are at the top level of data', async () => {
    const { log } = setup();
    await log.createInstance('s');
    const res = await log.getInstanceStats('s');
    expect(res).toMatchObject({
      type: 'eventLog.getInstanceStats',
      success: true,
      data: { name: 's', eventCount: 0, firstEventAt: null },
    });
    expect(await log.getInstanceStats('missing')).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('createEventLog — appends', () => {
  it('given an event, when appendEvent, then data.event is the stored record and the adapter got a normalized request', async () => {
    const { log, fake } = setup();
    await log.createInstance('audit-log');
    const res = await log.appendEvent({
      instanceId: 'audit-log',
      streamId: 'data-changes',
      eventType: 'record_updated',
      payload: { table: 'users' },
    });
    expect(res).toMatchObject({
      type: 'eventLog.appendEvent',
      success: true,
      data: {
        event: {
          stream_id: 'data-changes',
          event_type: 'record_updated',
          payload: { table: 'users' },
          metadata: {},
          timestamp: '2024-01-19T10:00:00.000Z',
          sequence_number: 1,
          global_position: 1,
        },
      },
    });
    expect(res.success && 'duplicate' in res.data).toBe(false);
    const request = fake.calls.find((c) => c.method === 'append')?.args[0] as AppendRequest;
    expect(request).toMatchObject({
      instance: 'audit-log',
      autoCreate: false,
      now: '2024-01-19T10:00:00.000Z',
    });
    expect(fake.methods()).not.toContain('resolveInstance');
  });

  it('given a missing instance, when appendEvent without and with autoCreateInstance, then NOT_FOUND, then created', async () => {
    const { log } = setup();
    const missing = await log.appendEvent({ instanceId: 'auto', eventType: 'x' });
    expect(missing).toMatchObject({ success: false, code: 'NOT_FOUND' });
    const created = await log.appendEvent({ instanceId: 'auto', eventType: 'x', autoCreateInstance: true });
    expect(created).toMatchObject({ success: true, data: { event: { instanceId: 'auto' } } });
  });

  it('given a stored eventId, when appended again, then the stored event comes back with duplicate: true', async () => {
    const { log } = setup();
    await log.createInstance('i');
    const first = await log.appendEvent({
      instanceId: 'i',
      eventType: 'x',
      eventId: 'e1',
      payload: { v: 1 },
    });
    const again = await log.appendEvent({
      instanceId: 'i',
      eventType: 'x',
      eventId: 'e1',
      payload: { v: 2 },
    });
    expect(again).toMatchObject({ success: true, data: { duplicate: true } });
    expect(again.success && first.success && again.data.event).toEqual(first.success && first.data.event);
  });

  it('given a wrong expectedVersion, when appendEvent, then CONFLICT with details', async () => {
    const { log } = setup();
    await log.createInstance('i');
    await log.appendEvent({ instanceId: 'i', streamId: 's', eventType: 'x' });
    const res = await log.appendEvent({ instanceId: 'i', streamId: 's', eventType: 'x', expectedVersion: 0 });
    expect(res).toMatchObject({
      success: false,
      code: 'CONFLICT',
      details: { streamId: 's', expectedVersion: 0, actualVersion: 1 },
    });
  });

  it('given a batch, when appendEvents, then data has events and count; a replay is a duplicate', async () => {
    const { log } = setup();
    await log.createInstance('i');
    const params = {
      instanceId: 'i',
      streamId: 's',
      events: [
        { eventType: 'a', eventId: '1' },
        { eventType: 'b', eventId: '2' },
      ],
    };
    const res = await log.appendEvents(params);
    expect(res).toMatchObject({ type: 'eventLog.appendEvents', success: true, data: { count: 2 } });
    expect(res.success && res.data.events.map((e) => e.sequence_number)).toEqual([1, 2]);
    expect(res.success && 'duplicate' in res.data).toBe(false);
    expect(await log.appendEvents(params)).toMatchObject({
      success: true,
      data: { count: 2, duplicate: true },
    });
  });

  it('given a batch over the limits, when appendEvents, then LIMIT_EXCEEDED and nothing reaches the adapter', async () => {
    const { log, fake } = setup({ limits: { maxBatchEvents: 2 } });
    const res = await log.appendEvents({
      instanceId: 'i',
      events: [{ eventType: 'a' }, { eventType: 'a' }, { eventType: 'a' }],
    });
    expect(res).toMatchObject({
      success: false,
      code: 'LIMIT_EXCEEDED',
      details: { limit: 'maxBatchEvents' },
    });
    expect(fake.calls).toEqual([]);
  });
});

describe('createEventLog — queries', () => {
  it('given a query naming the instance, when queryEvents, then the adapter gets the resolved id, the AST and the limits', async () => {
    const { log, fake } = setup();
    const created = await log.createInstance('q');
    if (!created.success) throw new Error('setup');
    await log.appendEvent({ instanceId: 'q', eventType: 'login' });
    const res = await log.queryEvents({
      from: { instance: 'q' },
      where: [{ field: 'eventType', operator: 'eq', value: 'login' }],
      limit: 10,
    });
    expect(res).toMatchObject({
      type: 'eventLog.queryEvents',
      success: true,
      data: { result: { total: 1, limit: 10, offset: 0 } },
    });
    const call = fake.calls.find((c) => c.method === 'query');
    expect(call?.args[0]).toBe(created.data.instance.id);
    expect(call?.args[1]).toMatchObject({ kind: 'query', instance: 'q', limit: 10 });
    expect(call?.args[2]).toMatchObject({ maxQueryLimit: 10_000 });
  });

  it('given an invalid query, when queryEvents, then VALIDATION_ERROR before storage is touched', async () => {
    const { log, fake } = setup();
    const res = await log.queryEvents({
      from: { instance: 'q' },
      where: [{ field: 'payload..x', operator: 'eq', value: 1 }],
    });
    expect(res).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(!res.success && res.error).toMatch(/^where\[0\]\.field: /);
    expect(fake.calls).toEqual([]);
  });

  it('given a limit above the maximum, when queryEvents, then LIMIT_EXCEEDED', async () => {
    const { log } = setup();
    expect(await log.queryEvents({ from: { instance: 'q' }, limit: 10_001 })).toMatchObject({
      code: 'LIMIT_EXCEEDED',
    });
  });

  it('given a missing instance, when queryEvents, then NOT_FOUND', async () => {
    const { log } = setup();
    expect(await log.queryEvents({ from: { instance: 'none' } })).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('createEventLog — never rejects', () => {
  const cases: Array<[string, (log: ReturnType<typeof setup>['log']) => Promise<unknown>, string]> = [
    [
      'createInstance()',
      (log) => (log.createInstance as (...a: unknown[]) => Promise<unknown>)(),
      'VALIDATION_ERROR',
    ],
    ['createInstance(object)', (log) => log.createInstance({} as never), 'VALIDATION_ERROR'],
    [
      'getInstance()',
      (log) => (log.getInstance as (...a: unknown[]) => Promise<unknown>)(),
      'VALIDATION_ERROR',
    ],
    ['getInstance(null)', (log) => log.getInstance(null as never), 'VALIDATION_ERROR'],
    [
      'updateInstance("x")',
      (log) => (log.updateInstance as (...a: unknown[]) => Promise<unknown>)('x'),
      'VALIDATION_ERROR',
    ],
    ['deleteInstance(5)', (log) => log.deleteInstance(5 as never), 'VALIDATION_ERROR'],
    [
      'appendEvent()',
      (log) => (log.appendEvent as (...a: unknown[]) => Promise<unknown>)(),
      'VALIDATION_ERROR',
    ],
    ['appendEvent("x")', (log) => log.appendEvent('x' as never), 'VALIDATION_ERROR'],
    ['appendEvents(null)', (log) => log.appendEvents(null as never), 'VALIDATION_ERROR'],
    [
      'appendEvents({ events: 5 })',
      (log) => log.appendEvents({ instanceId: 'i', events: 5 } as never),
      'VALIDATION_ERROR',
    ],
    [
      'queryEvents()',
      (log) => (log.queryEvents as (...a: unknown[]) => Promise<unknown>)(),
      'VALIDATION_ERROR',
    ],
    ['queryEvents([])', (log) => log.queryEvents([] as never), 'VALIDATION_ERROR'],
    ['getInstanceStats({})', (log) => log.getInstanceStats({} as never), 'VALIDATION_ERROR'],
  ];

  it.each(cases)(
    'given %s, when called, then it resolves to a failure envelope',
    async (_name, call, code) => {
      const { log } = setup();
      const res = (await call(log)) as {
        success: boolean;
        code: string;
        error: string;
        timestamp: string;
        requestId: string;
      };
      expect(res).toMatchObject({ success: false, code });
      expect(typeof res.error).toBe('string');
      expect(res.timestamp).toMatch(ISO);
      expect(res.requestId).toBe('req-1');
    },
  );

  it.each([
    ['an Error', new Error('disk full'), 'The storage backend failed: disk full'],
    ['a string', 'boom', 'The storage backend failed: boom'],
    ['a null-prototype object', Object.create(null), 'cannot be printed'],
    ['undefined-like null', null, 'The storage backend failed: null'],
  ])('given the adapter throws %s, when a method runs, then STORAGE_ERROR', async (_name, thrown, text) => {
    const { log, fake } = setup();
    fake.failNext(thrown);
    const res = await log.listInstances();
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(!res.success && res.error).toContain(text);
  });

  it('given an adapter method that throws synchronously, when called, then STORAGE_ERROR', async () => {
    const { log, fake } = setup();
    fake.adapter.listInstances = () => {
      throw new TypeError('sync');
    };
    expect(await log.listInstances()).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
  });

  it('given an EventLogError from the adapter, when a method runs, then its code and details pass through', async () => {
    const { log, fake } = setup();
    fake.failNext(
      new EventLogError('LIMIT_EXCEEDED', 'too many groups', { details: { limit: 'maxGroups' } }),
    );
    expect(await log.listInstances()).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      error: 'too many groups',
      details: { limit: 'maxGroups' },
    });
  });

  it('given a broken clock and request id generator, when a method runs, then the envelope is still complete', async () => {
    const fake = fakeAdapter();
    const log = createEventLog({
      adapter: fake.adapter,
      now: () => {
        throw new Error('clock');
      },
      requestId: () => {
        throw new Error('ids');
      },
    });
    const res = await log.createInstance('x');
    expect(res.success).toBe(true);
    expect(res.timestamp).toMatch(ISO);
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const nan = createEventLog({ adapter: fakeAdapter().adapter, now: () => Number.NaN });
    expect((await nan.listInstances()).timestamp).toMatch(ISO);
  });

  it('given a closed log, when any method runs, then STORAGE_ERROR mentioning closed, and close is idempotent', async () => {
    const { log, fake } = setup();
    await log.close();
    await log.close();
    expect(fake.methods().filter((m) => m === 'close')).toHaveLength(1);
    for (const res of [
      await log.createInstance('x'),
      await log.listInstances(),
      await log.appendEvent({ instanceId: 'x', eventType: 'y' }),
      await log.queryEvents({ from: { instance: 'x' } }),
    ]) {
      expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
      expect(!res.success && res.error).toContain('closed');
    }
  });

  it('given an adapter whose close fails, when close, then it still resolves', async () => {
    const { log, fake } = setup();
    fake.adapter.close = async () => {
      throw new Error('busy');
    };
    await expect(log.close()).resolves.toBeUndefined();
  });

  it('given an adapter with ready(), when it fails once, then STORAGE_ERROR, a retry, and ready() is awaited once after success', async () => {
    const fake = fakeAdapter();
    let readyCalls = 0;
    fake.adapter.ready = async () => {
      readyCalls++;
      if (readyCalls === 1) throw new Error('connection refused');
    };
    const log = createEventLog({ adapter: fake.adapter });
    const first = await log.listInstances();
    expect(first).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(!first.success && first.error).toContain('connection refused');
    expect(fake.calls).toEqual([]);
    expect(await log.listInstances()).toMatchObject({ success: true });
    expect(await log.listInstances()).toMatchObject({ success: true });
    expect(readyCalls).toBe(2);
  });

  it('given no request id generator, when a method runs, then request ids are unique UUIDs', async () => {
    const log = createEventLog({ adapter: fakeAdapter().adapter });
    const a = await log.listInstances();
    const b = await log.listInstances();
    expect(a.requestId).toMatch(/^[0-9a-f]{8}-/);
    expect(a.requestId).not.toBe(b.requestId);
  });
});

describe('createEventLog — options', () => {
  it.each([
    ['no options', undefined],
    ['no adapter', {}],
    ['an adapter of another contract', { adapter: { ...fakeAdapter().adapter, contract: 2 } }],
    ['an unknown limit', { adapter: fakeAdapter().adapter, limits: { maxFoo: 1 } }],
    ['a negative limit', { adapter: fakeAdapter().adapter, limits: { maxQueryLimit: -1 } }],
  ])('given %s, when creating, then a TypeError explains the fix', (_name, options) => {
    expect(() => createEventLog(options as never)).toThrow(TypeError);
  });
});
