import { randomUUID } from 'node:crypto';
import {
  type CommitSignal,
  type ConditionSpec,
  DEFAULT_LIMITS,
  EventLogError,
  type EventRecord,
  fieldNode,
  firstConditionMatch,
  type JsonObject,
  parseQuery,
  type QueryNode,
  type StorageAdapter,
} from '@eventlog/core';
import { appendRequest, errorOf, expectVersion, newEvent, T0 } from '@eventlog/test-support';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryAdapter } from './memory-adapter.js';

// ---------------------------------------------------------------------------------------------
// Builders

/** The query with every default (all events in position order, a page of 100), as the parser builds it. */
const DEFAULT_QUERY = parseQuery({ from: { instance: 'ignored' } });

function allQuery(overrides: Partial<QueryNode> = {}): QueryNode {
  return { ...DEFAULT_QUERY, ...overrides };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (EventLogError.isInstance(error)) return error.code;
    throw error;
  }
  return undefined;
}

let adapter: StorageAdapter;

beforeEach(() => {
  adapter = memoryAdapter();
});

async function create(name: string, id: string = randomUUID(), createdAt = T0) {
  return adapter.createInstance({ id, name, createdAt });
}

async function events(instanceId: string): Promise<EventRecord[]> {
  return (await adapter.query(instanceId, allQuery({ limit: 10_000 }), DEFAULT_LIMITS))
    .events as EventRecord[];
}

// ---------------------------------------------------------------------------------------------

describe('memoryAdapter: shape', () => {
  it('given a new adapter, then it declares the contract, its name and its capabilities', () => {
    expect(adapter.contract).toBe(1);
    expect(adapter.name).toBe('memory');
    expect(adapter.capabilities).toEqual({
      persistent: false,
      crossProcess: false,
      transactions: true,
      queryPushdown: false,
      tags: true,
      conditionalAppends: true,
      appendKvWrites: true,
      lifecycle: true,
      archive: true,
      secureDelete: true,
      rollups: true,
    });
    expect(typeof adapter.transaction).toBe('function');
  });
});

describe('memoryAdapter: instances', () => {
  it('given a new instance, when created, then it resolves by id and by name with updatedAt = createdAt', async () => {
    const created = await adapter.createInstance({
      id: 'id-1',
      name: 'audit',
      description: 'd',
      createdAt: T0,
    });
    expect(created).toEqual({ id: 'id-1', name: 'audit', description: 'd', createdAt: T0, updatedAt: T0 });
    expect(await adapter.resolveInstance('id-1')).toEqual(created);
    expect(await adapter.resolveInstance('audit')).toEqual(created);
    expect(await adapter.resolveInstance('nope')).toBeUndefined();
    expect('description' in (await create('plain'))).toBe(false);
  });

  it('given a taken name or id, when creating, then ALREADY_EXISTS mentions "exists"', async () => {
    await adapter.createInstance({ id: 'id-1', name: 'audit', createdAt: T0 });
    const sameName = await errorOf(create('audit'));
    expect(sameName.code).toBe('ALREADY_EXISTS');
    expect(sameName.message).toMatch(/exists/);
    expect(await codeOf(create('id-1'))).toBe('ALREADY_EXISTS'); // name = another's id
    expect(await codeOf(create('other', 'id-1'))).toBe('ALREADY_EXISTS'); // same id
    expect(await codeOf(create('other', 'audit'))).toBe('ALREADY_EXISTS'); // id = another's name
    expect(await adapter.listInstances()).toHaveLength(1);
  });

  it('given instances, when listed, then the oldest come first (creation order on equal times)', async () => {
    await create('b', 'b', '2024-01-02T00:00:00.000Z');
    await create('a', 'a', '2024-01-01T00:00:00.000Z');
    await create('c', 'c', '2024-01-02T00:00:00.000Z');
    expect((await adapter.listInstances()).map((i) => i.name)).toEqual(['a', 'b', 'c']);
  });

  it('given an instance, when updated, then name and description change, null removes the description', async () => {
    const i = await adapter.createInstance({ id: 'id-1', name: 'old', description: 'd', createdAt: T0 });
    const later = '2024-02-01T00:00:00.000Z';
    const renamed = await adapter.updateInstance(i.id, { name: 'new', updatedAt: later });
    expect(renamed).toEqual({ id: 'id-1', name: 'new', description: 'd', createdAt: T0, updatedAt: later });
    expect(await adapter.resolveInstance('old')).toBeUndefined();
    expect((await adapter.resolveInstance('new'))?.id).toBe('id-1');
    const bare = await adapter.updateInstance(i.id, { description: null, updatedAt: later });
    expect('description' in bare).toBe(false);
    expect((await adapter.updateInstance(i.id, { description: 'again', updatedAt: later })).description).toBe(
      'again',
    );
    // The old name is free again; renaming to its own id is unambiguous and allowed.
    await create('old');
    expect((await adapter.updateInstance(i.id, { name: 'id-1', updatedAt: later })).name).toBe('id-1');
  });

  it('given a name taken by another instance (as name or id), when renaming, then ALREADY_EXISTS and nothing changes', async () => {
    const a = await adapter.createInstance({ id: 'id-a', name: 'a', createdAt: T0 });
    await adapter.createInstance({ id: 'id-b', name: 'b', createdAt: T0 });
    expect(await codeOf(adapter.updateInstance(a.id, { name: 'b', updatedAt: T0 }))).toBe('ALREADY_EXISTS');
    expect(await codeOf(adapter.updateInstance(a.id, { name: 'id-b', updatedAt: T0 }))).toBe(
      'ALREADY_EXISTS',
    );
    expect((await adapter.resolveInstance('id-a'))?.name).toBe('a');
    expect(await codeOf(adapter.updateInstance('nope', { name: 'x', updatedAt: T0 }))).toBe('NOT_FOUND');
  });

  it('given an instance with events, when deleted, then it reports the count and is gone with its name', async () => {
    const i = await create('doomed');
    await adapter.append(appendRequest(i.id, [newEvent(), newEvent(), newEvent({ streamId: 's2' })]));
    const result = await adapter.deleteInstance(i.id);
    expect(result).toEqual({ instance: i, deletedEvents: 3 });
    expect(await adapter.resolveInstance(i.id)).toBeUndefined();
    expect(await codeOf(adapter.deleteInstance(i.id))).toBe('NOT_FOUND');
    expect(await codeOf(adapter.query(i.id, allQuery(), DEFAULT_LIMITS))).toBe('NOT_FOUND');
    expect(await codeOf(adapter.stats(i.id))).toBe('NOT_FOUND');
    expect(await codeOf(adapter.headPosition(i.id))).toBe('NOT_FOUND');
    expect(await codeOf(adapter.readAfter({ instanceId: i.id, after: 0, limit: 10 }))).toBe('NOT_FOUND');
    await create('doomed');
  });

  it('given a returned instance, when the caller mutates it, then the store is unchanged', async () => {
    const i = await create('x');
    i.name = 'mutated';
    (await adapter.listInstances())[0]!.name = 'mutated';
    (await adapter.resolveInstance(i.id))!.name = 'mutated';
    expect((await adapter.resolveInstance(i.id))?.name).toBe('x');
  });
});

describe('memoryAdapter: append', () => {
  it('given events on several streams, when appended, then sequences count per stream and positions globally', async () => {
    const a = await create('a');
    const b = await create('b');
    const first = await adapter.append(
      appendRequest(a.id, [newEvent(), newEvent({ streamId: 's2' }), newEvent()]),
    );
    const second = await adapter.append(appendRequest(b.id, [newEvent()]));
    const third = await adapter.append(appendRequest(a.id, [newEvent({ streamId: 's2' })]));
    expect(first.duplicate).toBe(false);
    expect(first.events.map((e) => [e.stream_id, e.sequence_number, e.global_position])).toEqual([
      ['s1', 1, 1],
      ['s2', 1, 2],
      ['s1', 2, 3],
    ]);
    expect(second.events.map((e) => [e.sequence_number, e.global_position])).toEqual([[1, 4]]);
    expect(third.events.map((e) => [e.sequence_number, e.global_position])).toEqual([[2, 5]]);
  });

  it('given a request, when appended, then the record carries every field, and eventId only when given', async () => {
    const i = await create('a');
    const withId = newEvent({
      eventId: 'k1',
      payload: { n: 1 },
      metadata: { m: 'x' },
      eventType: 'Created',
      timestamp: '2020-05-05T05:05:05.005Z',
    });
    const [a, b] = (await adapter.append(appendRequest('a', [withId, newEvent()]))).events;
    expect(a).toEqual({
      id: withId.id,
      instanceId: i.id,
      stream_id: 's1',
      event_type: 'Created',
      payload: { n: 1 },
      metadata: { m: 'x' },
      timestamp: '2020-05-05T05:05:05.005Z',
      sequence_number: 1,
      global_position: 1,
      eventId: 'k1',
    });
    expect(b && 'eventId' in b).toBe(false);
    expect(await events(i.id)).toEqual([a, b]);
  });

  it('given deleted instances, when appending again, then positions are never reused', async () => {
    const a = await create('a', 'a');
    await adapter.append(appendRequest('a', [newEvent(), newEvent()]));
    await adapter.deleteInstance(a.id);
    const again = await adapter.append(appendRequest('a', [newEvent()], { autoCreate: true }));
    expect(again.events[0]).toMatchObject({ sequence_number: 1, global_position: 3 });
    expect(await adapter.headPosition('a')).toBe(3);
  });

  it('given a missing instance, when appending without autoCreate, then NOT_FOUND and nothing is created', async () => {
    expect(await codeOf(adapter.append(appendRequest('ghost', [newEvent()])))).toBe('NOT_FOUND');
    expect(await adapter.listInstances()).toEqual([]);
  });

  it('given autoCreate, when appending to a missing instance, then it is created with id = name', async () => {
    const out = await adapter.append(
      appendRequest('auto', [newEvent()], { autoCreate: true, now: '2024-03-03T00:00:00.000Z' }),
    );
    expect(out.events[0]?.instanceId).toBe('auto');
    expect(await adapter.resolveInstance('auto')).toEqual({
      id: 'auto',
      name: 'auto',
      createdAt: '2024-03-03T00:00:00.000Z',
      updatedAt: '2024-03-03T00:00:00.000Z',
    });
  });

  it('given autoCreate and a failing version check, when appending, then the instance is not created either', async () => {
    const request = appendRequest('auto', [newEvent()], {
      autoCreate: true,
      expectedVersion: expectVersion('stream_exists'),
    });
    expect(await codeOf(adapter.append(request))).toBe('CONFLICT');
    expect(await adapter.resolveInstance('auto')).toBeUndefined();
  });

  it('given an instance name, when appending by name, then the events belong to the instance id', async () => {
    const i = await create('by-name');
    const out = await adapter.append(appendRequest('by-name', [newEvent()]));
    expect(out.events[0]?.instanceId).toBe(i.id);
  });

  it('given expectedVersion, when it matches, then the append succeeds; otherwise CONFLICT with details and nothing written', async () => {
    const i = await create('a');
    await adapter.append(appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion('no_stream') }));
    await adapter.append(
      appendRequest(i.id, [newEvent(), newEvent()], { expectedVersion: expectVersion(1) }),
    );
    await adapter.append(
      appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion('stream_exists') }),
    );
    await adapter.append(appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion('any') }));
    const conflict = await errorOf(
      adapter.append(appendRequest(i.id, [newEvent(), newEvent()], { expectedVersion: expectVersion(2) })),
    );
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.details).toEqual({ streamId: 's1', expectedVersion: 2, actualVersion: 5 });
    expect(
      await codeOf(adapter.append(appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion(0) }))),
    ).toBe('CONFLICT');
    const other = await errorOf(
      adapter.append(
        appendRequest(i.id, [newEvent({ streamId: 'fresh' })], {
          expectedVersion: expectVersion('stream_exists'),
        }),
      ),
    );
    expect(other.details).toEqual({ streamId: 'fresh', expectedVersion: 'stream_exists', actualVersion: 0 });
    expect(await events(i.id)).toHaveLength(5);
    expect(await adapter.headPosition(i.id)).toBe(5);
  });

  it('given stored eventIds, when the same batch is appended again, then the stored events return as duplicates', async () => {
    const i = await create('a');
    const batch = [newEvent({ eventId: 'k1', payload: { v: 1 } }), newEvent({ eventId: 'k2' })];
    const first = await adapter.append(appendRequest(i.id, batch));
    const retry = [newEvent({ eventId: 'k2', payload: { different: true } }), newEvent({ eventId: 'k1' })];
    const again = await adapter.append(appendRequest(i.id, retry, { expectedVersion: expectVersion(0) }));
    expect(again.duplicate).toBe(true);
    expect(again.events).toEqual([first.events[1], first.events[0]]);
    expect(await events(i.id)).toHaveLength(2);
  });

  it('given some stored eventIds, when appended with new ones, then CONFLICT and nothing is written', async () => {
    const i = await create('a');
    await adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k1' })]));
    const error = await errorOf(
      adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k1' }), newEvent({ eventId: 'k9' })])),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ reason: 'partial_duplicate', duplicateEventIds: ['k1'] });
    expect(await events(i.id)).toHaveLength(1);
    expect(await adapter.headPosition(i.id)).toBe(1);
  });

  it('given an eventId held by another instance, when appended, then it is not a duplicate', async () => {
    await create('a');
    await create('b');
    await adapter.append(appendRequest('a', [newEvent({ eventId: 'k1' })]));
    expect((await adapter.append(appendRequest('b', [newEvent({ eventId: 'k1' })]))).duplicate).toBe(false);
  });

  it('given many interleaved appends, when they run concurrently, then sequences have no gaps and batches stay contiguous', async () => {
    const i = await create('a');
    const calls = Array.from({ length: 40 }, (_, n) =>
      adapter.append(
        appendRequest(i.id, [newEvent({ payload: { n, part: 0 } }), newEvent({ payload: { n, part: 1 } })]),
      ),
    );
    const results = await Promise.all(calls);
    for (const r of results) {
      const [x, y] = r.events;
      expect(y!.sequence_number).toBe(x!.sequence_number + 1);
      expect(y!.global_position).toBe(x!.global_position + 1);
    }
    const stored = await events(i.id);
    expect(stored.map((e) => e.sequence_number)).toEqual(Array.from({ length: 80 }, (_, k) => k + 1));
    expect(stored.map((e) => e.global_position)).toEqual(Array.from({ length: 80 }, (_, k) => k + 1));
  });

  it('given concurrent appends with the same expectedVersion, when they race, then exactly one wins', async () => {
    const i = await create('a');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        adapter.append(appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion(0) })),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await events(i.id)).toHaveLength(1);
  });

  it('given returned records and the request, when the caller mutates them, then the store is unchanged', async () => {
    const i = await create('a');
    const input = newEvent({ payload: { list: [1] }, metadata: { m: { k: 1 } } });
    const out = await adapter.append(appendRequest(i.id, [input]));
    (input.payload.list as number[]).push(2);
    (out.events[0]!.metadata.m as JsonObject).k = 2;
    out.events[0]!.stream_id = 'changed';
    const [stored] = await events(i.id);
    expect(stored).toMatchObject({ stream_id: 's1', payload: { list: [1] }, metadata: { m: { k: 1 } } });
    (stored!.payload.list as number[]).push(3);
    expect((await events(i.id))[0]?.payload).toEqual({ list: [1] });
    const dup = await adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k' })]));
    (await adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k' })]))).events[0]!.payload.x = 1;
    expect((await events(i.id))[1]?.payload).toEqual(dup.events[0]?.payload);
  });
});

describe('memoryAdapter: tags, conditions and kvWrites', () => {
  it('given events with tags, when appended, then records carry copies of them and untagged records no tags key', async () => {
    const inst = await create('tags');
    const tags = ['course:c1', 'student:s1'];
    const [tagged, plain] = (await adapter.append(appendRequest(inst.id, [newEvent({ tags }), newEvent()])))
      .events;
    expect(tagged?.tags).toEqual(tags);
    expect('tags' in (plain ?? {})).toBe(false);
    tags.push('mutated');
    const [stored] = await events(inst.id);
    expect(stored?.tags).toEqual(['course:c1', 'student:s1']);
  });

  it('given a condition matching an event after `after`, when appending, then CONFLICT with its position and nothing written', async () => {
    const inst = await create('cond');
    await adapter.append(
      appendRequest(inst.id, [newEvent({ eventType: 'A', tags: ['t'] }), newEvent({ eventType: 'B' })]),
    );
    const [a] = await events(inst.id);
    const condition: ConditionSpec = { items: [{ types: ['A'], tags: ['t'] }], after: 0 };
    const error = await errorOf(adapter.append(appendRequest(inst.id, [newEvent()], { condition })));
    expect(error.details).toEqual({ condition: true, after: 0, position: a?.global_position });
    expect(await events(inst.id)).toHaveLength(2);
    const after = a?.global_position as number;
    const ok = await adapter.append(
      appendRequest(inst.id, [newEvent()], { condition: { ...condition, after } }),
    );
    expect(ok.events).toHaveLength(1);
  });

  it('given kvWrites, when the append commits, then they are stored; when it fails or is a duplicate, then not', async () => {
    const inst = await create('kvw');
    const write = (value: number) => [{ namespace: 'snap', key: 'k', value }];
    await adapter.append(appendRequest(inst.id, [newEvent({ eventId: 'e1' })], { kvWrites: write(1) }));
    expect(await adapter.kv.get('snap', 'k')).toEqual({ value: 1, version: 1 });
    await adapter.append(appendRequest(inst.id, [newEvent({ eventId: 'e1' })], { kvWrites: write(2) }));
    const conflict = { check: { kind: 'exact', version: 0 } as const, raw: 0, streamId: 's1' };
    await codeOf(
      adapter.append(appendRequest(inst.id, [newEvent()], { versionChecks: [conflict], kvWrites: write(3) })),
    );
    expect(await adapter.kv.get('snap', 'k')).toEqual({ value: 1, version: 1 });
  });

  it('given version checks of several streams, when one fails, then CONFLICT names it and nothing is written', async () => {
    const inst = await create('multi');
    await adapter.append(appendRequest(inst.id, [newEvent({ streamId: 'b' })]));
    const versionChecks = [
      { streamId: 'a', check: { kind: 'exact' as const, version: 0 }, raw: 0 },
      { streamId: 'b', check: { kind: 'exact' as const, version: 0 }, raw: 'no_stream' as const },
    ];
    const error = await errorOf(
      adapter.append(
        appendRequest(inst.id, [newEvent({ streamId: 'a' }), newEvent({ streamId: 'b' })], { versionChecks }),
      ),
    );
    expect(error.details).toEqual({ streamId: 'b', expectedVersion: 'no_stream', actualVersion: 1 });
    expect(await events(inst.id)).toHaveLength(1);
  });

  it('given generated tagged events and conditions, then the indexes find the same first match as a scan', async () => {
    const TYPES = ['A', 'B', 'C'];
    const TAGS = ['t1', 't2', 't3', 't4'];
    const arbEvent = fc.record({
      type: fc.constantFrom(...TYPES),
      tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
    });
    const arbItem = fc
      .record(
        {
          types: fc.uniqueArray(fc.constantFrom(...TYPES, 'Z'), { minLength: 1, maxLength: 2 }),
          tags: fc.uniqueArray(fc.constantFrom(...TAGS, 'tz'), { minLength: 1, maxLength: 2 }),
        },
        { requiredKeys: [] },
      )
      .filter((item) => item.types !== undefined || item.tags !== undefined);
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbEvent, { maxLength: 40 }),
        fc.array(arbItem, { minLength: 1, maxLength: 3 }),
        fc.nat(45),
        async (generated, items, after) => {
          const local = memoryAdapter();
          const inst = await local.createInstance({ id: 'i', name: 'i', createdAt: T0 });
          const stored: EventRecord[] = [];
          for (const e of generated) {
            const event = newEvent({ eventType: e.type });
            if (e.tags.length > 0) event.tags = [...e.tags].sort();
            stored.push(...(await local.append(appendRequest(inst.id, [event]))).events);
          }
          const condition: ConditionSpec = { items, after };
          const expected = firstConditionMatch(condition, stored);
          const outcome = await local
            .append(appendRequest(inst.id, [newEvent({ eventType: 'probe' })], { condition }))
            .then(
              () => null,
              (error: EventLogError) => error.details?.position,
            );
          expect(outcome).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('memoryAdapter: query, stats, readAfter, headPosition', () => {
  async function seed() {
    const a = await create('a');
    const b = await create('b');
    await adapter.append(
      appendRequest(a.id, [
        newEvent({ eventType: 'Opened', payload: { n: 1 }, timestamp: '2024-01-03T00:00:00.000Z' }),
        newEvent({
          streamId: 's2',
          eventType: 'Opened',
          payload: { n: 2 },
          timestamp: '2024-01-01T00:00:00.000Z',
        }),
      ]),
    );
    await adapter.append(appendRequest(b.id, [newEvent({ payload: { n: 100 } })]));
    await adapter.append(
      appendRequest(a.id, [
        newEvent({ eventType: 'Closed', payload: { n: 3 }, timestamp: '2024-01-02T00:00:00.000Z' }),
      ]),
    );
    return { a, b };
  }

  it('given two instances, when querying one, then only its events count, optionally by stream', async () => {
    const { a } = await seed();
    const all = await adapter.query(a.id, allQuery(), DEFAULT_LIMITS);
    expect(all.total).toBe(3);
    expect(all.events?.map((e) => e.global_position)).toEqual([1, 2, 4]);
    const s1 = await adapter.query(a.id, allQuery({ stream: 's1' }), DEFAULT_LIMITS);
    expect(s1.events?.map((e) => e.global_position)).toEqual([1, 4]);
    const none = await adapter.query(a.id, allQuery({ stream: 'nope' }), DEFAULT_LIMITS);
    expect(none).toEqual({ events: [], total: 0, limit: 100, offset: 0 });
    const sum = await adapter.query(
      a.id,
      allQuery({
        stream: 's1',
        reduce: { kind: 'reduce', type: 'sum', field: fieldNode('payload', ['n']), groupBy: undefined },
      }),
      DEFAULT_LIMITS,
    );
    expect(sum).toEqual({
      aggregation: { type: 'sum', field: 'payload.n', value: 4 },
      total: 2,
      limit: 100,
      offset: 0,
    });
  });

  it('given a grouped query past maxGroups, when querying, then LIMIT_EXCEEDED', async () => {
    const { a } = await seed();
    const reduce = {
      kind: 'reduce',
      type: 'count',
      field: undefined,
      groupBy: [{ kind: 'groupField', field: fieldNode('id'), key: 'id' }],
    } as const;
    expect(await codeOf(adapter.query(a.id, allQuery({ reduce }), { ...DEFAULT_LIMITS, maxGroups: 2 }))).toBe(
      'LIMIT_EXCEEDED',
    );
  });

  it('given events, when asking for stats, then counts, types and the timestamp range come back', async () => {
    const { a } = await seed();
    expect(await adapter.stats(a.id)).toEqual({
      instanceId: a.id,
      name: 'a',
      eventCount: 3,
      streamCount: 2,
      eventTypes: { Opened: 2, Closed: 1 },
      firstEventAt: '2024-01-01T00:00:00.000Z',
      lastEventAt: '2024-01-03T00:00:00.000Z',
      createdAt: T0,
      updatedAt: T0,
    });
  });

  it('given an empty instance, when asking for stats, then times are null and counts zero', async () => {
    const i = await create('empty');
    expect(await adapter.stats(i.id)).toMatchObject({
      eventCount: 0,
      streamCount: 0,
      eventTypes: {},
      firstEventAt: null,
      lastEventAt: null,
    });
    expect(await adapter.headPosition(i.id)).toBe(0);
  });

  it('given an event type named __proto__, when asking for stats, then it is an ordinary key', async () => {
    const i = await create('a');
    await adapter.append(appendRequest(i.id, [newEvent({ eventType: '__proto__' })]));
    const stats = await adapter.stats(i.id);
    expect(Object.hasOwn(stats.eventTypes, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(stats.eventTypes)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(stats.eventTypes))).toEqual(JSON.parse('{"__proto__":1}'));
  });

  it('given a position, when reading after it, then later events of the instance come in order, filtered and limited', async () => {
    const { a } = await seed();
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 0, limit: 10 })).map((e) => e.global_position),
    ).toEqual([1, 2, 4]);
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 1, limit: 10 })).map((e) => e.global_position),
    ).toEqual([2, 4]);
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 2, limit: 10 })).map((e) => e.global_position),
    ).toEqual([4]);
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 3, limit: 10 })).map((e) => e.global_position),
    ).toEqual([4]);
    expect(await adapter.readAfter({ instanceId: a.id, after: 4, limit: 10 })).toEqual([]);
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 0, limit: 2 })).map((e) => e.global_position),
    ).toEqual([1, 2]);
    expect(await adapter.readAfter({ instanceId: a.id, after: 0, limit: 0 })).toEqual([]);
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 0, stream: 's1', limit: 10 })).map(
        (e) => e.global_position,
      ),
    ).toEqual([1, 4]);
    const where = { kind: 'compare', op: 'eq', field: fieldNode('event_type'), value: 'Opened' } as const;
    expect(
      (await adapter.readAfter({ instanceId: a.id, after: 1, where, limit: 10 })).map(
        (e) => e.global_position,
      ),
    ).toEqual([2]);
  });

  it('given a long stream, when reading after positions, then the binary search finds each start', async () => {
    const i = await create('long');
    for (let n = 0; n < 10; n++)
      await adapter.append(
        appendRequest(
          i.id,
          Array.from({ length: 7 }, () => newEvent()),
        ),
      );
    for (let after = 0; after <= 70; after += 3) {
      const page = await adapter.readAfter({ instanceId: i.id, after, limit: 5 });
      expect(page.map((e) => e.global_position)).toEqual(
        Array.from({ length: Math.min(5, 70 - after) }, (_, k) => after + k + 1),
      );
    }
    expect(await adapter.headPosition(i.id)).toBe(70);
  });

  it('given an append, when the instance is re-described, then only the update changes updatedAt', async () => {
    const i = await create('a');
    await adapter.append(appendRequest(i.id, [newEvent()], { now: '2030-01-01T00:00:00.000Z' }));
    expect((await adapter.stats(i.id)).updatedAt).toBe(T0);
    await adapter.updateInstance(i.id, { description: 'x', updatedAt: '2030-01-01T00:00:00.000Z' });
    expect((await adapter.stats(i.id)).updatedAt).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('memoryAdapter: watch', () => {
  it('given a listener, when events commit and the instance is deleted, then it receives signals after each commit', async () => {
    const i = await create('a');
    const seen: CommitSignal[] = [];
    const heads: Array<Promise<number | undefined>> = [];
    const stop = adapter.watch((signal) => {
      seen.push(signal);
      // Called synchronously here, so it reads the store as the listener sees it: committed.
      heads.push(adapter.headPosition(i.id).catch(() => undefined));
    });
    const first = await adapter.append(appendRequest(i.id, [newEvent(), newEvent()]));
    const second = await adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k' })]));
    await adapter.append(appendRequest(i.id, [newEvent({ eventId: 'k' })])); // duplicate: nothing commits
    await adapter.deleteInstance(i.id);
    // Appends carry what they committed and the head before it (the caller's records, not the store's).
    expect(seen).toEqual([
      { kind: 'append', instanceId: i.id, position: 2, committed: { previous: 0, events: first.events } },
      { kind: 'append', instanceId: i.id, position: 3, committed: { previous: 2, events: second.events } },
      { kind: 'delete', instanceId: i.id },
    ]);
    expect(seen[0]?.committed?.events).toBe(first.events);
    expect(await Promise.all(heads)).toEqual([2, 3, undefined]);
    stop();
    stop();
    await adapter.append(appendRequest('b', [newEvent()], { autoCreate: true }));
    expect(seen).toHaveLength(3);
  });

  it('given a failed append, when it is rejected, then no signal is sent', async () => {
    const i = await create('a');
    const listener = vi.fn();
    adapter.watch(listener);
    await codeOf(adapter.append(appendRequest(i.id, [newEvent()], { expectedVersion: expectVersion(3) })));
    expect(listener).not.toHaveBeenCalled();
  });

  it('given a throwing listener, when appending, then the append succeeds and other listeners still run', async () => {
    const onListenerError = vi.fn();
    adapter = memoryAdapter({ onListenerError });
    const i = await create('a');
    const boom = new Error('boom');
    adapter.watch(() => {
      throw boom;
    });
    const other = vi.fn();
    adapter.watch(other);
    const out = await adapter.append(appendRequest(i.id, [newEvent()]));
    expect(out.events).toHaveLength(1);
    expect(other).toHaveBeenCalledTimes(1);
    expect(onListenerError).toHaveBeenCalledWith(boom, {
      kind: 'append',
      instanceId: i.id,
      position: 1,
      committed: { previous: 0, events: out.events },
    });
    expect(await events(i.id)).toHaveLength(1);
  });

  it('given the same function watched twice, when one subscription stops, then the other still fires', async () => {
    const i = await create('a');
    const listener = vi.fn();
    const stop = adapter.watch(listener);
    adapter.watch(listener);
    stop();
    await adapter.append(appendRequest(i.id, [newEvent()]));
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('memoryAdapter: key-value store', () => {
  it('given a key, when put repeatedly, then versions count from 1 and values are copies', async () => {
    expect(await adapter.kv.get('ns', 'k')).toBeUndefined();
    const value = { at: [1] };
    expect(await adapter.kv.put('ns', 'k', value)).toEqual({ value: { at: [1] }, version: 1 });
    value.at.push(2);
    const read = await adapter.kv.get('ns', 'k');
    expect(read).toEqual({ value: { at: [1] }, version: 1 });
    ((read!.value as JsonObject).at as number[]).push(3);
    expect(await adapter.kv.put('ns', 'k', 'v2')).toEqual({ value: 'v2', version: 2 });
    expect(await adapter.kv.get('ns', 'k')).toEqual({ value: 'v2', version: 2 });
    expect(await adapter.kv.get('other', 'k')).toBeUndefined();
  });

  it('given expectedVersion, when putting, then it is a compare-and-set (null: must not exist)', async () => {
    expect(await adapter.kv.put('ns', 'k', 1, { expectedVersion: null })).toEqual({ value: 1, version: 1 });
    const taken = await errorOf(adapter.kv.put('ns', 'k', 2, { expectedVersion: null }));
    expect(taken.code).toBe('CONFLICT');
    expect(taken.details).toEqual({ namespace: 'ns', key: 'k', expectedVersion: null, actualVersion: 1 });
    expect(await codeOf(adapter.kv.put('ns', 'k', 2, { expectedVersion: 2 }))).toBe('CONFLICT');
    expect(await codeOf(adapter.kv.put('ns', 'missing', 2, { expectedVersion: 1 }))).toBe('CONFLICT');
    expect(await adapter.kv.put('ns', 'k', 2, { expectedVersion: 1 })).toEqual({ value: 2, version: 2 });
    expect(await adapter.kv.get('ns', 'k')).toEqual({ value: 2, version: 2 });
  });

  it('given keys, when deleted with and without expectedVersion, then CAS applies and missing keys give false', async () => {
    await adapter.kv.put('ns', 'k', 1);
    expect(await adapter.kv.delete('ns', 'nope')).toBe(false);
    expect(await codeOf(adapter.kv.delete('ns', 'k', { expectedVersion: 2 }))).toBe('CONFLICT');
    expect(await adapter.kv.delete('ns', 'k', { expectedVersion: 1 })).toBe(true);
    expect(await adapter.kv.get('ns', 'k')).toBeUndefined();
    expect(await adapter.kv.delete('ns', 'k')).toBe(false);
    expect(await codeOf(adapter.kv.delete('ns', 'k', { expectedVersion: 1 }))).toBe('CONFLICT');
    expect(await adapter.kv.put('ns', 'k', 'again')).toEqual({ value: 'again', version: 1 });
  });

  it('given a namespace, when listing, then its keys come sorted by code point', async () => {
    await adapter.kv.put('ns', 'b', 2);
    await adapter.kv.put('ns', '😀', 3);
    await adapter.kv.put('ns', '\uFFFF', 4);
    await adapter.kv.put('ns', 'a', 1);
    await adapter.kv.put('ns', 'a', 11);
    await adapter.kv.put('other', 'z', 0);
    expect(await adapter.kv.list('ns')).toEqual([
      { key: 'a', value: 11, version: 2 },
      { key: 'b', value: 2, version: 1 },
      { key: '\uFFFF', value: 4, version: 1 },
      { key: '😀', value: 3, version: 1 },
    ]);
    expect(await adapter.kv.list('empty')).toEqual([]);
  });
});

describe('memoryAdapter: transaction', () => {
  it('given kv writes in a transaction, when it resolves, then they apply together and it returns fn result', async () => {
    await adapter.kv.put('ns', 'gone', 1);
    const result = await adapter.transaction!(async (tx) => {
      expect(tx.driver).toBeUndefined();
      await tx.kv.put('ns', 'a', 1);
      await tx.kv.put('ns', 'a', 2, { expectedVersion: 1 });
      await tx.kv.delete('ns', 'gone');
      expect(await tx.kv.get('ns', 'a')).toEqual({ value: 2, version: 2 });
      expect(await tx.kv.list('ns')).toEqual([{ key: 'a', value: 2, version: 2 }]);
      // Not visible outside before the commit.
      expect(await adapter.kv.get('ns', 'a')).toBeUndefined();
      expect(await adapter.kv.get('ns', 'gone')).toEqual({ value: 1, version: 1 });
      return 'done';
    });
    expect(result).toBe('done');
    expect(await adapter.kv.list('ns')).toEqual([{ key: 'a', value: 2, version: 2 }]);
  });

  it('given a transaction whose callback throws, when it ends, then nothing applies and the error propagates', async () => {
    await adapter.kv.put('ns', 'k', 'before');
    const boom = new Error('boom');
    await expect(
      adapter.transaction!(async (tx) => {
        await tx.kv.put('ns', 'k', 'after');
        await tx.kv.put('ns', 'new', 1);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await adapter.kv.get('ns', 'k')).toEqual({ value: 'before', version: 1 });
    expect(await adapter.kv.get('ns', 'new')).toBeUndefined();
  });

  it('given a CAS failure inside a transaction, when not caught, then the whole transaction rolls back', async () => {
    await adapter.kv.put('ns', 'k', 1);
    const code = await codeOf(
      adapter.transaction!(async (tx) => {
        await tx.kv.put('ns', 'other', 1);
        await tx.kv.put('ns', 'k', 2, { expectedVersion: 5 });
      }),
    );
    expect(code).toBe('CONFLICT');
    expect(await adapter.kv.get('ns', 'other')).toBeUndefined();
  });

  it('given another writer changing a touched key meanwhile, when the transaction resolves, then CONFLICT and nothing applies', async () => {
    await adapter.kv.put('ns', 'checkpoint', 1);
    const code = await codeOf(
      adapter.transaction!(async (tx) => {
        const seen = await tx.kv.get('ns', 'checkpoint');
        await adapter.kv.put('ns', 'checkpoint', 99); // a concurrent writer outside the transaction
        await tx.kv.put('ns', 'checkpoint', 2, { expectedVersion: seen?.version ?? null });
        await tx.kv.put('ns', 'side', true);
      }),
    );
    expect(code).toBe('CONFLICT');
    expect(await adapter.kv.get('ns', 'checkpoint')).toEqual({ value: 99, version: 2 });
    expect(await adapter.kv.get('ns', 'side')).toBeUndefined();
  });

  it('given a key written in a transaction and then by another writer, when the transaction resolves, then CONFLICT (no lost update)', async () => {
    await adapter.kv.put('ns', 'k', 1);
    const code = await codeOf(
      adapter.transaction!(async (tx) => {
        await tx.kv.put('ns', 'k', 'tx');
        await adapter.kv.put('ns', 'k', 'outside');
      }),
    );
    expect(code).toBe('CONFLICT');
    expect(await adapter.kv.get('ns', 'k')).toEqual({ value: 'outside', version: 2 });
  });

  it('given a key only read in a transaction and changed meanwhile, when it resolves, then CONFLICT', async () => {
    await adapter.kv.put('ns', 'source', 1);
    const code = await codeOf(
      adapter.transaction!(async (tx) => {
        const source = await tx.kv.get('ns', 'source');
        await adapter.kv.delete('ns', 'source');
        await tx.kv.put('ns', 'derived', source?.value ?? null);
      }),
    );
    expect(code).toBe('CONFLICT');
    expect(await adapter.kv.get('ns', 'derived')).toBeUndefined();
  });

  it('given keys untouched by the transaction changed meanwhile, when it resolves, then it commits', async () => {
    await adapter.transaction!(async (tx) => {
      await tx.kv.put('ns', 'mine', 1);
      await adapter.kv.put('ns', 'theirs', 2);
    });
    expect(await adapter.kv.list('ns')).toEqual([
      { key: 'mine', value: 1, version: 1 },
      { key: 'theirs', value: 2, version: 1 },
    ]);
  });

  it('given a finished transaction, when its kv is used afterwards, then STORAGE_ERROR', async () => {
    let leaked: StorageAdapter['kv'] | undefined;
    await adapter.transaction!(async (tx) => {
      leaked = tx.kv;
    });
    expect(await codeOf(leaked!.put('ns', 'k', 1))).toBe('STORAGE_ERROR');
    expect(await adapter.kv.get('ns', 'k')).toBeUndefined();
  });
});

describe('memoryAdapter: close', () => {
  it('given a closed adapter, when any method is called, then STORAGE_ERROR "closed"; close is idempotent', async () => {
    const i = await create('a');
    await adapter.close();
    await adapter.close();
    const error = await errorOf(adapter.listInstances());
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toMatch(/closed/);
    const calls: Array<Promise<unknown>> = [
      create('b'),
      adapter.resolveInstance(i.id),
      adapter.updateInstance(i.id, { updatedAt: T0 }),
      adapter.deleteInstance(i.id),
      adapter.append(appendRequest(i.id, [newEvent()])),
      adapter.query(i.id, allQuery(), DEFAULT_LIMITS),
      adapter.stats(i.id),
      adapter.readAfter({ instanceId: i.id, after: 0, limit: 1 }),
      adapter.headPosition(i.id),
      adapter.kv.get('ns', 'k'),
      adapter.kv.put('ns', 'k', 1),
      adapter.kv.delete('ns', 'k'),
      adapter.kv.list('ns'),
      adapter.transaction!(async () => 1),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('STORAGE_ERROR');
    expect(() => adapter.watch(() => {})).toThrow(/closed/);
  });

  it('given a transaction running when the adapter closes, when it resolves, then nothing applies', async () => {
    const code = await codeOf(
      adapter.transaction!(async (tx) => {
        await tx.kv.put('ns', 'k', 1);
        await adapter.close();
      }),
    );
    expect(code).toBe('STORAGE_ERROR');
  });
});
