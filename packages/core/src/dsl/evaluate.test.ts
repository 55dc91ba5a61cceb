import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import type { EventRecord, JsonObject, JsonScalar, JsonValue } from '../model.js';
import {
  type ConditionNode,
  type FieldNode,
  fieldNode,
  type GroupNode,
  type OrderNode,
  type QueryNode,
  type ReduceNode,
} from './ast.js';
import { evaluateQuery, matchesCondition } from './evaluate.js';
import { parseQuery } from './parse.js';

// ---------------------------------------------------------------------------------------------
// Builders

function p(path: string): FieldNode {
  return fieldNode(
    'payload',
    path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
  );
}

let nextSeq = new Map<string, number>();

function ev(position: number, payload: JsonObject, extra: Partial<EventRecord> = {}): EventRecord {
  const stream = extra.stream_id ?? 's1';
  const seq = (nextSeq.get(stream) ?? 0) + 1;
  nextSeq.set(stream, seq);
  return {
    id: `e${position}`,
    instanceId: 'i1',
    stream_id: stream,
    event_type: 'T',
    payload,
    metadata: {},
    timestamp: new Date(Date.UTC(2024, 0, 1) + position * 60_000).toISOString(),
    sequence_number: seq,
    global_position: position,
    ...extra,
  };
}

/** Events whose `payload.v` has each type (position 5: missing). */
function typedEvents(): EventRecord[] {
  nextSeq = new Map();
  const values: Array<JsonValue | undefined> = [
    1,
    true,
    '1',
    null,
    undefined,
    [1],
    { a: 1 },
    2,
    'b',
    false,
    0,
  ];
  return values.map((v, i) => ev(i + 1, v === undefined ? {} : { v }));
}

const cmp = (op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte', field: FieldNode, value: JsonScalar) =>
  ({ kind: 'compare', op, field, value }) as const satisfies ConditionNode;

function positions(condition: ConditionNode, events: readonly EventRecord[]): number[] {
  return events.filter((e) => matchesCondition(condition, e)).map((e) => e.global_position);
}

const byPosition: OrderNode = { kind: 'order', field: fieldNode('global_position'), direction: 'asc' };

function query(overrides: Partial<QueryNode> = {}): QueryNode {
  return {
    kind: 'query',
    instance: 'i1',
    stream: undefined,
    where: undefined,
    select: undefined,
    orderBy: [byPosition],
    limit: 100,
    offset: 0,
    reduce: undefined,
    ...overrides,
  };
}

function reduce(type: ReduceNode['type'], field?: FieldNode, groupBy?: GroupNode[]): ReduceNode {
  return { kind: 'reduce', type, field, groupBy };
}

const groupField = (field: FieldNode): GroupNode => ({ kind: 'groupField', field, key: field.name });

// ---------------------------------------------------------------------------------------------

describe('matchesCondition: eq / neq', () => {
  const events = typedEvents();
  const v = p('v');

  it('given values of every type, when eq, then only the same type and value match', () => {
    expect(positions(cmp('eq', v, 1), events)).toEqual([1]);
    expect(positions(cmp('eq', v, true), events)).toEqual([2]);
    expect(positions(cmp('eq', v, '1'), events)).toEqual([3]);
    expect(positions(cmp('eq', v, null), events)).toEqual([4]);
    expect(positions(cmp('eq', v, false), events)).toEqual([10]);
    expect(positions(cmp('eq', v, 0), events)).toEqual([11]);
  });

  it('given values of every type, when neq, then every other value and the missing field match', () => {
    expect(positions(cmp('neq', v, 1), events)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(positions(cmp('neq', v, null), events)).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('given top-level columns, when compared with another type, then nothing matches', () => {
    expect(positions(cmp('eq', fieldNode('sequence_number'), '1'), events)).toEqual([]);
    expect(positions(cmp('eq', fieldNode('sequence_number'), 1), events)).toEqual([1]);
    expect(positions(cmp('eq', fieldNode('stream_id'), 's1'), events)).toHaveLength(11);
    expect(positions(cmp('neq', fieldNode('event_type'), 'T'), events)).toEqual([]);
  });

  it('given an array index path, when eq, then the element is compared', () => {
    const e = [ev(1, { items: [{ sku: 'a' }, { sku: 'b' }] }), ev(2, { items: { '0': { sku: 'a' } } })];
    expect(positions(cmp('eq', p('items.1.sku'), 'b'), e)).toEqual([1]);
    expect(positions(cmp('eq', p('items.0.sku'), 'a'), e)).toEqual([1]);
  });
});

describe('matchesCondition: ordering operators', () => {
  const events = typedEvents();
  const v = p('v');

  it('given mixed types, when compared with a number, then only numbers match, numerically', () => {
    expect(positions(cmp('gt', v, 1), events)).toEqual([8]);
    expect(positions(cmp('gte', v, 1), events)).toEqual([1, 8]);
    expect(positions(cmp('lt', v, 1), events)).toEqual([11]);
    expect(positions(cmp('lte', v, 2), events)).toEqual([1, 8, 11]);
  });

  it('given mixed types, when compared with a string, then only strings match', () => {
    expect(positions(cmp('gt', v, '1'), events)).toEqual([9]);
    expect(positions(cmp('gte', v, '1'), events)).toEqual([3, 9]);
    expect(positions(cmp('lt', v, 'z'), events)).toEqual([3, 9]);
  });

  it('given numbers like 10 and 9, when compared, then they compare numerically, not as text', () => {
    const e = [ev(1, { n: 10 }), ev(2, { n: 9 }), ev(3, { n: -1.5 })];
    expect(positions(cmp('gt', p('n'), 9.5), e)).toEqual([1]);
    expect(positions(cmp('lt', p('n'), -1), e)).toEqual([3]);
  });

  it('given astral characters and U+FFFF, when compared, then strings order by code point', () => {
    const e = [
      ev(1, { s: '\uFFFF' }),
      ev(2, { s: '😀' }),
      ev(3, { s: '\uE000' }),
      ev(4, { s: 'Z' }),
      ev(5, { s: 'a' }),
    ];
    // UTF-16 `<` would put the surrogate pair of U+1F600 below U+E000 and U+FFFF.
    expect(positions(cmp('gt', p('s'), '\uFFFF'), e)).toEqual([2]);
    expect(positions(cmp('lt', p('s'), '😀'), e)).toEqual([1, 3, 4, 5]);
    expect(positions(cmp('gt', p('s'), 'Z'), e)).toEqual([1, 2, 3, 5]);
    expect(positions(cmp('lte', p('s'), 'Z'), e)).toEqual([4]);
  });

  it('given timestamps, when compared with canonical ISO bounds, then instants compare', () => {
    const e = [
      ev(1, {}, { timestamp: '0999-12-31T23:59:59.999Z' }),
      ev(2, {}, { timestamp: '2024-01-01T00:00:00.000Z' }),
      ev(3, {}, { timestamp: '2024-01-01T00:00:00.001Z' }),
    ];
    expect(positions(cmp('gt', fieldNode('timestamp'), '2024-01-01T00:00:00.000Z'), e)).toEqual([3]);
    expect(positions(cmp('lt', fieldNode('timestamp'), '1000-01-01T00:00:00.000Z'), e)).toEqual([1]);
  });

  it('given a missing field, when compared, then it never matches', () => {
    expect(positions(cmp('lt', p('nope'), 1e9), events)).toEqual([]);
    expect(positions(cmp('gt', p('nope'), ''), events)).toEqual([]);
  });
});

describe('matchesCondition: between', () => {
  const e = [
    ev(1, { n: 1 }),
    ev(2, { n: 2 }),
    ev(3, { n: 3 }),
    ev(4, { n: '2' }),
    ev(5, { s: 'b' }),
    ev(6, { s: 'c' }),
  ];

  it('given numeric bounds, when between, then both ends are inclusive and other types never match', () => {
    expect(positions({ kind: 'between', field: p('n'), low: 1, high: 2 }, e)).toEqual([1, 2]);
    expect(positions({ kind: 'between', field: p('n'), low: 2, high: 2 }, e)).toEqual([2]);
  });

  it('given string bounds, when between, then strings compare by code point', () => {
    expect(positions({ kind: 'between', field: p('s'), low: 'a', high: 'b' }, e)).toEqual([5]);
    expect(positions({ kind: 'between', field: p('n'), low: '1', high: '3' }, e)).toEqual([4]);
  });

  it('given low above high, when between, then nothing matches', () => {
    expect(positions({ kind: 'between', field: p('n'), low: 3, high: 1 }, e)).toEqual([]);
  });
});

describe('matchesCondition: startsWith', () => {
  const startsWith = (field: FieldNode, prefix: string): ConditionNode => ({
    kind: 'startsWith',
    field,
    prefix,
  });

  it('given strings with %, _ and \\, when startsWith, then they are literal characters', () => {
    const e = [
      ev(1, { s: '100%' }),
      ev(2, { s: 'a_c' }),
      ev(3, { s: 'abc' }),
      ev(4, { s: 'C:\\dir' }),
      ev(5, { s: '%1' }),
    ];
    expect(positions(startsWith(p('s'), '%'), e)).toEqual([5]);
    expect(positions(startsWith(p('s'), 'a_'), e)).toEqual([2]);
    expect(positions(startsWith(p('s'), 'C:\\'), e)).toEqual([4]);
    expect(positions(startsWith(p('s'), '100%'), e)).toEqual([1]);
  });

  it('given case, astral and non-ASCII characters, when startsWith, then code points compare exactly', () => {
    const e = [
      ev(1, { s: 'Éclair' }),
      ev(2, { s: 'éclair' }),
      ev(3, { s: '😀 smile' }),
      ev(4, { s: '\uFFFF' }),
    ];
    expect(positions(startsWith(p('s'), 'é'), e)).toEqual([2]);
    expect(positions(startsWith(p('s'), 'É'), e)).toEqual([1]);
    expect(positions(startsWith(p('s'), '😀'), e)).toEqual([3]);
    expect(positions(startsWith(p('s'), '\uFFFF'), e)).toEqual([4]);
  });

  it('given values that are not strings, when startsWith, then they never match', () => {
    const e = [ev(1, { s: 10 }), ev(2, { s: ['1'] }), ev(3, { s: { a: '1' } }), ev(4, {}), ev(5, { s: '1' })];
    expect(positions(startsWith(p('s'), '1'), e)).toEqual([5]);
    expect(positions(startsWith(fieldNode('stream_id'), 's'), e)).toEqual([1, 2, 3, 4, 5]);
    expect(positions(startsWith(fieldNode('sequence_number'), '1'), e)).toEqual([]);
  });
});

describe('matchesCondition: contains', () => {
  const contains = (field: FieldNode, value: JsonScalar): ConditionNode => ({
    kind: 'contains',
    field,
    value,
  });

  it('given strings with %, _ and \\, when contains, then they are literal characters', () => {
    const e = [
      ev(1, { s: '100%' }),
      ev(2, { s: 'a_c' }),
      ev(3, { s: 'abc' }),
      ev(4, { s: 'C:\\dir' }),
      ev(5, { s: '100' }),
    ];
    expect(positions(contains(p('s'), '%'), e)).toEqual([1]);
    expect(positions(contains(p('s'), '_'), e)).toEqual([2]);
    expect(positions(contains(p('s'), 'a_c'), e)).toEqual([2]);
    expect(positions(contains(p('s'), '\\'), e)).toEqual([4]);
    expect(positions(contains(p('s'), '\\d'), e)).toEqual([4]);
    expect(positions(contains(p('s'), '0%'), e)).toEqual([1]);
  });

  it('given mixed case, when contains, then it is case-sensitive', () => {
    const e = [ev(1, { s: 'Hello' }), ev(2, { s: 'hello world' })];
    expect(positions(contains(p('s'), 'hello'), e)).toEqual([2]);
    expect(positions(contains(p('s'), 'H'), e)).toEqual([1]);
  });

  it('given arrays, when contains, then some element equals the value, type-strictly', () => {
    const e = [
      ev(1, { a: ['x', 'y'] }),
      ev(2, { a: [1, 2] }),
      ev(3, { a: ['1'] }),
      ev(4, { a: [null, true] }),
      ev(5, { a: [['x']] }),
    ];
    expect(positions(contains(p('a'), 'x'), e)).toEqual([1]);
    expect(positions(contains(p('a'), 1), e)).toEqual([2]);
    expect(positions(contains(p('a'), '1'), e)).toEqual([3]);
    expect(positions(contains(p('a'), null), e)).toEqual([4]);
    expect(positions(contains(p('a'), true), e)).toEqual([4]);
  });

  it('given numbers, objects, null or missing fields, when contains, then nothing matches', () => {
    const e = [
      ev(1, { v: 123 }),
      ev(2, { v: { x: 'x' } }),
      ev(3, { v: null }),
      ev(4, {}),
      ev(5, { v: '123' }),
    ];
    expect(positions(contains(p('v'), 2), e)).toEqual([]);
    expect(positions(contains(p('v'), '2'), e)).toEqual([5]);
    expect(positions(contains(p('v'), 'x'), e)).toEqual([]);
    expect(positions(contains(p('v'), null), e)).toEqual([]);
  });

  it('given the timestamp column, when contains, then it searches the canonical ISO text', () => {
    const e = [ev(1, {}, { timestamp: '2024-05-06T07:08:09.010Z' })];
    expect(positions(contains(fieldNode('timestamp'), '05-06T07'), e)).toEqual([1]);
  });
});

describe('matchesCondition: in', () => {
  const events = typedEvents();

  it('given a short list, when in, then a field equal to one value matches, type-strictly', () => {
    expect(positions({ kind: 'in', field: p('v'), values: [1, 'b'] }, events)).toEqual([1, 9]);
    expect(positions({ kind: 'in', field: p('v'), values: [null] }, events)).toEqual([4]);
  });

  it('given a long list, when in, then the same type-strict matching holds', () => {
    const values: JsonScalar[] = ['2', 'x', 'y', 'z', 3, 4, 5, 6, 7, 8, false, true];
    expect(positions({ kind: 'in', field: p('v'), values }, events)).toEqual([2, 10]);
    expect(positions({ kind: 'in', field: p('v'), values: [...values, null, 0, '1'] }, events)).toEqual([
      2, 3, 4, 10, 11,
    ]);
  });
});

describe('matchesCondition: exists and boolean logic', () => {
  const events = typedEvents();
  const v = p('v');

  it('given null and missing values, when exists, then null is present and missing is not', () => {
    expect(positions({ kind: 'exists', field: v, exists: true }, events)).toEqual([
      1, 2, 3, 4, 6, 7, 8, 9, 10, 11,
    ]);
    expect(positions({ kind: 'exists', field: v, exists: false }, events)).toEqual([5]);
    expect(positions({ kind: 'exists', field: p('v.a'), exists: true }, events)).toEqual([7]);
  });

  it('given a missing field, when not(eq), then it matches (plain negation)', () => {
    expect(positions({ kind: 'not', condition: cmp('eq', v, 1) }, events)).toEqual([
      2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(positions({ kind: 'not', condition: cmp('gt', v, 0) }, events)).toEqual([
      2, 3, 4, 5, 6, 7, 9, 10, 11,
    ]);
  });

  it('given and / or, when evaluated, then all / some must hold; empty and matches all, empty or none', () => {
    const and: ConditionNode = { kind: 'and', conditions: [cmp('gte', v, 0), cmp('lt', v, 2)] };
    const or: ConditionNode = { kind: 'or', conditions: [cmp('eq', v, 'b'), cmp('eq', v, true)] };
    expect(positions(and, events)).toEqual([1, 11]);
    expect(positions(or, events)).toEqual([2, 9]);
    expect(
      positions({ kind: 'and', conditions: [and, { kind: 'not', condition: cmp('eq', v, 0) }] }, events),
    ).toEqual([1]);
    expect(positions({ kind: 'and', conditions: [] }, events)).toHaveLength(events.length);
    expect(positions({ kind: 'or', conditions: [] }, events)).toEqual([]);
  });
});

describe('evaluateQuery: filtering, ordering and paging', () => {
  function streamEvents(): EventRecord[] {
    nextSeq = new Map();
    return [
      ev(1, { n: 3 }, { stream_id: 'a' }),
      ev(2, { n: 1 }, { stream_id: 'b' }),
      ev(3, { n: 2 }, { stream_id: 'a' }),
      ev(4, { n: 1 }, { stream_id: 'a' }),
      ev(5, { n: 5 }, { stream_id: 'b' }),
    ];
  }

  it('given no options, when querying, then all events come in position order with total', () => {
    const events = streamEvents();
    const r = evaluateQuery(events, query(), DEFAULT_LIMITS);
    expect(r.events?.map((e) => e.global_position)).toEqual([1, 2, 3, 4, 5]);
    expect(r).toMatchObject({ total: 5, limit: 100, offset: 0 });
    expect(r.aggregation).toBeUndefined();
    expect(r.events?.[0]).toEqual(events[0]);
  });

  it('given a stream and where, when querying, then both filter and total counts all matches', () => {
    const r = evaluateQuery(
      streamEvents(),
      query({ stream: 'a', where: cmp('lte', p('n'), 2), limit: 1, offset: 1 }),
      DEFAULT_LIMITS,
    );
    expect(r.events?.map((e) => e.global_position)).toEqual([4]);
    expect(r).toMatchObject({ total: 2, limit: 1, offset: 1 });
  });

  it('given limit 0 or an offset past the end, when querying, then events is empty and total stays', () => {
    const events = streamEvents();
    expect(evaluateQuery(events, query({ limit: 0 }), DEFAULT_LIMITS)).toEqual({
      events: [],
      total: 5,
      limit: 0,
      offset: 0,
    });
    const order: OrderNode = { kind: 'order', field: p('n'), direction: 'asc' };
    expect(evaluateQuery(events, query({ offset: 9, orderBy: [order] }), DEFAULT_LIMITS)).toEqual({
      events: [],
      total: 5,
      limit: 100,
      offset: 9,
    });
  });

  it('given global_position desc, when querying, then the newest come first and paging applies', () => {
    const order: OrderNode = { kind: 'order', field: fieldNode('global_position'), direction: 'desc' };
    const r = evaluateQuery(streamEvents(), query({ orderBy: [order], offset: 1, limit: 2 }), DEFAULT_LIMITS);
    expect(r.events?.map((e) => e.global_position)).toEqual([4, 3]);
    expect(r.total).toBe(5);
  });

  it('given ties, when ordering asc or desc, then ties break by global_position ascending', () => {
    const asc: OrderNode = { kind: 'order', field: p('n'), direction: 'asc' };
    const desc: OrderNode = { ...asc, direction: 'desc' };
    expect(
      evaluateQuery(streamEvents(), query({ orderBy: [asc] }), DEFAULT_LIMITS).events?.map(
        (e) => e.global_position,
      ),
    ).toEqual([2, 4, 3, 1, 5]);
    expect(
      evaluateQuery(streamEvents(), query({ orderBy: [desc] }), DEFAULT_LIMITS).events?.map(
        (e) => e.global_position,
      ),
    ).toEqual([5, 1, 3, 2, 4]);
    const byStream: OrderNode = { kind: 'order', field: fieldNode('stream_id'), direction: 'desc' };
    expect(
      evaluateQuery(
        streamEvents(),
        query({ orderBy: [byStream], limit: 3, offset: 1 }),
        DEFAULT_LIMITS,
      ).events?.map((e) => e.global_position),
    ).toEqual([5, 1, 3]);
  });

  it('given events not in position order, when ordering with ties, then ties still break by position', () => {
    nextSeq = new Map();
    const e = [ev(3, { n: 1 }), ev(1, { n: 1 }), ev(2, { n: 0 })];
    const order: OrderNode = { kind: 'order', field: p('n'), direction: 'desc' };
    expect(
      evaluateQuery(e, query({ orderBy: [order] }), DEFAULT_LIMITS).events?.map((x) => x.global_position),
    ).toEqual([1, 3, 2]);
  });

  it('given values of every type, when ordering, then the total order is missing < null < false < true < numbers < strings < arrays = objects', () => {
    nextSeq = new Map();
    const values: Array<JsonValue | undefined> = [
      { z: 1 },
      'b',
      [2],
      10,
      true,
      'a',
      null,
      false,
      9,
      undefined,
      '😀',
      '\uFFFF',
      -1,
    ];
    const events = values.map((v, i) => ev(i + 1, v === undefined ? {} : { v }));
    const asc: OrderNode = { kind: 'order', field: p('v'), direction: 'asc' };
    const ascending = evaluateQuery(events, query({ orderBy: [asc] }), DEFAULT_LIMITS).events?.map(
      (e) => e.global_position,
    );
    // missing(10) null(7) false(8) true(5) -1(13) 9(9) 10(4) 'a'(6) 'b'(2) U+FFFF(12) 😀(11) then {z}(1) [2](3) tied
    expect(ascending).toEqual([10, 7, 8, 5, 13, 9, 4, 6, 2, 12, 11, 1, 3]);
    const descending = evaluateQuery(
      events,
      query({ orderBy: [{ ...asc, direction: 'desc' }] }),
      DEFAULT_LIMITS,
    ).events?.map((e) => e.global_position);
    expect(descending).toEqual([1, 3, 11, 12, 2, 6, 4, 9, 13, 5, 8, 7, 10]);
  });

  it('given select, when querying, then events hold only the selected fields, nested as stored', () => {
    nextSeq = new Map();
    const events = [ev(1, { user: { id: 'u1', name: 'x' } }), ev(2, { other: 1 })];
    const r = evaluateQuery(
      events,
      query({
        select: [fieldNode('stream_id'), p('user.id')],
        orderBy: [{ kind: 'order', field: p('user.id'), direction: 'desc' }],
      }),
      DEFAULT_LIMITS,
    );
    expect(r.events).toEqual([{ stream_id: 's1', payload: { user: { id: 'u1' } } }, { stream_id: 's1' }]);
  });

  it('given returned events, when the caller mutates them, then the source events are unchanged', () => {
    nextSeq = new Map();
    const events = [ev(1, { list: [1] }, { metadata: { m: { k: 1 } } })];
    const r = evaluateQuery(events, query(), DEFAULT_LIMITS);
    const got = r.events?.[0] as EventRecord;
    (got.payload.list as number[]).push(2);
    (got.metadata.m as JsonObject).k = 2;
    got.stream_id = 'changed';
    expect(events[0]).toEqual(ev(1, { list: [1] }, { metadata: { m: { k: 1 } }, sequence_number: 1 }));
    const sorted = evaluateQuery(
      events,
      query({ orderBy: [{ kind: 'order', field: p('list'), direction: 'asc' }] }),
      DEFAULT_LIMITS,
    );
    expect(sorted.events?.[0]?.payload).not.toBe(events[0]?.payload);
  });
});

describe('evaluateQuery: reduce without groupBy', () => {
  const events = typedEvents(); // v: 1 true '1' null - [1] {a:1} 2 'b' false 0

  function aggregate(r: ReduceNode, limits: Limits = DEFAULT_LIMITS, where?: ConditionNode) {
    return evaluateQuery(events, query({ reduce: r, where, limit: 5, offset: 2 }), limits);
  }

  it('given count without a field, when reducing, then it counts events and ignores limit and offset', () => {
    expect(aggregate(reduce('count'))).toEqual({
      aggregation: { type: 'count', value: 11 },
      total: 11,
      limit: 5,
      offset: 2,
    });
  });

  it('given count with a field, when reducing, then present non-null values count', () => {
    expect(aggregate(reduce('count', p('v'))).aggregation).toEqual({
      type: 'count',
      field: 'payload.v',
      value: 9,
    });
  });

  it('given sum and avg, when reducing, then only numbers count', () => {
    expect(aggregate(reduce('sum', p('v'))).aggregation).toEqual({
      type: 'sum',
      field: 'payload.v',
      value: 3,
    });
    expect(aggregate(reduce('avg', p('v'))).aggregation).toEqual({
      type: 'avg',
      field: 'payload.v',
      value: 1,
    });
  });

  it('given no numeric values, when sum and avg, then sum is 0 and avg is null', () => {
    const where = cmp('neq', fieldNode('global_position'), 1);
    const noNumbers: ConditionNode = {
      kind: 'and',
      conditions: [where, cmp('neq', p('v'), 2), cmp('neq', p('v'), 0)],
    };
    expect(aggregate(reduce('sum', p('v')), DEFAULT_LIMITS, noNumbers).aggregation?.value).toBe(0);
    expect(aggregate(reduce('avg', p('v')), DEFAULT_LIMITS, noNumbers).aggregation?.value).toBeNull();
    expect(aggregate(reduce('sum', p('nope'))).aggregation?.value).toBe(0);
  });

  it('given values that cancel, when summing, then the sum is compensated', () => {
    nextSeq = new Map();
    const e = [ev(1, { n: 1e16 }), ev(2, { n: 1 }), ev(3, { n: -1e16 })];
    expect(
      evaluateQuery(e, query({ reduce: reduce('sum', p('n')) }), DEFAULT_LIMITS).aggregation?.value,
    ).toBe(1);
    expect(
      evaluateQuery(e, query({ reduce: reduce('avg', p('n')) }), DEFAULT_LIMITS).aggregation?.value,
    ).toBeCloseTo(1 / 3, 12);
  });

  it('given numbers and strings, when min and max, then numbers win; strings only without numbers', () => {
    expect(aggregate(reduce('min', p('v'))).aggregation?.value).toBe(0);
    expect(aggregate(reduce('max', p('v'))).aggregation?.value).toBe(2);
    nextSeq = new Map();
    const strings = [
      ev(1, { s: '\uFFFF' }),
      ev(2, { s: '😀' }),
      ev(3, { s: 'a' }),
      ev(4, { s: true }),
      ev(5, {}),
    ];
    expect(
      evaluateQuery(strings, query({ reduce: reduce('min', p('s')) }), DEFAULT_LIMITS).aggregation?.value,
    ).toBe('a');
    expect(
      evaluateQuery(strings, query({ reduce: reduce('max', p('s')) }), DEFAULT_LIMITS).aggregation?.value,
    ).toBe('😀');
    expect(
      evaluateQuery(strings, query({ reduce: reduce('max', p('nope')) }), DEFAULT_LIMITS).aggregation?.value,
    ).toBeNull();
  });

  it('given collect, when reducing, then every present value (null too) comes in position order as copies', () => {
    const r = aggregate(reduce('collect', p('v')));
    expect(r.aggregation).toEqual({
      type: 'collect',
      field: 'payload.v',
      value: [1, true, '1', null, [1], { a: 1 }, 2, 'b', false, 0],
    });
    ((r.aggregation!.value as JsonValue[])[5] as JsonObject).a = 99;
    expect(events[6]?.payload).toEqual({ v: { a: 1 } });
    expect(aggregate(reduce('collect', p('nope'))).aggregation?.value).toEqual([]);
    expect(r.events).toBeUndefined();
  });

  it('given more collected values than maxCollectValues, when reducing, then LIMIT_EXCEEDED', () => {
    const limits = { ...DEFAULT_LIMITS, maxCollectValues: 9 };
    expect(() => aggregate(reduce('collect', p('v')), limits)).toThrow(/maxCollectValues/);
    try {
      aggregate(reduce('collect', p('v')), limits);
    } catch (e) {
      expect(EventLogError.isInstance(e) && e.code).toBe('LIMIT_EXCEEDED');
    }
    expect(
      aggregate(reduce('collect', p('v')), { ...limits, maxCollectValues: 10 }).aggregation?.value,
    ).toHaveLength(10);
  });
});

describe('evaluateQuery: reduce with groupBy', () => {
  function shop(): EventRecord[] {
    nextSeq = new Map();
    return [
      ev(
        1,
        { kind: 'b', amount: 10, tag: { x: 1, y: 2 } },
        { event_type: 'Paid', timestamp: '2024-12-30T10:00:00.000Z' },
      ),
      ev(
        2,
        { kind: 'a', amount: 5, tag: { y: 2, x: 1 } },
        { event_type: 'Paid', timestamp: '2024-12-31T10:00:00.000Z' },
      ),
      ev(3, { kind: null, amount: 'x' }, { event_type: 'Refunded', timestamp: '2025-01-06T00:00:00.000Z' }),
      ev(4, { amount: 1 }, { event_type: 'Paid', timestamp: '2025-01-05T23:59:59.999Z' }),
      ev(5, { kind: 1, amount: 2, tag: [1] }, { event_type: 'Paid', timestamp: '2025-02-01T00:00:00.000Z' }),
      ev(6, { kind: 'a', amount: 7 }, { event_type: 'Refunded', timestamp: '2025-02-02T00:00:00.000Z' }),
    ];
  }

  it('given a field group, when counting, then groups are keyed by canonical name and sorted by key', () => {
    const r = evaluateQuery(
      shop(),
      query({ reduce: reduce('count', undefined, [groupField(fieldNode('event_type'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r).toEqual({
      aggregation: {
        type: 'count',
        groupBy: ['event_type'],
        groups: [
          { key: { event_type: 'Paid' }, value: 4 },
          { key: { event_type: 'Refunded' }, value: 2 },
        ],
      },
      total: 6,
      limit: 100,
      offset: 0,
    });
  });

  it('given missing and null group values, when grouping, then they share the null group, first in order', () => {
    const r = evaluateQuery(
      shop(),
      query({ reduce: reduce('sum', p('amount'), [groupField(p('kind'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r.aggregation).toEqual({
      type: 'sum',
      field: 'payload.amount',
      groupBy: ['payload.kind'],
      groups: [
        { key: { 'payload.kind': null }, value: 1 },
        { key: { 'payload.kind': 1 }, value: 2 },
        { key: { 'payload.kind': 'a' }, value: 12 },
        { key: { 'payload.kind': 'b' }, value: 10 },
      ],
    });
  });

  it('given object group values with different key order, when grouping, then they form one group', () => {
    const r = evaluateQuery(
      shop(),
      query({ reduce: reduce('collect', fieldNode('global_position'), [groupField(p('tag'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r.aggregation?.groups).toEqual([
      { key: { 'payload.tag': null }, value: [3, 4, 6] },
      // [1] and {x,y} tie in the total order; canonical JSON text breaks the tie.
      { key: { 'payload.tag': [1] }, value: [5] },
      { key: { 'payload.tag': { x: 1, y: 2 } }, value: [1, 2] },
    ]);
  });

  it('given several group fields, when grouping, then keys combine, type-strictly', () => {
    nextSeq = new Map();
    const e = [
      ev(1, { a: 1, b: '1' }),
      ev(2, { a: '1', b: 1 }),
      ev(3, { a: 1, b: '1' }),
      ev(4, { a: true, b: null }),
    ];
    const r = evaluateQuery(
      e,
      query({ reduce: reduce('count', undefined, [groupField(p('a')), groupField(p('b'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r.aggregation?.groups).toEqual([
      { key: { 'payload.a': true, 'payload.b': null }, value: 1 },
      { key: { 'payload.a': 1, 'payload.b': '1' }, value: 2 },
      { key: { 'payload.a': '1', 'payload.b': 1 }, value: 1 },
    ]);
    expect(r.aggregation?.groupBy).toEqual(['payload.a', 'payload.b']);
  });

  it('given strings that spell other types, when grouping, then they stay apart from those values', () => {
    nextSeq = new Map();
    const values: JsonValue[] = [1, 'n1', true, 't', null, 'z', 'null', [1], '[1]', 'j[1]'];
    const e = values.map((v, i) => ev(i + 1, { v }));
    const r = evaluateQuery(
      e,
      query({ reduce: reduce('count', undefined, [groupField(p('v'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r.aggregation?.groups?.map((g) => g.key['payload.v'])).toEqual([
      null,
      true,
      1,
      '[1]',
      'j[1]',
      'n1',
      'null',
      't',
      'z',
      [1],
    ]);
  });

  it('given string parts that could run together, when grouping by two fields, then groups stay apart', () => {
    nextSeq = new Map();
    const e = [ev(1, { a: 'x1:sy', b: 'z' }), ev(2, { a: 'x', b: 'y1:sz' })];
    const r = evaluateQuery(
      e,
      query({ reduce: reduce('count', undefined, [groupField(p('a')), groupField(p('b'))]) }),
      DEFAULT_LIMITS,
    );
    expect(r.aggregation?.groups).toHaveLength(2);
  });

  it('given time buckets, when grouping by week and month, then keys are bucket starts (weeks cross years)', () => {
    const bucket = (interval: 'week' | 'month'): GroupNode => ({
      kind: 'timeBucket',
      field: fieldNode('timestamp'),
      interval,
      key: 'timestamp',
    });
    const weekly = evaluateQuery(
      shop(),
      query({ reduce: reduce('count', undefined, [bucket('week')]) }),
      DEFAULT_LIMITS,
    );
    expect(weekly.aggregation).toEqual({
      type: 'count',
      groupBy: [{ field: 'timestamp', interval: 'week' }],
      groups: [
        { key: { timestamp: '2024-12-30T00:00:00.000Z' }, value: 3 },
        { key: { timestamp: '2025-01-06T00:00:00.000Z' }, value: 1 },
        { key: { timestamp: '2025-01-27T00:00:00.000Z' }, value: 2 },
      ],
    });
    const monthly = evaluateQuery(
      shop(),
      query({ reduce: reduce('max', p('amount'), [bucket('month'), groupField(fieldNode('event_type'))]) }),
      DEFAULT_LIMITS,
    );
    expect(monthly.aggregation).toEqual({
      type: 'max',
      field: 'payload.amount',
      groupBy: [{ field: 'timestamp', interval: 'month' }, 'event_type'],
      groups: [
        { key: { timestamp: '2024-12-01T00:00:00.000Z', event_type: 'Paid' }, value: 10 },
        { key: { timestamp: '2025-01-01T00:00:00.000Z', event_type: 'Paid' }, value: 1 },
        { key: { timestamp: '2025-01-01T00:00:00.000Z', event_type: 'Refunded' }, value: 'x' },
        { key: { timestamp: '2025-02-01T00:00:00.000Z', event_type: 'Paid' }, value: 2 },
        { key: { timestamp: '2025-02-01T00:00:00.000Z', event_type: 'Refunded' }, value: 7 },
      ],
    });
  });

  it('given groups, when avg, min and count by field, then each group folds its own values', () => {
    const by = [groupField(fieldNode('event_type'))];
    const avg = evaluateQuery(shop(), query({ reduce: reduce('avg', p('amount'), by) }), DEFAULT_LIMITS);
    expect(avg.aggregation?.groups).toEqual([
      { key: { event_type: 'Paid' }, value: 4.5 },
      { key: { event_type: 'Refunded' }, value: 7 },
    ]);
    const min = evaluateQuery(shop(), query({ reduce: reduce('min', p('tag'), by) }), DEFAULT_LIMITS);
    expect(min.aggregation?.groups?.map((g) => g.value)).toEqual([null, null]);
    const count = evaluateQuery(shop(), query({ reduce: reduce('count', p('kind'), by) }), DEFAULT_LIMITS);
    expect(count.aggregation?.groups?.map((g) => g.value)).toEqual([3, 1]);
  });

  it('given no matching events, when grouping, then groups is empty and total is 0', () => {
    const r = evaluateQuery(
      shop(),
      query({
        where: cmp('eq', fieldNode('event_type'), 'Nope'),
        reduce: reduce('count', undefined, [groupField(p('kind'))]),
      }),
      DEFAULT_LIMITS,
    );
    expect(r).toEqual({
      aggregation: { type: 'count', groupBy: ['payload.kind'], groups: [] },
      total: 0,
      limit: 100,
      offset: 0,
    });
  });

  it('given more groups than maxGroups, when grouping, then LIMIT_EXCEEDED; exactly maxGroups is fine', () => {
    const by = [groupField(fieldNode('global_position'))];
    const run = (maxGroups: number) =>
      evaluateQuery(shop(), query({ reduce: reduce('count', undefined, by) }), {
        ...DEFAULT_LIMITS,
        maxGroups,
      });
    expect(run(6).aggregation?.groups).toHaveLength(6);
    expect(() => run(5)).toThrow(/maxGroups/);
    try {
      run(5);
    } catch (e) {
      expect(EventLogError.isInstance(e) && e.code).toBe('LIMIT_EXCEEDED');
    }
  });

  it('given collect in groups, when the values over all groups pass maxCollectValues, then LIMIT_EXCEEDED', () => {
    const q = query({ reduce: reduce('collect', p('amount'), [groupField(fieldNode('event_type'))]) });
    expect(evaluateQuery(shop(), q, { ...DEFAULT_LIMITS, maxCollectValues: 6 }).aggregation?.groups).toEqual([
      { key: { event_type: 'Paid' }, value: [10, 5, 1, 2] },
      { key: { event_type: 'Refunded' }, value: ['x', 7] },
    ]);
    expect(() => evaluateQuery(shop(), q, { ...DEFAULT_LIMITS, maxCollectValues: 5 })).toThrow(
      /maxCollectValues/,
    );
  });

  it('given a stream and where, when reducing, then only matches are folded and total counts them', () => {
    nextSeq = new Map();
    const e = [
      ev(1, { n: 1 }, { stream_id: 'a' }),
      ev(2, { n: 2 }, { stream_id: 'b' }),
      ev(3, { n: 3 }, { stream_id: 'a' }),
    ];
    const r = evaluateQuery(
      e,
      query({ stream: 'a', where: cmp('gt', p('n'), 1), reduce: reduce('sum', p('n')) }),
      DEFAULT_LIMITS,
    );
    expect(r).toEqual({
      aggregation: { type: 'sum', field: 'payload.n', value: 3 },
      total: 1,
      limit: 100,
      offset: 0,
    });
  });
});

describe('evaluateQuery over parsed queries', () => {
  function log(): EventRecord[] {
    nextSeq = new Map();
    return [
      ev(
        1,
        { userId: 'u1', duration: 120 },
        { event_type: 'PageView', timestamp: '2024-01-01T09:00:00.000Z' },
      ),
      ev(
        2,
        { userId: 'u2', duration: 30 },
        { event_type: 'PageView', timestamp: '2024-01-01T10:30:00.000Z' },
      ),
      ev(3, { userId: 'u1' }, { event_type: 'Login', timestamp: '2024-01-02T08:00:00.000Z' }),
      ev(
        4,
        { userId: 'u1', duration: 60 },
        { event_type: 'PageView', timestamp: '2024-01-08T00:00:00.000Z' },
      ),
    ];
  }

  it('given the document-style query with aliases and an offset timestamp, when evaluated, then it filters by instant', () => {
    const q = parseQuery({
      from: { instance: 'i1' },
      where: [
        { field: 'eventType', operator: 'eq', value: 'PageView' },
        { field: 'timestamp', operator: 'gte', value: '2024-01-01T11:00:00+01:00' },
      ],
      select: ['payload.userId', 'globalPosition'],
      orderBy: { field: 'payload.duration', direction: 'desc' },
    });
    expect(evaluateQuery(log(), q, DEFAULT_LIMITS)).toEqual({
      events: [
        { global_position: 4, payload: { userId: 'u1' } },
        { global_position: 2, payload: { userId: 'u2' } },
      ],
      total: 2,
      limit: 100,
      offset: 0,
    });
  });

  it('given a grouped time-series reduce, when evaluated, then groups come per day and event type', () => {
    const q = parseQuery({
      from: { instance: 'i1' },
      reduce: {
        type: 'avg',
        field: 'payload.duration',
        groupBy: [{ field: 'timestamp', interval: 'day' }, 'eventType'],
      },
    });
    expect(evaluateQuery(log(), q, DEFAULT_LIMITS).aggregation).toEqual({
      type: 'avg',
      field: 'payload.duration',
      groupBy: [{ field: 'timestamp', interval: 'day' }, 'event_type'],
      groups: [
        { key: { timestamp: '2024-01-01T00:00:00.000Z', event_type: 'PageView' }, value: 75 },
        { key: { timestamp: '2024-01-02T00:00:00.000Z', event_type: 'Login' }, value: null },
        { key: { timestamp: '2024-01-08T00:00:00.000Z', event_type: 'PageView' }, value: 60 },
      ],
    });
  });
});
