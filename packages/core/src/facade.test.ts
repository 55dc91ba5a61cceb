import { describe, expect, it } from 'vitest';
import type {
  AppendOutcome,
  AppendRequest,
  CommitSignal,
  InstancePatch,
  NewInstance,
  ReadAfterRequest,
  StorageAdapter,
} from './adapter.js';
import { planAppend } from './append-plan.js';
import type { QueryNode } from './dsl/ast.js';
import { EventLogError, instanceNotFound } from './errors.js';
import { createEventLog, createEventStore, dispatch } from './facade.js';
import type { Limits } from './limits.js';
import type { EventRecord, Instance, InstanceStats, QueryResult } from './model.js';

const T0 = Date.UTC(2024, 0, 19, 10, 0, 0);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Call {
  method: string;
  args: unknown[];
}

/** A small in-memory adapter that records its calls; enough to test the facade alone. */
function fakeAdapter() {
  const instances: Instance[] = [];
  const events: EventRecord[] = [];
  const calls: Call[] = [];
  const listeners = new Set<(s: CommitSignal) => void>();
  let position = 0;
  let failWith: unknown;
  const record = (method: string, ...args: unknown[]) => {
    calls.push({ method, args });
    if (failWith !== undefined) throw failWith;
  };
  const byId = (id: string) => {
    const found = instances.find((i) => i.id === id);
    if (found === undefined) throw instanceNotFound(id);
    return found;
  };
  const adapter: StorageAdapter = {
    contract: 1,
    name: 'fake',
    capabilities: {},
    async createInstance(instance: NewInstance) {
      record('createInstance', instance);
      if (
        instances.some((i) => [i.id, i.name].includes(instance.name) || [i.id, i.name].includes(instance.id))
      ) {
        throw new EventLogError('ALREADY_EXISTS', `An instance named "${instance.name}" already exists.`);
      }
      const created: Instance = { ...instance, updatedAt: instance.createdAt };
      instances.push(created);
      return created;
    },
    async resolveInstance(ref: string) {
      record('resolveInstance', ref);
      return instances.find((i) => i.id === ref) ?? instances.find((i) => i.name === ref);
    },
    async listInstances() {
      record('listInstances');
      return [...instances];
    },
    async updateInstance(id: string, patch: InstancePatch) {
      record('updateInstance', id, patch);
      const instance = byId(id);
      if (patch.name !== undefined) instance.name = patch.name;
      if (patch.description === null) delete instance.description;
      else if (patch.description !== undefined) instance.description = patch.description;
      instance.updatedAt = patch.updatedAt;
      return { ...instance };
    },
    async deleteInstance(id: string) {
      record('deleteInstance', id);
      const instance = byId(id);
      instances.splice(instances.indexOf(instance), 1);
      const before = events.length;
      for (let i = events.length - 1; i >= 0; i--) if (events[i]?.instanceId === id) events.splice(i, 1);
      return { instance, deletedEvents: before - events.length };
    },
    async append(request: AppendRequest): Promise<AppendOutcome> {
      record('append', request);
      let instance =
        instances.find((i) => i.id === request.instance) ??
        instances.find((i) => i.name === request.instance);
      if (instance === undefined) {
        if (!request.autoCreate) throw instanceNotFound(request.instance);
        instance = {
          id: request.instance,
          name: request.instance,
          createdAt: request.now,
          updatedAt: request.now,
        };
        instances.push(instance);
      }
      const id = instance.id;
      const existing = new Map(
        events
          .filter((e) => e.instanceId === id && e.eventId !== undefined)
          .map((e) => [e.eventId as string, e]),
      );
      const held = new Map([...existing].filter(([k]) => request.events.some((e) => e.eventId === k)));
      const versions = new Map<string, number>();
      for (const e of events) if (e.instanceId === id) versions.set(e.stream_id, e.sequence_number);
      const plan = planAppend(request, held, versions);
      if (plan.kind === 'duplicate') return { events: plan.events, duplicate: true };
      const stored = plan.rows.map(({ event, sequence }) => {
        const rec: EventRecord = {
          id: event.id,
          instanceId: id,
          stream_id: event.streamId,
          event_type: event.eventType,
          payload: event.payload,
          metadata: event.metadata,
          timestamp: event.timestamp,
          sequence_number: sequence,
          global_position: ++position,
        };
        if (event.eventId !== undefined) rec.eventId = event.eventId;
        return rec;
      });
      events.push(...stored);
      for (const l of listeners) l({ kind: 'append', instanceId: id, position });
      return { events: stored, duplicate: false };
    },
    async query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
      record('query', instanceId, query, limits);
      const matches = events.filter((e) => e.instanceId === instanceId);
      return {
        events: matches.slice(query.offset, query.offset + query.limit),
        total: matches.length,
        limit: query.limit,
        offset: query.offset,
      };
    },
    async stats(instanceId: string): Promise<InstanceStats> {
      record('stats', instanceId);
      const instance = byId(instanceId);
      return {
        instanceId,
        name: instance.name,
        eventCount: 0,
        streamCount: 0,
        eventTypes: {},
        firstEventAt: null,
        lastEventAt: null,
        createdAt: instance.createdAt,
        updatedAt: instance.updatedAt,
      };
    },
    async readAfter(request: ReadAfterRequest) {
      record('readAfter', request);
      return events
        .filter((e) => e.instanceId === request.instanceId && e.global_position > request.after)
        .slice(0, request.limit);
    },
    async headPosition(instanceId: string) {
      record('headPosition', instanceId);
      return events
        .filter((e) => e.instanceId === instanceId)
        .reduce((m, e) => Math.max(m, e.global_position), 0);
    },
    watch(listener) {
      record('watch');
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    kv: {
      get: async () => undefined,
      put: async (_n, _k, value) => ({ value, version: 1 }),
      delete: async () => false,
      list: async () => [],
    },
    async close() {
      record('close');
    },
  };
  return {
    adapter,
    calls,
    methods: () => calls.map((c) => c.method),
    failNext(error: unknown) {
      failWith = error;
    },
    heal() {
      failWith = undefined;
    },
  };
}

function setup(options: { limits?: Partial<Limits> } = {}) {
  const fake = fakeAdapter();
  let clock = T0;
  let ids = 0;
  const log = createEventLog({
    adapter: fake.adapter,
    now: () => clock,
    requestId: () => `req-${++ids}`,
    ...options,
  });
  return { log, fake, tick: (ms: number) => (clock += ms) };
}

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

describe('dispatch (wire requests)', () => {
  it('given each wire request, when dispatched, then the envelope carries the same type and requestId', async () => {
    const { log } = setup();
    const send = (type: string, params?: unknown) =>
      dispatch(log, { type: `eventLog.${type}`, requestId: `r-${type}`, params });
    const created = await send('createInstance', { name: 'wire', description: 'd' });
    expect(created).toMatchObject({
      type: 'eventLog.createInstance',
      requestId: 'r-createInstance',
      success: true,
      data: { instance: { name: 'wire', description: 'd' } },
    });
    expect(await send('getInstance', { instanceId: 'wire' })).toMatchObject({
      type: 'eventLog.getInstance',
      requestId: 'r-getInstance',
      success: true,
    });
    expect(await send('listInstances', {})).toMatchObject({
      success: true,
      data: { instances: [{ name: 'wire' }] },
    });
    expect(await send('listInstances')).toMatchObject({ success: true });
    expect(await send('updateInstance', { instanceId: 'wire', description: 'new' })).toMatchObject({
      success: true,
      data: { instance: { description: 'new' } },
    });
    expect(await send('appendEvent', { instanceId: 'wire', eventType: 'a' })).toMatchObject({
      success: true,
      data: { event: { event_type: 'a' } },
    });
    expect(await send('appendEvents', { instanceId: 'wire', events: [{ eventType: 'b' }] })).toMatchObject({
      success: true,
      data: { count: 1 },
    });
    expect(await send('queryEvents', { query: { from: { instance: 'wire' } } })).toMatchObject({
      success: true,
      data: { result: { total: 2 } },
    });
    expect(await send('getInstanceStats', { instanceId: 'wire' })).toMatchObject({
      success: true,
      data: { name: 'wire' },
    });
    expect(await send('deleteInstance', { instanceId: 'wire' })).toMatchObject({
      type: 'eventLog.deleteInstance',
      success: true,
      data: { deletedEvents: 2 },
    });
  });

  it('given no requestId, when dispatched, then a fresh one is used', async () => {
    const { log } = setup();
    const res = await dispatch(log, { type: 'eventLog.listInstances' });
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a non-object request', 'hello', 'eventLog.unknown', 'request'],
    ['null', null, 'eventLog.unknown', 'request'],
    [
      'an unknown type',
      { type: 'eventLog.dropTable', requestId: 'r', params: {} },
      'eventLog.dropTable',
      'type',
    ],
    ['close over the wire', { type: 'eventLog.close', requestId: 'r' }, 'eventLog.close', 'type'],
    ['a missing type', { requestId: 'r', params: {} }, 'eventLog.unknown', 'type'],
    [
      'an unknown request key',
      { type: 'eventLog.listInstances', requestId: 'r', extra: 1 },
      'eventLog.listInstances',
      'extra',
    ],
    [
      'a numeric requestId',
      { type: 'eventLog.listInstances', requestId: 5 },
      'eventLog.listInstances',
      'requestId',
    ],
    [
      'non-object params',
      { type: 'eventLog.getInstance', requestId: 'r', params: 'x' },
      'eventLog.getInstance',
      'params',
    ],
    [
      'an unknown params key',
      { type: 'eventLog.getInstance', requestId: 'r', params: { instanceId: 'a', id: 'b' } },
      'eventLog.getInstance',
      'params.id',
    ],
    [
      'params for listInstances',
      { type: 'eventLog.listInstances', requestId: 'r', params: { all: true } },
      'eventLog.listInstances',
      'params.all',
    ],
    [
      'a bad update key',
      { type: 'eventLog.updateInstance', requestId: 'r', params: { instanceId: 'a', title: 'b' } },
      'eventLog.updateInstance',
      'params.title',
    ],
    [
      'a bad query',
      { type: 'eventLog.queryEvents', requestId: 'r', params: { query: 5 } },
      'eventLog.queryEvents',
      'query',
    ],
  ])(
    'given %s, when dispatched, then a VALIDATION_ERROR envelope names the location',
    async (_name, request, type, path) => {
      const { log } = setup();
      const res = await dispatch(log, request);
      expect(res).toMatchObject({ type, success: false, code: 'VALIDATION_ERROR' });
      expect(!res.success && res.error.startsWith(`${path}: `)).toBe(true);
      expect(res.timestamp).toMatch(ISO);
      if (typeof (request as { requestId?: unknown })?.requestId === 'string')
        expect(res.requestId).toBe('r');
    },
  );

  it('given a missing instance, when dispatched, then the NOT_FOUND envelope keeps the requestId', async () => {
    const { log } = setup();
    expect(
      await dispatch(log, { type: 'eventLog.getInstance', requestId: 'abc', params: { instanceId: 'none' } }),
    ).toMatchObject({
      type: 'eventLog.getInstance',
      requestId: 'abc',
      success: false,
      code: 'NOT_FOUND',
    });
  });
});
