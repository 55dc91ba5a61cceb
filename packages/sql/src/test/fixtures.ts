/**
 * Test data and queries for the compiler: a dataset full of type edge cases, hand-written queries
 * for every operator and reduce, and a seeded generator of random valid queries (no dependency:
 * the same seed gives the same queries, so a failure can be replayed).
 */

import type { EventRecord, JsonObject, JsonValue, Query } from '@eventlog/core';

/** The instance every fixture event belongs to. */
export const INSTANCE_ID = 'inst-1';
/** Another instance, whose events must never show up. */
export const OTHER_INSTANCE_ID = 'inst-2';

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Scalars chosen to trip type confusions (0/1 vs booleans, "1" vs 1, "[…" vs arrays) and collations. */
export const SCALARS: readonly (string | number | boolean | null)[] = [
  null,
  true,
  false,
  0,
  1,
  -1,
  2,
  2.5,
  -0.5,
  10,
  100,
  1e21,
  '',
  'a',
  'b',
  'abc',
  'A',
  'Ab',
  'ab%c',
  'a_b',
  'a\\b',
  '1',
  'true',
  'null',
  '[1]',
  '{x}',
  'é',
  'e\u0301',
  '😀',
  '\uffff',
  'zz',
];

const NUMBERS = SCALARS.filter((v): v is number => typeof v === 'number');
const STRINGS = SCALARS.filter((v): v is string => typeof v === 'string');

/** Values of every JSON type, containers included. */
export const VALUES: readonly JsonValue[] = [
  ...SCALARS,
  [],
  [1, 2],
  ['a', 'b'],
  [null],
  [true],
  [1, '1'],
  [0],
  ['[1]'],
  [[1]],
  [{ a: 1 }],
  {},
  { a: 1 },
  { a: 1, b: 2 },
  { b: 2, a: 1 },
];

const STREAMS = ['s1', 's2', 'order-1', 'Order-1', 'é'];
const TYPES = ['Created', 'Updated', 'deleted', 'Ünicode', 'a_b'];
/** Tags of the generated events (sorted by code point in each event, as stored). */
export const TAGS = ['course:c1', 'course:c2', 'student:s1', 'Student:s1', 'é', '%_\\'];

function payloadOf(random: () => number): JsonObject {
  const payload: JsonObject = {};
  if (random() < 0.7) payload.a = pick(random, VALUES);
  if (random() < 0.5) payload.b = pick(random, SCALARS);
  if (random() < 0.6) payload.n = pick(random, NUMBERS);
  if (random() < 0.6) payload.s = pick(random, STRINGS);
  if (random() < 0.5)
    payload.tags = [pick(random, SCALARS), pick(random, SCALARS)].slice(0, 1 + Math.floor(random() * 2));
  if (random() < 0.5) {
    payload.nested =
      random() < 0.8 ? { x: pick(random, VALUES), y: [pick(random, SCALARS), pick(random, VALUES)] } : [1, 2];
  }
  if (random() < 0.1) payload['key-with-dash'] = pick(random, SCALARS);
  return payload;
}

/**
 * Events of {@link INSTANCE_ID} (and a few of {@link OTHER_INSTANCE_ID}), in global position
 * order, with per-stream sequence numbers.
 */
export function makeEvents(count: number, seed = 1): EventRecord[] {
  const random = rng(seed);
  const sequences = new Map<string, number>();
  const events: EventRecord[] = [];
  let time = Date.UTC(2024, 0, 1, 23, 58, 0);
  for (let i = 1; i <= count; i++) {
    const other = random() < 0.1;
    const instanceId = other ? OTHER_INSTANCE_ID : INSTANCE_ID;
    const stream = pick(random, STREAMS);
    const key = `${instanceId}/${stream}`;
    const sequence = (sequences.get(key) ?? 0) + 1;
    sequences.set(key, sequence);
    time += Math.floor(random() * 3) * 17 * 60 * 1000 + Math.floor(random() * 1000);
    const metadata: JsonObject =
      random() < 0.5 ? {} : { m: pick(random, SCALARS), 'x-request-id': `r${i % 3}` };
    const event: EventRecord = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      instanceId,
      stream_id: stream,
      event_type: pick(random, TYPES),
      payload: payloadOf(random),
      metadata,
      timestamp: new Date(time).toISOString(),
      sequence_number: sequence,
      global_position: i,
    };
    if (random() < 0.3) event.eventId = `evt-${i}`;
    if (random() < 0.5) {
      const tags = [...new Set([pick(random, TAGS), pick(random, TAGS)])].sort();
      event.tags = tags;
    }
    events.push(event);
  }
  // An early and a far-future timestamp exercise years 0001–9999 in time buckets.
  const first = events.find((e) => e.instanceId === INSTANCE_ID);
  if (first !== undefined) first.timestamp = '0001-01-01T00:00:00.000Z';
  const last = events.findLast((e) => e.instanceId === INSTANCE_ID);
  if (last !== undefined) last.timestamp = '9999-12-31T23:59:59.999Z';
  return events;
}

const from = { instance: INSTANCE_ID };
const tagged = (value: unknown): Query => ({
  from,
  where: [{ field: 'tags', operator: 'contains', value } as never],
});

/** Hand-written queries covering every operator, ordering, paging, select and reduce. */
export const QUERIES: readonly Query[] = [
  { from },
  { from, limit: 5, offset: 3 },
  { from, limit: 0 },
  { from, offset: 1000 },
  { from: { instance: INSTANCE_ID, stream: 's1' } },
  tagged('course:c1'),
  tagged('%_\\'),
  tagged('nobody'),
  tagged(1),
  { from, where: [{ field: 'tags', operator: 'exists', value: true }] },
  { from, where: [{ field: 'tags', operator: 'exists', value: false }] },
  { from, where: [{ field: 'tags', operator: 'eq', value: 'course:c1' }] },
  { from, where: [{ field: 'tags', operator: 'neq', value: 'course:c1' }] },
  { from, where: [{ not: { field: 'tags', operator: 'contains', value: 'student:s1' } }] },
  {
    from,
    where: [
      {
        or: [
          { field: 'tags', operator: 'contains', value: 'course:c2' },
          { field: 'event_type', operator: 'eq', value: 'Created' },
        ],
      },
    ],
  },
  { from, orderBy: { field: 'tags', direction: 'desc' }, limit: 7 },
  { from, select: ['tags', 'event_type'], limit: 9 },
  { from, reduce: { type: 'count', field: 'tags' } },
  { from, reduce: { type: 'collect', field: 'tags' } },
  { from, reduce: { type: 'max', field: 'tags' } },
  { from, reduce: { type: 'count', groupBy: ['tags'] } },
  {
    from,
    where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }],
    reduce: { type: 'count', groupBy: ['event_type'] },
  },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: 1 }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: true }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: 0 }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: false }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: null }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: '1' }] },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: '[1]' }] },
  { from, where: [{ field: 'payload.a', operator: 'neq', value: 1 }] },
  { from, where: [{ field: 'payload.a', operator: 'neq', value: null }] },
  { from, where: [{ field: 'payload.a', operator: 'gt', value: 0 }] },
  { from, where: [{ field: 'payload.a', operator: 'lte', value: 'b' }] },
  { from, where: [{ field: 'payload.s', operator: 'gt', value: '\uffff' }] },
  { from, where: [{ field: 'payload.s', operator: 'lt', value: 'a' }] },
  { from, where: [{ field: 'payload.a', operator: 'between', value: [0, 2] }] },
  { from, where: [{ field: 'payload.a', operator: 'between', value: ['a', 'b'] }] },
  { from, where: [{ field: 'payload.a', operator: 'in', value: [1, 'a', null, true, '[1]', 0] }] },
  { from, where: [{ field: 'payload.s', operator: 'contains', value: '%' }] },
  { from, where: [{ field: 'payload.s', operator: 'contains', value: '_' }] },
  { from, where: [{ field: 'payload.s', operator: 'contains', value: 'b' }] },
  { from, where: [{ field: 'payload.s', operator: 'contains', value: '' }] },
  { from, where: [{ field: 'payload.a', operator: 'contains', value: 1 }] },
  { from, where: [{ field: 'payload.a', operator: 'contains', value: '1' }] },
  { from, where: [{ field: 'payload.a', operator: 'contains', value: null }] },
  { from, where: [{ field: 'payload.tags', operator: 'contains', value: true }] },
  { from, where: [{ field: 'payload.tags.0', operator: 'exists', value: true }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: 'a' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: 'a%' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: 'a_' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: 'a\\' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: '\uffff' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: '😀' }] },
  { from, where: [{ field: 'payload.s', operator: 'startsWith', value: 'e' }] },
  { from, where: [{ field: 'payload.a', operator: 'startsWith', value: '1' }] },
  { from, where: [{ field: 'payload.a', operator: 'startsWith', value: '[' }] },
  { from, where: [{ not: { field: 'payload.s', operator: 'startsWith', value: 'A' } }] },
  { from, where: [{ field: 'stream_id', operator: 'startsWith', value: 'order-' }] },
  { from, where: [{ field: 'stream_id', operator: 'startsWith', value: 'O' }] },
  { from, where: [{ field: 'event_type', operator: 'startsWith', value: 'a_' }] },
  { from, where: [{ field: 'event_type', operator: 'startsWith', value: 'Ü' }] },
  { from, where: [{ field: 'timestamp', operator: 'startsWith', value: '2024-01-02' }] },
  { from, where: [{ field: 'instanceId', operator: 'startsWith', value: 'inst' }] },
  { from, where: [{ field: 'instanceId', operator: 'startsWith', value: 'x' }] },
  { from, where: [{ field: 'tags', operator: 'startsWith', value: 'course' }] },
  { from, where: [{ field: 'payload', operator: 'startsWith', value: '{' }] },
  { from, where: [{ field: 'sequence_number', operator: 'startsWith', value: '1' }] },
  { from, where: [{ field: 'payload.a', operator: 'exists', value: false }] },
  { from, where: [{ field: 'payload.nested.y.1', operator: 'eq', value: 'a' }] },
  { from, where: [{ field: 'payload.nested.0', operator: 'exists', value: true }] },
  { from, where: [{ field: 'payload.key-with-dash', operator: 'exists', value: true }] },
  { from, where: [{ field: 'metadata.x-request-id', operator: 'eq', value: 'r1' }] },
  { from, where: [{ not: { field: 'payload.a', operator: 'eq', value: 1 } }] },
  {
    from,
    where: [
      {
        or: [
          { field: 'payload.a', operator: 'eq', value: 1 },
          { field: 'payload.b', operator: 'eq', value: 'a' },
        ],
      },
    ],
  },
  {
    from,
    where: [
      {
        not: {
          or: [
            { field: 'payload.n', operator: 'gt', value: 1 },
            { field: 'stream_id', operator: 'eq', value: 's1' },
          ],
        },
      },
    ],
  },
  { from, where: [{ field: 'stream_id', operator: 'in', value: ['s1', 'é', 1] }] },
  { from, where: [{ field: 'stream_id', operator: 'gt', value: 'Order-1' }] },
  { from, where: [{ field: 'stream_id', operator: 'eq', value: 1 }] },
  { from, where: [{ field: 'stream_id', operator: 'neq', value: 1 }] },
  { from, where: [{ field: 'event_type', operator: 'contains', value: 'd' }] },
  { from, where: [{ field: 'sequence_number', operator: 'gt', value: 1.5 }] },
  { from, where: [{ field: 'sequence_number', operator: 'lte', value: 2.5 }] },
  { from, where: [{ field: 'sequence_number', operator: 'eq', value: 1.5 }] },
  { from, where: [{ field: 'sequence_number', operator: 'between', value: [1.5, 3.5] }] },
  { from, where: [{ field: 'global_position', operator: 'lt', value: 1e300 }] },
  { from, where: [{ field: 'global_position', operator: 'gt', value: -1e300 }] },
  { from, where: [{ field: 'global_position', operator: 'in', value: [1, 2, 3, 2.5, 1e20, '3'] }] },
  { from, where: [{ field: 'timestamp', operator: 'gte', value: '2024-01-02T00:00:00Z' }] },
  {
    from,
    where: [{ field: 'timestamp', operator: 'between', value: [1704153600000, '2024-01-03T00:00:00+01:00'] }],
  },
  { from, where: [{ field: 'timestamp', operator: 'contains', value: 'T00' }] },
  { from, where: [{ field: 'instanceId', operator: 'eq', value: INSTANCE_ID }] },
  { from, where: [{ field: 'instanceId', operator: 'neq', value: INSTANCE_ID }] },
  { from, where: [{ field: 'instanceId', operator: 'contains', value: 'inst' }] },
  { from, where: [{ field: 'payload', operator: 'eq', value: 1 }] },
  { from, where: [{ field: 'payload', operator: 'neq', value: 1 }] },
  { from, where: [{ field: 'payload', operator: 'exists', value: true }] },
  { from, where: [{ field: 'id', operator: 'contains', value: '0001' }] },
  { from, orderBy: { field: 'payload.a', direction: 'asc' }, limit: 200 },
  { from, orderBy: { field: 'payload.a', direction: 'desc' }, limit: 200 },
  { from, orderBy: { field: 'payload.s' }, limit: 200 },
  { from, orderBy: { field: 'payload.nested', direction: 'desc' }, limit: 200 },
  { from, orderBy: { field: 'stream_id', direction: 'desc' }, limit: 50, offset: 10 },
  { from, orderBy: { field: 'timestamp', direction: 'desc' }, limit: 7 },
  { from, orderBy: { field: 'global_position', direction: 'desc' }, limit: 7 },
  { from, orderBy: { field: 'instanceId', direction: 'desc' }, limit: 7 },
  { from, orderBy: { field: 'payload', direction: 'desc' }, limit: 7 },
  { from, select: ['event_type', 'payload.a', 'payload.nested.y.1', 'instanceId'], limit: 50 },
  { from, select: ['payload.nested.y.1', 'payload.nested.x'], limit: 50 },
  { from, select: ['metadata'], limit: 5 },
  { from, reduce: { type: 'count' } },
  { from, where: [{ field: 'payload.a', operator: 'eq', value: 'none' }], reduce: { type: 'count' } },
  { from, reduce: { type: 'count', field: 'payload.a' } },
  { from, reduce: { type: 'count', field: 'stream_id' } },
  { from, reduce: { type: 'sum', field: 'payload.a' } },
  { from, reduce: { type: 'sum', field: 'payload.s' } },
  { from, reduce: { type: 'sum', field: 'sequence_number' } },
  { from, reduce: { type: 'sum', field: 'stream_id' } },
  { from, reduce: { type: 'avg', field: 'payload.n' } },
  { from, reduce: { type: 'avg', field: 'payload.s' } },
  { from, reduce: { type: 'min', field: 'payload.a' } },
  { from, reduce: { type: 'max', field: 'payload.a' } },
  { from, reduce: { type: 'min', field: 'payload.s' } },
  { from, reduce: { type: 'max', field: 'payload.s' } },
  { from, reduce: { type: 'max', field: 'payload.tags' } },
  { from, reduce: { type: 'min', field: 'stream_id' } },
  { from, reduce: { type: 'max', field: 'sequence_number' } },
  { from, reduce: { type: 'max', field: 'instanceId' } },
  { from, reduce: { type: 'min', field: 'payload' } },
  { from, reduce: { type: 'collect', field: 'payload.a' } },
  { from, reduce: { type: 'collect', field: 'payload.nested' } },
  { from, reduce: { type: 'collect', field: 'event_type' } },
  { from, reduce: { type: 'collect', field: 'sequence_number' } },
  { from, reduce: { type: 'collect', field: 'instanceId' } },
  { from, limit: 3, reduce: { type: 'collect', field: 'metadata' } },
  { from, reduce: { type: 'count', groupBy: ['event_type'] } },
  { from, reduce: { type: 'count', groupBy: ['eventType', 'streamId'] } },
  { from, reduce: { type: 'count', groupBy: ['payload.b'] } },
  { from, reduce: { type: 'count', groupBy: ['payload.nested.x'] } },
  { from, reduce: { type: 'sum', field: 'payload.n', groupBy: ['payload.s'] } },
  { from, reduce: { type: 'avg', field: 'payload.a', groupBy: ['stream_id'] } },
  { from, reduce: { type: 'min', field: 'payload.a', groupBy: ['event_type'] } },
  { from, reduce: { type: 'collect', field: 'payload.b', groupBy: ['stream_id'] } },
  { from, reduce: { type: 'count', groupBy: ['instanceId'] } },
  { from, reduce: { type: 'count', groupBy: ['instanceId', 'sequence_number'] } },
  {
    from,
    where: [{ field: 'payload.a', operator: 'eq', value: 'none' }],
    reduce: { type: 'count', groupBy: ['instanceId'] },
  },
  { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'minute' }] } },
  { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'hour' }] } },
  { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day' }, 'event_type'] } },
  { from, reduce: { type: 'max', field: 'payload.n', groupBy: [{ field: 'timestamp', interval: 'week' }] } },
  { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'month' }] } },
];

const FIELDS = [
  'payload.a',
  'payload.b',
  'payload.n',
  'payload.s',
  'payload.tags',
  'payload.tags.0',
  'payload.tags.1',
  'payload.nested',
  'payload.nested.x',
  'payload.nested.x.a',
  'payload.nested.y.0',
  'payload.nested.y.1',
  'payload.nested.1',
  'payload.missing',
  'metadata.m',
  'metadata.x-request-id',
  'event_type',
  'stream_id',
  'sequence_number',
  'global_position',
  'timestamp',
  'id',
  'instanceId',
  'payload',
  'metadata',
  'tags',
];

const TIMESTAMPS = [
  '2024-01-02T00:00:00.000Z',
  '2024-01-01T23:59:00Z',
  1704200000000,
  '2024-01-03T12:00:00+02:00',
];

function randomValue(random: () => number, field: string, ordering: boolean): JsonValue {
  if (field === 'timestamp') return pick(random, TIMESTAMPS);
  if (ordering) return random() < 0.5 ? pick(random, NUMBERS) : pick(random, STRINGS);
  if (field === 'stream_id' && random() < 0.6) return pick(random, STREAMS);
  if (field === 'event_type' && random() < 0.6) return pick(random, TYPES);
  if (field === 'instanceId' && random() < 0.5) return INSTANCE_ID;
  if (field === 'tags' && random() < 0.7) return pick(random, TAGS);
  return pick(random, SCALARS);
}

function randomCondition(random: () => number, depth: number): unknown {
  const roll = random();
  if (depth < 2 && roll < 0.12) {
    return { or: [randomCondition(random, depth + 1), randomCondition(random, depth + 1)] };
  }
  if (depth < 2 && roll < 0.2) return { not: randomCondition(random, depth + 1) };
  const field = pick(random, FIELDS);
  const operator = pick(random, [
    'eq',
    'neq',
    'gt',
    'gte',
    'lt',
    'lte',
    'contains',
    'startsWith',
    'in',
    'between',
    'exists',
  ]);
  switch (operator) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { field, operator, value: randomValue(random, field, true) };
    case 'between': {
      const low = randomValue(random, field, true);
      const high =
        field === 'timestamp'
          ? pick(random, TIMESTAMPS)
          : typeof low === 'number'
            ? pick(random, NUMBERS)
            : pick(random, STRINGS);
      return { field, operator, value: [low, high] };
    }
    case 'in':
      return {
        field,
        operator,
        value: [
          randomValue(random, field, false),
          randomValue(random, field, false),
          randomValue(random, field, false),
        ],
      };
    case 'exists':
      return { field, operator, value: random() < 0.5 };
    case 'startsWith': {
      // Usually a prefix of a value the data holds (so ranges match something), sometimes a
      // whole value, sometimes a string of the pool.
      const value = randomValue(random, field, false);
      const text =
        typeof value === 'string' && value !== ''
          ? value
          : pick(
              random,
              STRINGS.filter((v) => v !== ''),
            );
      const points = Array.from(text);
      return { field, operator, value: points.slice(0, 1 + Math.floor(random() * points.length)).join('') };
    }
    case 'contains':
      return { field, operator, value: field === 'timestamp' ? '01' : randomValue(random, field, false) };
    default:
      return { field, operator, value: randomValue(random, field, false) };
  }
}

/** A random query in the DSL; it may be invalid (callers skip those the parser rejects). */
export function randomQuery(random: () => number): Record<string, unknown> {
  const query: Record<string, unknown> = {
    from:
      random() < 0.2 ? { instance: INSTANCE_ID, stream: pick(random, STREAMS) } : { instance: INSTANCE_ID },
  };
  if (random() < 0.8) {
    const n = 1 + Math.floor(random() * 3);
    query.where = Array.from({ length: n }, () => randomCondition(random, 0));
  }
  if (random() < 0.35) {
    const type = pick(random, ['count', 'count', 'sum', 'avg', 'min', 'max', 'collect']);
    const reduce: Record<string, unknown> = { type };
    if (type !== 'count' || random() < 0.5) reduce.field = pick(random, FIELDS);
    if (random() < 0.6) {
      const groupBy: unknown[] = [];
      const n = 1 + Math.floor(random() * 2);
      for (let i = 0; i < n; i++) {
        groupBy.push(
          random() < 0.2
            ? { field: 'timestamp', interval: pick(random, ['minute', 'hour', 'day', 'week', 'month']) }
            : pick(random, FIELDS),
        );
      }
      reduce.groupBy = groupBy;
    }
    query.reduce = reduce;
    return query;
  }
  if (random() < 0.5)
    query.orderBy = { field: pick(random, FIELDS), direction: random() < 0.5 ? 'asc' : 'desc' };
  if (random() < 0.5) query.limit = pick(random, [0, 1, 3, 10, 100, 1000]);
  if (random() < 0.4) query.offset = pick(random, [0, 1, 5, 50, 500]);
  if (random() < 0.25) query.select = [pick(random, FIELDS), pick(random, FIELDS)];
  return query;
}

/** Deep equality where numbers may differ by a relative 1e-9 (sums and averages of doubles). */
export function sameResult(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'number' && typeof expected === 'number') {
    if (actual === expected) return true;
    return Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(actual), Math.abs(expected));
  }
  if (actual === null || expected === null || typeof actual !== 'object' || typeof expected !== 'object') {
    return actual === expected;
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) return false;
  const ka = Object.keys(actual);
  const kb = Object.keys(expected);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(expected, k)) return false;
    if (!sameResult((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}
