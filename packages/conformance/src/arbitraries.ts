/**
 * fast-check arbitraries for the differential tests: awkward events ({@link arbEvents}) and
 * queries drawn from the stored data ({@link arbQuery}). Exported so adapter packages can reuse
 * them in their own property tests.
 */

import {
  type AppendCondition,
  COLUMN_ALIASES,
  type Column,
  type Condition,
  compareCodePoints,
  type EventRecord,
  type FieldNode,
  fieldNode,
  type GroupBy,
  type JsonObject,
  type JsonScalar,
  type JsonValue,
  lookupField,
  MISSING,
  type NewEventInput,
  type Operator,
  type Query,
  type ReduceType,
  type TimeInterval,
} from '@eventlog/core';
import fc from 'fast-check';

// ── values ──────────────────────────────────────────────────────────────────────────────────────

/** Characters that trip up SQL: LIKE metacharacters, quotes, astral code points, U+FFFF, case. */
const CHARS = [
  'a',
  'b',
  'z',
  'A',
  'B',
  'Z',
  '0',
  '1',
  '9',
  ' ',
  '%',
  '_',
  '\\',
  '"',
  "'",
  '-',
  '.',
  '\t',
  '\n',
  'é',
  'ß',
  '€',
  '\u00A0',
  '\uE000',
  '\uFFFD',
  '\uFFFF',
  '😀',
  '𝄞',
  '中',
];

/** Strings chosen to collide across types and collations. */
const AWKWARD_STRINGS = [
  '',
  ' ',
  ' lead',
  'trail ',
  ' both ',
  '0',
  '007',
  '42',
  '-1',
  '1.5',
  '1e3',
  'true',
  'false',
  'null',
  '%',
  '_',
  '\\',
  '%_\\',
  'a%b',
  'a_b',
  'a\\b',
  "O'Brien",
  '"quoted"',
  'alpha',
  'Alpha',
  'ALPHA',
  'alphabet',
  'beta',
  '😀',
  '😀😀',
  '\uFFFF',
  '\uFFFF😀',
  'ü',
  'u\u0308',
];

/** A string with awkward characters, or one of {@link AWKWARD_STRINGS}. */
export const arbAwkwardString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom(...AWKWARD_STRINGS) },
);

/**
 * Numbers: small integers, dyadic fractions (their sums are exact in any order, so `sum`/`avg`
 * compare tightly), and edge values. Large magnitudes are positive only so sums never cancel
 * catastrophically (an order-dependent result no tolerance could judge).
 */
export const arbAwkwardNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 2, arbitrary: fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).map((n) => n / 1024) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -0,
      1,
      -1,
      0.1,
      0.2,
      0.5,
      2.5,
      3,
      10,
      123456.789,
      1e15,
      2 ** 53 - 1,
      1.5e20,
      1e-7,
      Number.MIN_VALUE,
    ),
  },
);

/** A JSON scalar of any type. */
export const arbScalar: fc.Arbitrary<JsonScalar> = fc.oneof(
  { weight: 4, arbitrary: arbAwkwardString },
  { weight: 4, arbitrary: arbAwkwardNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Any JSON type: mostly scalars, sometimes a small array or object (fixed key order). */
export const arbMixed: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 6, arbitrary: arbScalar },
  { weight: 1, arbitrary: fc.array(arbScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ a: arbScalar, b: arbScalar }, { requiredKeys: [] }) },
);

/**
 * Values that look alike across JSON types (1, "1", true, "true", null, "null", …): a path holding
 * them catches every loose comparison (SQLite's 0/1 booleans, numeric text, null vs missing).
 */
export const TWINS: JsonScalar[] = [
  1,
  '1',
  true,
  'true',
  0,
  '0',
  false,
  'false',
  null,
  'null',
  10,
  '10',
  2.5,
  '2.5',
  '',
  ' ',
];

const TAGS = ['red', 'green', 'blue', 'Red', '', '%', '1'];
const OBJECTS: JsonObject[] = [{ a: 1 }, { a: 1, b: 'x' }, { b: 2 }, {}, { a: { c: [1, 2] } }];

/** `payload.deep.d…d.leaf`: 16 segments below `payload`, the deepest path allowed. */
export const DEEP_PATH = ['payload', 'deep', ...Array.from({ length: 14 }, () => 'd'), 'leaf'].join('.');

function deepObject(leaf: JsonScalar): JsonObject {
  let value: JsonObject = { leaf };
  for (let i = 0; i < 14; i++) value = { d: value };
  return value;
}

/**
 * Payloads with fixed key order (object key order is not addressable, and the SQLite adapter
 * groups objects by their text; see docs/architecture.md). Every key may be missing; `s`, `n`,
 * `b` and `m` hold different JSON types across events.
 */
export const arbPayload: fc.Arbitrary<JsonObject> = fc.record(
  {
    s: fc.oneof(
      { weight: 8, arbitrary: arbAwkwardString },
      { weight: 1, arbitrary: arbAwkwardNumber },
      { weight: 1, arbitrary: fc.constantFrom<JsonScalar>(true, null) },
    ),
    n: fc.oneof(
      { weight: 8, arbitrary: arbAwkwardNumber },
      { weight: 1, arbitrary: fc.constantFrom('1', '10', '-1', '') },
      { weight: 1, arbitrary: fc.constantFrom<JsonScalar>(null, false) },
    ),
    b: fc.oneof(fc.boolean(), fc.constantFrom<JsonScalar>(null, 0, 1, 'true')),
    m: arbMixed,
    'k-dash': arbScalar,
    _u: arbAwkwardString,
    nested: fc.record(
      { a: fc.record({ b: arbMixed }, { requiredKeys: [] }), t: arbAwkwardString },
      { requiredKeys: [] },
    ),
    arr: fc.array(arbScalar, { maxLength: 4 }),
    tags: fc.array(fc.oneof(fc.constantFrom(...TAGS), fc.constantFrom<JsonScalar>(1, true, null)), {
      maxLength: 3,
    }),
    obj: fc.constantFrom(...OBJECTS),
    deep: arbScalar.map(deepObject),
    t: fc.constantFrom(...TWINS),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;

/** Metadata, including a key with a dash and one that no path can address. */
export const arbMetadata: fc.Arbitrary<JsonObject> = fc.record(
  {
    source: fc.constantFrom('web', 'Web', 'cli', 'api', ''),
    'x-request-id': arbAwkwardString,
    v: arbMixed,
    'odd key': arbAwkwardString,
  },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;

/**
 * Tags of the generated events (SPEC §8): prefixes that share text (`course:c1`, `course:c10`), case
 * twins, LIKE metacharacters and astral characters, so a substring or case-folding match is caught.
 */
export const EVENT_TAGS = [
  'course:c1',
  'course:c10',
  'course:c2',
  'student:s1',
  'student:s2',
  'Tag',
  'tag',
  'a%b',
  '😀',
];

/** Tags of one generated event: sometimes none, sometimes `[]` (also none), mostly 1–4 distinct ones. */
export const arbTags: fc.Arbitrary<string[] | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant<string[]>([]) },
  { weight: 6, arbitrary: fc.uniqueArray(fc.constantFrom(...EVENT_TAGS), { minLength: 1, maxLength: 4 }) },
);

/** Streams of the generated events (valid names: no control characters). */
export const STREAMS = ['s1', 's2', 'orders-1', 'Stream With Spaces', 'ü', '😀-stream'];
/** Event types of the generated events. */
export const EVENT_TYPES = ['created', 'updated', 'deleted', 'Created', 'a%b', 'x_y'];

/**
 * An append condition over the generated data (SPEC §8): 1–3 items of types and/or tags (some
 * absent from the data), `after` one of `positions` (or omitted).
 */
export function arbAppendCondition(positions: readonly number[]): fc.Arbitrary<AppendCondition> {
  const item = fc
    .record(
      {
        types: fc.uniqueArray(fc.constantFrom(...EVENT_TYPES, 'never-written'), {
          minLength: 1,
          maxLength: 2,
        }),
        tags: fc.uniqueArray(fc.constantFrom(...EVENT_TAGS, 'no-such-tag'), { minLength: 1, maxLength: 2 }),
      },
      { requiredKeys: [] },
    )
    .filter((i) => i.types !== undefined || i.tags !== undefined);
  return fc
    .record({
      failIfEventsMatch: fc.array(item, { minLength: 1, maxLength: 3 }),
      after: fc.option(fc.constantFrom(0, ...positions), { nil: undefined }),
    })
    .map(({ failIfEventsMatch, after }) =>
      after === undefined ? { failIfEventsMatch } : { failIfEventsMatch, after },
    );
}

// ── timestamps ──────────────────────────────────────────────────────────────────────────────────

const YEAR_1 = -62_135_596_800_000;
const END_OF_9999 = 253_402_300_799_999;
const DENSE_START = Date.UTC(2024, 0, 1, 10);

/** Instants on bucket edges: Sunday/Monday, month ends, leap days, the epoch, years 0001 and 9999. */
const EDGE_INSTANTS = [
  Date.UTC(2023, 11, 31, 23, 59, 59, 999),
  Date.UTC(2024, 0, 1),
  Date.UTC(2024, 0, 7, 23, 59, 59, 999),
  Date.UTC(2024, 0, 8),
  Date.UTC(2024, 1, 29, 12),
  Date.UTC(2024, 2, 1),
  Date.UTC(2000, 1, 29),
  Date.UTC(1999, 11, 31, 23, 59, 59, 999),
  0,
  -1,
  YEAR_1,
  YEAR_1 + 3 * 86_400_000,
  END_OF_9999,
];

/** An instant: spread over years, dense in one hour (shared buckets), or on an edge. */
export const arbInstant: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: Date.UTC(2019, 0, 1), max: Date.UTC(2026, 11, 31) }) },
  { weight: 3, arbitrary: fc.integer({ min: DENSE_START, max: DENSE_START + 3_600_000 }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_INSTANTS) },
);

const OFFSETS: Array<[number, boolean]> = [
  [330, true],
  [-480, true],
  [0, true],
  [60, false],
  [-570, false],
  [840, true],
];

/** Formats an instant as ISO with a UTC offset (`±HH:MM`, or `±HHMM` without the colon). */
export function isoWithOffset(ms: number, offsetMinutes: number, colon = true): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString();
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local.slice(0, -1)}${sign}${hh}${colon ? ':' : ''}${mm}`;
}

/** True when an instant and every offset of it stay within years 1000–9000 (safe to spell with offsets). */
function offsetSafe(ms: number): boolean {
  return ms > Date.UTC(1000, 0, 2) && ms < Date.UTC(9000, 0, 1);
}

/** An instant spelled as epoch ms, ISO with Z, or ISO with an offset. */
export function arbTimestampSpelling(ms: number): fc.Arbitrary<string | number> {
  const spellings: fc.Arbitrary<string | number>[] = [
    fc.constant(ms),
    fc.constant(new Date(ms).toISOString()),
  ];
  if (offsetSafe(ms)) {
    spellings.push(fc.constantFrom(...OFFSETS).map(([off, colon]) => isoWithOffset(ms, off, colon)));
  }
  return fc.oneof(...spellings);
}

/** A timestamp input: usually given (any spelling), rarely left to default to now. */
export const arbTimestampInput: fc.Arbitrary<string | number | undefined> = fc.oneof(
  { weight: 19, arbitrary: arbInstant.chain(arbTimestampSpelling) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

// ── events ──────────────────────────────────────────────────────────────────────────────────────

/** Options of {@link arbEvents}. */
export interface ArbEventsOptions {
  /** Default 60. */
  minLength?: number;
  /** Default 150. */
  maxLength?: number;
}

/** One generated event input (the eventId, when any, is assigned by {@link arbEvents}). */
export const arbEvent: fc.Arbitrary<NewEventInput & { withEventId: boolean }> = fc
  .record({
    stream: fc.constantFrom(...STREAMS),
    type: fc.constantFrom(...EVENT_TYPES),
    payload: arbPayload,
    metadata: fc.option(arbMetadata, { nil: undefined }),
    timestamp: arbTimestampInput,
    snake: fc.boolean(),
    withEventId: fc.boolean(),
    tags: arbTags,
  })
  .map(({ stream, type, payload, metadata, timestamp, snake, withEventId, tags }) => {
    const event: NewEventInput & { withEventId: boolean } = snake
      ? { stream_id: stream, event_type: type, payload, withEventId }
      : { streamId: stream, eventType: type, payload, withEventId };
    if (metadata !== undefined) event.metadata = metadata;
    if (timestamp !== undefined) event.timestamp = timestamp;
    if (tags !== undefined) event.tags = tags;
    return event;
  });

/**
 * 60–150 event inputs with awkward data: strings with astral characters, U+FFFF, `%`, `_`, `\`,
 * quotes, empty and space-padded strings, digit strings; numbers of every kind; booleans; null;
 * nested objects; arrays of mixed scalars; missing fields; one path holding several JSON types;
 * several streams and types; timestamps across years, months and weeks in every spelling; tags
 * ({@link EVENT_TAGS}) on most events. About half carry a unique eventId.
 */
export function arbEvents(options: ArbEventsOptions = {}): fc.Arbitrary<NewEventInput[]> {
  return fc
    .array(arbEvent, { minLength: options.minLength ?? 60, maxLength: options.maxLength ?? 150, size: 'max' })
    .map((events) =>
      events.map(({ withEventId, ...event }, i) => (withEventId ? { ...event, eventId: `evt-${i}` } : event)),
    );
}

// ── queries ─────────────────────────────────────────────────────────────────────────────────────

/** Every field a generated query may name: columns, aliases, payload and metadata paths. */
export const QUERY_FIELDS = [
  'id',
  'instanceId',
  'stream_id',
  'streamId',
  'event_type',
  'eventType',
  'timestamp',
  'sequence_number',
  'sequenceNumber',
  'global_position',
  'globalPosition',
  'payload',
  'metadata',
  'tags',
  'payload.s',
  'payload.n',
  'payload.b',
  'payload.m',
  'payload.t',
  'payload.k-dash',
  'payload._u',
  'payload.nested',
  'payload.nested.a',
  'payload.nested.a.b',
  'payload.nested.t',
  'payload.arr',
  'payload.arr.0',
  'payload.arr.1',
  'payload.arr.3',
  'payload.tags',
  'payload.tags.0',
  'payload.obj',
  'payload.obj.a',
  'payload.obj.a.c.1',
  DEEP_PATH,
  'metadata.source',
  'metadata.x-request-id',
  'metadata.v',
  // Missing everywhere, or addressing the wrong container type.
  'payload.nope',
  'payload.s.0',
  'payload.arr.x',
  'payload.nested.a.b.c',
  'payload.m.0',
  'payload.m.a',
  'payload.tags.7',
  'metadata.nope',
] as const;

/** Fields most `where` conditions use: the ones with varied, comparable values. */
const HOT_FIELDS = [
  'payload.t',
  'payload.s',
  'payload.n',
  'payload.m',
  'payload.b',
  'payload.arr',
  'payload.tags',
  // Twice: the field of consistency boundaries gets its share of generated conditions.
  'tags',
  'tags',
  'payload.nested.a.b',
  'timestamp',
  'event_type',
  'stream_id',
  'sequence_number',
  'metadata.source',
];

const OPERATORS: Operator[] = [
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
];
const REDUCE_TYPES: ReduceType[] = ['count', 'sum', 'avg', 'min', 'max', 'collect'];
const INTERVALS: TimeInterval[] = ['minute', 'hour', 'day', 'week', 'month'];
/** `contains` values that a LIKE-based or case-folding implementation gets wrong. */
const CONTAINS_NEEDLES: JsonScalar[] = [
  '%',
  '_',
  '\\',
  '%%',
  'a_',
  '_a',
  '%a',
  'a%',
  '_b',
  'A',
  'a',
  'B',
  'ALPHA',
  'alpha',
  'Alpha',
  'é',
  '',
  "'",
  '"',
  ' ',
  1,
  true,
  null,
];

/** `startsWith` prefixes that LIKE, case folding or UTF-16 ordering get wrong. */
const PREFIX_NEEDLES: string[] = [
  '%',
  '_',
  '\\',
  'a%',
  'a_',
  'A',
  'a',
  'é',
  'e',
  '\uFFFF',
  '😀',
  '\u{10FFFF}',
  ' ',
];

const RANDOM_SCALARS: JsonScalar[] = [
  0,
  1,
  -1,
  2.5,
  1e15,
  true,
  false,
  null,
  '',
  '1',
  'a',
  'A',
  '%',
  '_',
  '\\',
  '😀',
  '\uFFFF',
];
const RANDOM_ORDERED: Array<number | string> = [
  0,
  1,
  -1,
  2.5,
  1e15,
  -1e6,
  '',
  '1',
  'a',
  'A',
  'm',
  '%',
  '😀',
  '\uFFFF',
];

/** Parses a field name of {@link QUERY_FIELDS} into its node (aliases to canonical columns). */
export function toFieldNode(name: string): FieldNode {
  const [head = '', ...rest] = name.split('.');
  const column = (COLUMN_ALIASES[head] ?? head) as Column;
  return fieldNode(
    column,
    rest.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment)),
  );
}

/** The canonical name of a field or groupBy entry (aliases resolved; a time bucket is `timestamp`). */
export function canonicalKey(entry: GroupBy): string {
  return typeof entry === 'string' ? toFieldNode(entry).name : entry.field;
}

/** The values a field holds across the stored events, by kind. */
interface FieldPool {
  scalars: JsonScalar[];
  numbers: number[];
  strings: string[];
  elements: JsonScalar[];
}

/** Precomputed value pools of one dataset, shared by every query generated from it. */
export interface QueryPool {
  readonly events: readonly EventRecord[];
  readonly fields: ReadonlyMap<string, FieldPool>;
  readonly streams: readonly string[];
  readonly instants: readonly number[];
}

const pools = new WeakMap<readonly EventRecord[], QueryPool>();

/** Builds (once per events array) the value pools {@link arbQuery} draws from. */
export function queryPool(events: readonly EventRecord[]): QueryPool {
  const cached = pools.get(events);
  if (cached) return cached;
  const fields = new Map<string, FieldPool>();
  for (const name of QUERY_FIELDS) {
    const node = toFieldNode(name);
    const pool: FieldPool = { scalars: [], numbers: [], strings: [], elements: [] };
    for (const event of events) {
      const value = lookupField(event as unknown as Record<string, unknown>, node);
      if (value === MISSING) continue;
      if (Array.isArray(value)) {
        for (const e of value) if (e === null || typeof e !== 'object') pool.elements.push(e);
      } else if (value === null || typeof value !== 'object') {
        pool.scalars.push(value);
        if (typeof value === 'number') pool.numbers.push(value);
        if (typeof value === 'string') pool.strings.push(value);
      }
    }
    fields.set(name, pool);
  }
  const pool: QueryPool = {
    events,
    fields,
    streams: [...new Set(events.map((e) => e.stream_id))],
    instants: events.map((e) => Date.parse(e.timestamp)),
  };
  pools.set(events, pool);
  return pool;
}

function fromData<T>(data: readonly T[], fallback: readonly T[], dataWeight = 3): fc.Arbitrary<T> {
  if (data.length === 0) return fc.constantFrom(...fallback);
  return fc.oneof(
    { weight: dataWeight, arbitrary: fc.constantFrom(...data) },
    { weight: 1, arbitrary: fc.constantFrom(...fallback) },
  );
}

/** A substring of `s` by code points (never splitting a surrogate pair). */
function arbSubstring(strings: readonly string[]): fc.Arbitrary<string> {
  if (strings.length === 0) return fc.constantFrom('%', '_', '\\', '', 'a');
  return fc.tuple(fc.constantFrom(...strings), fc.nat(), fc.nat()).map(([s, i, j]) => {
    const cps = [...s];
    const a = cps.length === 0 ? 0 : i % (cps.length + 1);
    const b = cps.length === 0 ? 0 : j % (cps.length + 1);
    return cps.slice(Math.min(a, b), Math.max(a, b)).join('');
  });
}

/** A non-empty prefix (whole code points) of a non-empty string of the data, sometimes the whole string. */
function arbPrefix(strings: readonly string[]): fc.Arbitrary<string> {
  const candidates = strings.filter((s) => s !== '');
  if (candidates.length === 0) return fc.constantFrom(...PREFIX_NEEDLES);
  return fc.tuple(fc.constantFrom(...candidates), fc.nat()).map(([s, i]) => {
    const cps = [...s];
    return cps.slice(0, 1 + (i % cps.length)).join('');
  });
}

/** An instant from the data (or one millisecond after it), or a random one. */
function arbTimestampInstant(pool: QueryPool): fc.Arbitrary<number> {
  if (pool.instants.length === 0) return arbInstant;
  const data = fc.constantFrom(...pool.instants);
  return fc.oneof(
    { weight: 3, arbitrary: data },
    { weight: 1, arbitrary: data.map((ms) => Math.min(ms + 1, END_OF_9999)) },
    { weight: 1, arbitrary: arbInstant },
  );
}

function arbTimestampValue(pool: QueryPool): fc.Arbitrary<string | number> {
  return arbTimestampInstant(pool).chain(arbTimestampSpelling);
}

/** Two timestamp bounds, usually low ≤ high, each in any spelling. */
function arbTimestampBounds(pool: QueryPool): fc.Arbitrary<[string | number, string | number]> {
  return fc.tuple(arbTimestampInstant(pool), arbTimestampInstant(pool), fc.nat(9)).chain(([a, b, r]) => {
    const [low, high] = r < 8 ? [Math.min(a, b), Math.max(a, b)] : [a, b];
    return fc.tuple(arbTimestampSpelling(low), arbTimestampSpelling(high));
  });
}

function arbOrdered(fp: FieldPool): fc.Arbitrary<number | string> {
  const data: Array<number | string> = [...fp.numbers, ...fp.strings];
  return fromData(data, RANDOM_ORDERED);
}

function arbBetween(fp: FieldPool): fc.Arbitrary<[number, number] | [string, string]> {
  const nums = fromData(fp.numbers, [0, 1, -1, 2.5, 1000]);
  const strs = fromData(fp.strings, ['', 'a', 'm', 'z', '😀']);
  // Usually low <= high (so ranges match something); sometimes reversed, which matches nothing.
  return fc.oneof(
    fc
      .tuple(nums, nums, fc.nat(9))
      .map(([a, b, r]): [number, number] => (r < 8 ? [Math.min(a, b), Math.max(a, b)] : [a, b])),
    fc
      .tuple(strs, strs, fc.nat(9))
      .map(([a, b, r]): [string, string] => (r < 8 && compareCodePoints(a, b) > 0 ? [b, a] : [a, b])),
  );
}

function arbLeaf(pool: QueryPool, fields: readonly string[]): fc.Arbitrary<Condition> {
  return fc.constantFrom(...fields).chain((field) => {
    const fp = pool.fields.get(field) ?? { scalars: [], numbers: [], strings: [], elements: [] };
    const isTimestamp = toFieldNode(field).name === 'timestamp';
    const scalar = isTimestamp
      ? arbTimestampValue(pool)
      : fc.oneof(
          { weight: 4, arbitrary: fromData<JsonScalar>(fp.scalars, RANDOM_SCALARS, 6) },
          { weight: 1, arbitrary: fc.constantFrom(...TWINS) },
        );
    return fc.constantFrom(...OPERATORS).chain((operator): fc.Arbitrary<Condition> => {
      const make = (value: fc.Arbitrary<unknown>) =>
        value.map((v) => ({ field, operator, value: v }) as Condition);
      switch (operator) {
        case 'eq':
        case 'neq':
          return make(scalar);
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          return make(isTimestamp ? arbTimestampValue(pool) : arbOrdered(fp));
        case 'between':
          return make(isTimestamp ? arbTimestampBounds(pool) : arbBetween(fp));
        case 'contains':
          return make(
            isTimestamp
              ? arbSubstring(pool.events.map((e) => e.timestamp))
              : fc.oneof(
                  { weight: 3, arbitrary: arbSubstring(fp.strings) },
                  {
                    weight: fp.elements.length > 0 ? 3 : 1,
                    arbitrary: fromData<JsonScalar>(fp.elements, TWINS),
                  },
                  { weight: 2, arbitrary: fc.constantFrom<JsonScalar>(...CONTAINS_NEEDLES) },
                ),
          );
        case 'startsWith':
          return make(
            isTimestamp
              ? arbPrefix(pool.events.map((e) => e.timestamp))
              : fc.oneof(
                  { weight: 4, arbitrary: arbPrefix(fp.strings) },
                  { weight: 1, arbitrary: fc.constantFrom(...PREFIX_NEEDLES) },
                ),
          );
        case 'in':
          return make(fc.array(scalar, { minLength: 1, maxLength: 5 }));
        case 'exists':
          return make(fc.boolean());
      }
    });
  });
}

function arbCondition(pool: QueryPool, depth: number): fc.Arbitrary<Condition> {
  const leaf = fc.oneof(
    { weight: 3, arbitrary: arbLeaf(pool, HOT_FIELDS) },
    { weight: 1, arbitrary: arbLeaf(pool, QUERY_FIELDS) },
  );
  if (depth <= 0) return leaf;
  const inner = arbCondition(pool, depth - 1);
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((or) => ({ or })) },
    { weight: 1, arbitrary: inner.map((not) => ({ not })) },
  );
}

/** Fields worth aggregating: numeric-ish, mixed, strings, columns, whole objects, missing. */
const REDUCE_FIELDS = [
  'payload.t',
  'payload.n',
  'payload.n',
  'payload.m',
  'payload.s',
  'payload.b',
  'payload.arr.0',
  'payload.nested.a.b',
  'payload.obj',
  'payload.tags',
  'tags',
  'sequence_number',
  'globalPosition',
  'timestamp',
  'event_type',
  'metadata.v',
  'payload.nope',
  DEEP_PATH,
];

/** Fields worth grouping by (low and high cardinality, mixed types, objects, missing). */
const GROUP_FIELDS = [
  'payload.t',
  'event_type',
  'eventType',
  'stream_id',
  'payload.b',
  'payload.tags.0',
  'tags',
  'payload.obj',
  'payload.m',
  'payload.s',
  'metadata.source',
  'payload.nope',
  'payload.nested.a',
  'sequence_number',
];

function arbGroupBy(): fc.Arbitrary<GroupBy[]> {
  const entry: fc.Arbitrary<GroupBy> = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...GROUP_FIELDS) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...INTERVALS).map((interval) => ({ field: 'timestamp', interval })),
    },
  );
  return fc.uniqueArray(entry, { minLength: 1, maxLength: 2, selector: canonicalKey });
}

function arbReduce(): fc.Arbitrary<NonNullable<Query['reduce']>> {
  return fc
    .record({
      // count twice as often: with a field it has its own null rule, without one it counts events.
      type: fc.constantFrom<ReduceType>('count', ...REDUCE_TYPES),
      field: fc.constantFrom(...REDUCE_FIELDS),
      countField: fc.nat(2).map((n) => n !== 0),
      groupBy: sometimes(arbGroupBy(), 3, 2),
    })
    .map(({ type, field, countField, groupBy }) => {
      const reduce: NonNullable<Query['reduce']> = { type };
      if (type !== 'count' || countField) reduce.field = field;
      if (groupBy !== undefined) reduce.groupBy = groupBy;
      return reduce;
    });
}

/** `undefined` one time in `1 + weight`, otherwise a value. */
function sometimes<T>(
  arb: fc.Arbitrary<T>,
  presentWeight: number,
  absentWeight = 1,
): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: absentWeight, arbitrary: fc.constant(undefined) },
    { weight: presentWeight, arbitrary: arb },
  );
}

/**
 * A valid query over `events` (one instance's stored records), referencing the instance as
 * `instance`: where with every operator and `or`/`not`/`exists` over columns, aliases, payload
 * and metadata paths (with values drawn from the data and random ones), select, orderBy on
 * mixed-type fields, limit/offset, and reduce of every type with groupBy on fields and time
 * buckets.
 */
export function arbQuery(events: readonly EventRecord[], instance: string): fc.Arbitrary<Query> {
  const pool = queryPool(events);
  return fc
    .record({
      stream: sometimes(fc.constantFrom(...pool.streams, 'no-such-stream'), 1, 6),
      where: sometimes(
        fc.oneof(
          { weight: 5, arbitrary: fc.array(arbCondition(pool, 2), { minLength: 1, maxLength: 1 }) },
          { weight: 2, arbitrary: fc.array(arbCondition(pool, 2), { minLength: 2, maxLength: 3 }) },
        ),
        5,
      ),
      select: sometimes(
        fc.uniqueArray(fc.constantFrom(...QUERY_FIELDS), { minLength: 1, maxLength: 4 }),
        1,
        3,
      ),
      orderBy: sometimes(
        fc.record({
          field: fc.oneof(fc.constantFrom(...HOT_FIELDS), fc.constantFrom(...QUERY_FIELDS)),
          direction: fc.constantFrom<'asc' | 'desc' | undefined>('asc', 'desc', undefined),
        }),
        3,
        2,
      ),
      limit: sometimes(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(0, 1, 5)), 2),
      offset: sometimes(
        fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) },
          { weight: 1, arbitrary: fc.integer({ min: 0, max: 170 }) },
        ),
        1,
        2,
      ),
      reduce: sometimes(arbReduce(), 4, 5),
    })
    .map(({ stream, where, select, orderBy, limit, offset, reduce }) => {
      const query: Query = { from: stream === undefined ? { instance } : { instance, stream } };
      if (where !== undefined) query.where = where;
      if (select !== undefined) query.select = select;
      if (orderBy !== undefined) {
        query.orderBy = orderBy.direction === undefined ? { field: orderBy.field } : orderBy;
      }
      if (limit !== undefined) query.limit = limit;
      if (offset !== undefined) query.offset = offset;
      if (reduce !== undefined) query.reduce = reduce;
      return query;
    });
}

/**
 * The features a query exercises (`op:contains`, `or`, `bucket:week`, `reduce:avg`, …), for
 * asserting that the generated queries cover the whole DSL.
 */
export function queryFeatures(query: Query): string[] {
  const features = new Set<string>();
  const field = (name: string) => {
    if (name in COLUMN_ALIASES) features.add('alias');
    if (name.startsWith('payload.') || name.startsWith('metadata.')) features.add('path');
    if (/\.\d+(\.|$)/.test(name)) features.add('index');
    if (name === 'timestamp') features.add('timestamp');
    if (name === 'tags') features.add('tags');
  };
  const walk = (c: Condition) => {
    if ('or' in c) {
      features.add('or');
      c.or.forEach(walk);
    } else if ('not' in c) {
      features.add('not');
      walk(c.not);
    } else {
      features.add(`op:${c.operator}`);
      field(c.field);
      if (c.field === 'timestamp') {
        for (const v of Array.isArray(c.value) ? c.value : [c.value]) {
          features.add(`timestamp:${typeof v === 'number' ? 'ms' : 'iso'}`);
        }
      }
    }
  };
  if (query.from.stream !== undefined) features.add('stream');
  query.where?.forEach(walk);
  if (query.select) {
    features.add('select');
    query.select.forEach(field);
  }
  if (query.orderBy) {
    features.add(`orderBy:${query.orderBy.direction ?? 'default'}`);
    field(query.orderBy.field);
  }
  if (query.limit !== undefined) features.add('limit');
  if (query.offset !== undefined && query.offset > 0) features.add('offset');
  if (query.reduce) {
    features.add(`reduce:${query.reduce.type}`);
    if (query.reduce.field === undefined) features.add('reduce:noField');
    for (const g of query.reduce.groupBy ?? []) {
      features.add(typeof g === 'string' ? 'groupBy:field' : `bucket:${g.interval}`);
    }
    if ((query.reduce.groupBy?.length ?? 0) > 1) features.add('groupBy:multi');
  }
  return [...features];
}

/** Features the generated queries must cover in every differential run. */
export const REQUIRED_FEATURES = [
  ...OPERATORS.map((o) => `op:${o}`),
  'or',
  'not',
  'stream',
  'alias',
  'path',
  'index',
  'timestamp:ms',
  'timestamp:iso',
  'tags',
  'select',
  'orderBy:asc',
  'orderBy:desc',
  'orderBy:default',
  'limit',
  'offset',
  ...REDUCE_TYPES.map((t) => `reduce:${t}`),
  'reduce:noField',
  'groupBy:field',
  'groupBy:multi',
  ...INTERVALS.map((i) => `bucket:${i}`),
];

// ── systematic sweep ────────────────────────────────────────────────────────────────────────────

/** Fields whose values mix JSON types, swept with every look-alike value. */
export const SWEEP_FIELDS = [
  'payload.t',
  'payload.b',
  'payload.s',
  'payload.n',
  'payload.tags',
  'payload.arr',
  'tags',
];

/** String fields swept with every {@link CONTAINS_NEEDLES} value. */
const NEEDLE_FIELDS = ['payload.s', 'payload._u', 'metadata.x-request-id'];

/**
 * Queries that pin type strictness down systematically rather than by chance: every look-alike
 * value ({@link TWINS}) with `eq`, `neq`, `in`, `contains`, `gt` and `lte` on the mixed-type
 * fields, every awkward `contains` needle on the string fields, every aggregation, a group-by and
 * a descending order on each mixed-type field, and every time bucket. `part`/`parts` split the
 * filters across datasets.
 */
export function sweepQueries(instance: string, part = 0, parts = 1): Query[] {
  const from = { instance };
  const filters: Query[] = [];
  for (const field of SWEEP_FIELDS) {
    for (const value of TWINS) {
      const select = ['id', field];
      filters.push({ from, select, where: [{ field, operator: 'eq', value }] });
      filters.push({ from, select, where: [{ field, operator: 'neq', value }] });
      filters.push({ from, select, where: [{ field, operator: 'in', value: [value] }] });
      filters.push({ from, select, where: [{ field, operator: 'contains', value }] });
      if (typeof value === 'number' || typeof value === 'string') {
        filters.push({ from, select, where: [{ field, operator: 'gt', value }] });
        filters.push({ from, select, where: [{ field, operator: 'lte', value }] });
      }
    }
  }
  for (const field of NEEDLE_FIELDS) {
    for (const value of CONTAINS_NEEDLES) {
      filters.push({ from, select: ['id', field], where: [{ field, operator: 'contains', value }] });
    }
  }
  for (const field of [...NEEDLE_FIELDS, 'payload.t', 'stream_id', 'event_type', 'tags']) {
    for (const value of PREFIX_NEEDLES) {
      filters.push({ from, select: ['id', field], where: [{ field, operator: 'startsWith', value }] });
    }
  }
  for (const value of [...EVENT_TAGS, 'course', 'c1', 'TAG']) {
    filters.push({ from, select: ['id', 'tags'], where: [{ field: 'tags', operator: 'contains', value }] });
  }
  filters.push({
    from,
    select: ['id', 'tags'],
    where: [
      { field: 'tags', operator: 'contains', value: 'course:c1' },
      { field: 'tags', operator: 'contains', value: 'student:s1' },
    ],
  });
  const aggregations: Query[] = [];
  for (const field of SWEEP_FIELDS) {
    for (const type of REDUCE_TYPES) aggregations.push({ from, reduce: { type, field } });
    aggregations.push({ from, reduce: { type: 'count', groupBy: [field] } });
    aggregations.push({ from, reduce: { type: 'sum', field: 'payload.n', groupBy: [field] } });
    aggregations.push({ from, orderBy: { field, direction: 'desc' }, select: ['id', field], limit: 200 });
  }
  for (const interval of INTERVALS) {
    const bucket = { field: 'timestamp', interval };
    aggregations.push({ from, reduce: { type: 'count', groupBy: [bucket] } });
    aggregations.push({ from, reduce: { type: 'avg', field: 'payload.n', groupBy: [bucket] } });
    aggregations.push({
      from,
      reduce: { type: 'count', field: 'payload.t', groupBy: ['event_type', bucket] },
    });
  }
  // Aggregations are few and cheap: every dataset runs them; filters are split across datasets.
  return [...filters.filter((_, i) => i % parts === part % parts), ...aggregations];
}
