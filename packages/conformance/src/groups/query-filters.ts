/**
 * `where`: every operator, type-strict comparisons, paths, aliases, timestamps and the `or` /
 * `not` / `exists` extensions (SPEC §4), on the hand-written filter fixture.
 */

import type { Condition, Operator } from '@eventlog/core';
import { beforeAll, expect, test } from 'vitest';
import { type ContextHolder, expectOk, useContext } from '../context.js';
import { ALL_FILTER_LABELS, allBut, FILTER_EVENTS, type Fixture, labels, seedFixture } from '../fixtures.js';

interface FilterCase {
  title: string;
  where: Condition[] | ((f: Fixture) => Condition[]);
  expected: string[];
  stream?: string;
}

/** A field condition. */
const c = (field: string, operator: Operator, value: unknown): Condition => ({ field, operator, value });

/** Expected labels are derived by hand from the table in `FILTER_EVENTS`. */
const CASES: FilterCase[] = [
  // eq / neq: same JSON type only; null is not missing; neq matches missing.
  {
    title: 'payload.v eq 1 (not true, not "1", not [1])',
    where: [c('payload.v', 'eq', 1)],
    expected: ['e1'],
  },
  { title: 'payload.v eq true', where: [c('payload.v', 'eq', true)], expected: ['e2'] },
  { title: 'payload.v eq "1"', where: [c('payload.v', 'eq', '1')], expected: ['e3'] },
  { title: 'payload.v eq null (not missing)', where: [c('payload.v', 'eq', null)], expected: ['e4'] },
  { title: 'payload.v eq 0 (not false)', where: [c('payload.v', 'eq', 0)], expected: ['e9'] },
  { title: 'payload.v eq false (not 0)', where: [c('payload.v', 'eq', false)], expected: ['e10'] },
  {
    title: 'payload.v neq 1 (matches missing, arrays, objects)',
    where: [c('payload.v', 'neq', 1)],
    expected: allBut('e1'),
  },
  {
    title: 'payload.v neq null (matches missing)',
    where: [c('payload.v', 'neq', null)],
    expected: allBut('e4'),
  },
  {
    title: 'payload.nope neq "x" (missing everywhere)',
    where: [c('payload.nope', 'neq', 'x')],
    expected: ALL_FILTER_LABELS,
  },
  { title: 'payload.nope eq null', where: [c('payload.nope', 'eq', null)], expected: [] },
  { title: 'payload.s eq ""', where: [c('payload.s', 'eq', '')], expected: ['e6'] },
  { title: 'payload.n eq 10 (not "10")', where: [c('payload.n', 'eq', 10)], expected: ['e4', 'e10'] },
  { title: 'payload.n eq "10"', where: [c('payload.n', 'eq', '10')], expected: ['e9'] },
  { title: 'payload.n eq 10.0 equals 10', where: [c('payload.n', 'eq', 10.0)], expected: ['e4', 'e10'] },
  // gt / gte / lt / lte: numbers numerically, strings by code point, other types never.
  { title: 'payload.v gt 0 (numbers only)', where: [c('payload.v', 'gt', 0)], expected: ['e1', 'e6'] },
  { title: 'payload.v gte 0', where: [c('payload.v', 'gte', 0)], expected: ['e1', 'e6', 'e9'] },
  { title: 'payload.v lt 1', where: [c('payload.v', 'lt', 1)], expected: ['e9'] },
  { title: 'payload.v lte 1', where: [c('payload.v', 'lte', 1)], expected: ['e1', 'e9'] },
  { title: 'payload.n gt 2.5', where: [c('payload.n', 'gt', 2.5)], expected: ['e4', 'e10'] },
  { title: 'payload.n gte 2.5', where: [c('payload.n', 'gte', 2.5)], expected: ['e4', 'e5', 'e10'] },
  { title: 'payload.n lt 0', where: [c('payload.n', 'lt', 0)], expected: ['e6'] },
  { title: 'payload.n gt "1" (strings only)', where: [c('payload.n', 'gt', '1')], expected: ['e9'] },
  {
    title: 'payload.s gt "a" (code point order: uppercase and empty are smaller)',
    where: [c('payload.s', 'gt', 'a')],
    expected: ['e1', 'e2', 'e3', 'e4', 'e7', 'e8', 'e9', 'e10'],
  },
  { title: 'payload.s lt "a"', where: [c('payload.s', 'lt', 'a')], expected: ['e5', 'e6'] },
  {
    title: 'payload.s gte "alpha" ("a_b" and "a%b" sort below)',
    where: [c('payload.s', 'gte', 'alpha')],
    expected: ['e1', 'e4', 'e7', 'e8', 'e9', 'e10'],
  },
  {
    title: 'payload.s gt "\\uFFFF" (astral sorts above U+FFFF)',
    where: [c('payload.s', 'gt', '\uFFFF')],
    expected: ['e9'],
  },
  {
    title: 'payload.s lt "😀" (U+FFFF sorts below astral)',
    where: [c('payload.s', 'lt', '😀')],
    expected: allBut('e9'),
  },
  // contains: literal substring, case-sensitive; array element; nothing else.
  {
    title: 'payload.s contains "alpha" (case-sensitive)',
    where: [c('payload.s', 'contains', 'alpha')],
    expected: ['e1', 'e10'],
  },
  { title: 'payload.s contains "A"', where: [c('payload.s', 'contains', 'A')], expected: ['e5'] },
  { title: 'payload.s contains "%" (literal)', where: [c('payload.s', 'contains', '%')], expected: ['e3'] },
  {
    title: 'payload.s contains "a%" (literal, not a LIKE pattern)',
    where: [c('payload.s', 'contains', 'a%')],
    expected: ['e3'],
  },
  { title: 'payload.s contains "_" (literal)', where: [c('payload.s', 'contains', '_')], expected: ['e2'] },
  { title: 'payload.s contains "\\" (literal)', where: [c('payload.s', 'contains', '\\')], expected: ['e4'] },
  { title: 'payload.s contains "😀"', where: [c('payload.s', 'contains', '😀')], expected: ['e7', 'e9'] },
  {
    title: 'payload.s contains "" (every string)',
    where: [c('payload.s', 'contains', '')],
    expected: ALL_FILTER_LABELS,
  },
  { title: 'payload.pct contains "%"', where: [c('payload.pct', 'contains', '%')], expected: ['e1'] },
  {
    title: 'payload.n contains "1" (strings only)',
    where: [c('payload.n', 'contains', '1')],
    expected: ['e9'],
  },
  {
    title: 'payload.tags contains "a" (array element)',
    where: [c('payload.tags', 'contains', 'a')],
    expected: ['e1', 'e3'],
  },
  { title: 'payload.tags contains "b"', where: [c('payload.tags', 'contains', 'b')], expected: ['e1', 'e2'] },
  { title: 'payload.tags contains 1 (not "1")', where: [c('payload.tags', 'contains', 1)], expected: ['e3'] },
  { title: 'payload.tags contains "1"', where: [c('payload.tags', 'contains', '1')], expected: [] },
  {
    title: 'payload.v contains 1 (the array [1] only)',
    where: [c('payload.v', 'contains', 1)],
    expected: ['e7'],
  },
  {
    title: 'payload.v contains "a" (objects never match)',
    where: [c('payload.v', 'contains', 'a')],
    expected: [],
  },
  { title: 'payload.arr contains null', where: [c('payload.arr', 'contains', null)], expected: ['e5'] },
  // startsWith: a literal, case-sensitive prefix of a string field by code point; nothing else.
  {
    title: 'payload.s startsWith "alpha"',
    where: [c('payload.s', 'startsWith', 'alpha')],
    expected: ['e1', 'e10'],
  },
  {
    title: 'payload.s startsWith "a"',
    where: [c('payload.s', 'startsWith', 'a')],
    expected: ['e1', 'e2', 'e3', 'e10'],
  },
  {
    title: 'payload.s startsWith "A" (case-sensitive)',
    where: [c('payload.s', 'startsWith', 'A')],
    expected: ['e5'],
  },
  {
    title: 'payload.s startsWith "a%" (literal, not a LIKE pattern)',
    where: [c('payload.s', 'startsWith', 'a%')],
    expected: ['e3'],
  },
  {
    title: 'payload.s startsWith "a_" (literal, not a LIKE pattern)',
    where: [c('payload.s', 'startsWith', 'a_')],
    expected: ['e2'],
  },
  { title: 'payload.s startsWith "%"', where: [c('payload.s', 'startsWith', '%')], expected: [] },
  { title: 'payload.s startsWith "_"', where: [c('payload.s', 'startsWith', '_')], expected: [] },
  {
    title: 'payload.s startsWith "back\\" (literal backslash)',
    where: [c('payload.s', 'startsWith', 'back\\')],
    expected: ['e4'],
  },
  {
    title: 'payload.s startsWith "\\" (a backslash inside is no prefix)',
    where: [c('payload.s', 'startsWith', '\\')],
    expected: [],
  },
  {
    title: 'payload.s startsWith "😀" (astral; "x😀y" only contains it)',
    where: [c('payload.s', 'startsWith', '😀')],
    expected: ['e9'],
  },
  {
    title: 'payload.s startsWith "\\uFFFF" (not the astral string above it)',
    where: [c('payload.s', 'startsWith', '\uFFFF')],
    expected: ['e8'],
  },
  { title: 'payload.s startsWith "x😀"', where: [c('payload.s', 'startsWith', 'x😀')], expected: ['e7'] },
  {
    title: 'payload.s startsWith "alphabet" (the whole value)',
    where: [c('payload.s', 'startsWith', 'alphabet')],
    expected: ['e10'],
  },
  {
    title: 'payload.s startsWith "alphabets" (longer than any value)',
    where: [c('payload.s', 'startsWith', 'alphabets')],
    expected: [],
  },
  {
    title: 'not (payload.s startsWith "a")',
    where: [{ not: c('payload.s', 'startsWith', 'a') }],
    expected: ['e4', 'e5', 'e6', 'e7', 'e8', 'e9'],
  },
  {
    title: 'payload.v startsWith "1" (strings only: not 1, not [1])',
    where: [c('payload.v', 'startsWith', '1')],
    expected: ['e3'],
  },
  {
    title: 'payload.n startsWith "1" (the string "10", not the number 10)',
    where: [c('payload.n', 'startsWith', '1')],
    expected: ['e9'],
  },
  {
    title: 'payload.tags startsWith "a" (arrays never match)',
    where: [c('payload.tags', 'startsWith', 'a')],
    expected: [],
  },
  {
    title: 'payload.nested startsWith "{" (objects never match)',
    where: [c('payload.nested', 'startsWith', '{')],
    expected: [],
  },
  {
    title: 'metadata.source startsWith "w"',
    where: [c('metadata.source', 'startsWith', 'w')],
    expected: ['e1'],
  },
  {
    title: 'stream_id startsWith "s"',
    where: [c('stream_id', 'startsWith', 's')],
    expected: ALL_FILTER_LABELS,
  },
  {
    title: 'stream_id startsWith "s3"',
    where: [c('stream_id', 'startsWith', 's3')],
    expected: ['e5', 'e7', 'e8'],
  },
  {
    title: 'streamId startsWith "s4" (alias)',
    where: [c('streamId', 'startsWith', 's4')],
    expected: ['e9', 'e10'],
  },
  {
    title: 'event_type startsWith "log" (not "Login")',
    where: [c('event_type', 'startsWith', 'log')],
    expected: ['e1', 'e2', 'e3', 'e9'],
  },
  { title: 'event_type startsWith "L"', where: [c('event_type', 'startsWith', 'L')], expected: ['e10'] },
  {
    title: 'timestamp startsWith "2024-04" (canonical text)',
    where: [c('timestamp', 'startsWith', '2024-04')],
    expected: ['e7', 'e8', 'e9', 'e10'],
  },
  {
    title: 'timestamp startsWith "2024-01-31" (given with an offset)',
    where: [c('timestamp', 'startsWith', '2024-01-31')],
    expected: ['e3'],
  },
  {
    title: 'sequence_number startsWith "1" (numbers never match)',
    where: [c('sequence_number', 'startsWith', '1')],
    expected: [],
  },
  {
    title: 'instanceId startsWith the first characters of its id',
    where: (f) => [c('instanceId', 'startsWith', f.instance.id.slice(0, 3))],
    expected: ALL_FILTER_LABELS,
  },
  // in
  { title: 'payload.v in [1, "x"]', where: [c('payload.v', 'in', [1, 'x'])], expected: ['e1'] },
  { title: 'payload.v in [true, null]', where: [c('payload.v', 'in', [true, null])], expected: ['e2', 'e4'] },
  { title: 'payload.v in ["1", 0]', where: [c('payload.v', 'in', ['1', 0])], expected: ['e3', 'e9'] },
  {
    title: 'event_type in ["logout", "purchase"]',
    where: [c('event_type', 'in', ['logout', 'purchase'])],
    expected: ['e2', 'e6'],
  },
  // between: inclusive, one type, low > high matches nothing.
  {
    title: 'payload.n between [0, 10]',
    where: [c('payload.n', 'between', [0, 10])],
    expected: ['e4', 'e5', 'e10'],
  },
  { title: 'payload.n between [2.5, 2.5]', where: [c('payload.n', 'between', [2.5, 2.5])], expected: ['e5'] },
  {
    title: 'payload.n between [10, 0] (empty range)',
    where: [c('payload.n', 'between', [10, 0])],
    expected: [],
  },
  {
    title: 'payload.n between ["0", "9"] (strings only)',
    where: [c('payload.n', 'between', ['0', '9'])],
    expected: ['e9'],
  },
  {
    title: 'payload.s between ["a", "b"]',
    where: [c('payload.s', 'between', ['a', 'b'])],
    expected: ['e1', 'e2', 'e3', 'e10'],
  },
  // exists
  {
    title: 'payload.v exists true (null counts)',
    where: [c('payload.v', 'exists', true)],
    expected: allBut('e5'),
  },
  { title: 'payload.v exists false', where: [c('payload.v', 'exists', false)], expected: ['e5'] },
  {
    title: 'payload.nested.x exists true',
    where: [c('payload.nested.x', 'exists', true)],
    expected: ['e1', 'e2', 'e3', 'e6'],
  },
  // paths: nested keys, array indexes, keys on arrays, indexes on objects, metadata with a dash.
  { title: 'payload.nested.x eq 1', where: [c('payload.nested.x', 'eq', 1)], expected: ['e1', 'e6'] },
  { title: 'payload.nested.x eq null', where: [c('payload.nested.x', 'eq', null)], expected: ['e3'] },
  { title: 'payload.nested.y eq "deep"', where: [c('payload.nested.y', 'eq', 'deep')], expected: ['e6'] },
  { title: 'payload.tags.0 eq "a"', where: [c('payload.tags.0', 'eq', 'a')], expected: ['e1'] },
  { title: 'payload.tags.1 eq "a"', where: [c('payload.tags.1', 'eq', 'a')], expected: ['e3'] },
  { title: 'payload.tags.0 eq 1', where: [c('payload.tags.0', 'eq', 1)], expected: ['e3'] },
  { title: 'payload.arr.1 eq null', where: [c('payload.arr.1', 'eq', null)], expected: ['e5'] },
  {
    title: 'payload.tags.5 exists false',
    where: [c('payload.tags.5', 'exists', false)],
    expected: ALL_FILTER_LABELS,
  },
  {
    title: 'payload.tags.x exists true (a key never reads an array)',
    where: [c('payload.tags.x', 'exists', true)],
    expected: [],
  },
  {
    title: 'payload.v.0 eq 1 (an index reads the array [1])',
    where: [c('payload.v.0', 'eq', 1)],
    expected: ['e7'],
  },
  {
    title: 'payload.v.a eq 1 (a key reads the object)',
    where: [c('payload.v.a', 'eq', 1)],
    expected: ['e8'],
  },
  { title: 'payload.obj.a eq 1', where: [c('payload.obj.a', 'eq', 1)], expected: ['e7'] },
  {
    title: 'payload.s.0 exists true (an index never reads a string)',
    where: [c('payload.s.0', 'exists', true)],
    expected: [],
  },
  {
    title: 'metadata.source eq "web" (not "Web")',
    where: [c('metadata.source', 'eq', 'web')],
    expected: ['e1'],
  },
  {
    title: 'metadata.x-request-id eq "r1"',
    where: [c('metadata.x-request-id', 'eq', 'r1')],
    expected: ['e1'],
  },
  { title: 'metadata.source neq "web"', where: [c('metadata.source', 'neq', 'web')], expected: allBut('e1') },
  // top-level columns and aliases
  {
    title: 'event_type eq "login" (not "Login")',
    where: [c('event_type', 'eq', 'login')],
    expected: ['e1', 'e3', 'e9'],
  },
  {
    title: 'eventType eq "login" (alias)',
    where: [c('eventType', 'eq', 'login')],
    expected: ['e1', 'e3', 'e9'],
  },
  { title: 'stream_id eq "s3"', where: [c('stream_id', 'eq', 's3')], expected: ['e5', 'e7', 'e8'] },
  {
    title: 'streamId neq "s1" (alias)',
    where: [c('streamId', 'neq', 's1')],
    expected: ['e3', 'e4', 'e5', 'e7', 'e8', 'e9', 'e10'],
  },
  {
    title: 'sequence_number eq 1',
    where: [c('sequence_number', 'eq', 1)],
    expected: ['e1', 'e3', 'e5', 'e9'],
  },
  { title: 'sequence_number eq "1" (type mismatch)', where: [c('sequence_number', 'eq', '1')], expected: [] },
  { title: 'sequenceNumber gt 2 (alias)', where: [c('sequenceNumber', 'gt', 2)], expected: ['e6', 'e8'] },
  {
    title: 'sequence_number between [2, 3]',
    where: [c('sequence_number', 'between', [2, 3])],
    expected: ['e2', 'e4', 'e6', 'e7', 'e8', 'e10'],
  },
  {
    title: 'global_position gt the position of e8',
    where: (f) => [c('global_position', 'gt', f.byLabel.get('e8')!.global_position)],
    expected: ['e9', 'e10'],
  },
  {
    title: 'globalPosition lte the position of e2 (alias)',
    where: (f) => [c('globalPosition', 'lte', f.byLabel.get('e2')!.global_position)],
    expected: ['e1', 'e2'],
  },
  { title: 'id eq the id of e3', where: (f) => [c('id', 'eq', f.byLabel.get('e3')!.id)], expected: ['e3'] },
  {
    title: 'instanceId eq the instance id',
    where: (f) => [c('instanceId', 'eq', f.instance.id)],
    expected: ALL_FILTER_LABELS,
  },
  { title: 'instanceId eq another id', where: [c('instanceId', 'eq', 'another-instance')], expected: [] },
  // timestamps: instants, whatever the spelling.
  {
    title: 'timestamp gte "2024-01-31T23:00:00Z"',
    where: [c('timestamp', 'gte', '2024-01-31T23:00:00Z')],
    expected: allBut('e1', 'e2'),
  },
  {
    title: 'timestamp eq "2024-02-01T00:00:00+01:00"',
    where: [c('timestamp', 'eq', '2024-02-01T00:00:00+01:00')],
    expected: ['e3'],
  },
  {
    title: 'timestamp eq epoch ms 1706745600000',
    where: [c('timestamp', 'eq', 1_706_745_600_000)],
    expected: ['e4'],
  },
  {
    title: 'timestamp between [epoch ms, ISO with offset]',
    where: [c('timestamp', 'between', [1_706_745_600_000, '2024-03-01T09:30:00+01:00'])],
    expected: ['e4', 'e5'],
  },
  {
    title: 'timestamp lt "2024-01-15T12:00:00.000Z"',
    where: [c('timestamp', 'lt', '2024-01-15T12:00:00.000Z')],
    expected: ['e1'],
  },
  {
    title: 'timestamp lte "2024-01-15T12:00:00.000Z"',
    where: [c('timestamp', 'lte', '2024-01-15T12:00:00.000Z')],
    expected: ['e1', 'e2'],
  },
  {
    title: 'timestamp gt "2024-04-02T02:00:00+03:00" (= 2024-04-01T23:00Z)',
    where: [c('timestamp', 'gt', '2024-04-02T02:00:00+03:00')],
    expected: ['e8', 'e9', 'e10'],
  },
  {
    title: 'timestamp neq "2024-01-01T00:00:00Z"',
    where: [c('timestamp', 'neq', '2024-01-01T00:00:00Z')],
    expected: allBut('e1'),
  },
  {
    title: 'timestamp in [ISO, epoch ms]',
    where: [c('timestamp', 'in', ['2024-01-01T00:00:00.000Z', 1_706_745_600_000])],
    expected: ['e1', 'e4'],
  },
  {
    title: 'timestamp contains "2024-04" (canonical text)',
    where: [c('timestamp', 'contains', '2024-04')],
    expected: ['e7', 'e8', 'e9', 'e10'],
  },
  // or / not / and
  {
    title: 'or [event_type eq "logout", payload.n lt 0]',
    where: [{ or: [c('event_type', 'eq', 'logout'), c('payload.n', 'lt', 0)] }],
    expected: ['e2', 'e6'],
  },
  {
    title: 'not (payload.v eq 1) (matches missing)',
    where: [{ not: c('payload.v', 'eq', 1) }],
    expected: allBut('e1'),
  },
  {
    title: 'not (payload.n gt 0) (matches missing and strings)',
    where: [{ not: c('payload.n', 'gt', 0) }],
    expected: ['e1', 'e2', 'e3', 'e6', 'e7', 'e8', 'e9'],
  },
  {
    title: 'not (payload.v exists true)',
    where: [{ not: c('payload.v', 'exists', true) }],
    expected: ['e5'],
  },
  {
    title: 'not (or [stream_id eq "s1", stream_id eq "s2"])',
    where: [{ not: { or: [c('stream_id', 'eq', 's1'), c('stream_id', 'eq', 's2')] } }],
    expected: ['e5', 'e7', 'e8', 'e9', 'e10'],
  },
  {
    title: 'or [not (payload.s contains "a"), payload.v eq 1] inside an and',
    where: [
      { or: [{ not: c('payload.s', 'contains', 'a') }, c('payload.v', 'eq', 1)] },
      c('stream_id', 'neq', 's4'),
    ],
    expected: ['e1', 'e5', 'e6', 'e7', 'e8'],
  },
  {
    title: 'two conditions, both must hold',
    where: [c('event_type', 'eq', 'view'), c('payload.n', 'gte', 2.5)],
    expected: ['e4', 'e5'],
  },
  { title: 'an empty where (everything)', where: [], expected: ALL_FILTER_LABELS },
  // from.stream
  {
    title: 'from.stream "s1" and payload.v gt 0',
    where: [c('payload.v', 'gt', 0)],
    expected: ['e1', 'e6'],
    stream: 's1',
  },
  { title: 'from.stream of a missing stream', where: [], expected: [], stream: 'no-such-stream' },
];

/** Registers the `queryFilters` group. */
export function registerQueryFilterTests(holder: ContextHolder): void {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await seedFixture(useContext(holder), 'filters', FILTER_EVENTS);
  });

  test('given the filter fixture, then it was stored as the table says', () => {
    const f = fixture!;
    expect(labels(f.records)).toEqual(ALL_FILTER_LABELS);
    expect(f.records.map((r) => r.timestamp)).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-15T12:00:00.000Z',
      '2024-01-31T23:00:00.000Z',
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T08:30:00.000Z',
      '2024-03-15T00:00:00.000Z',
      '2024-04-01T00:00:00.000Z',
      '2024-04-02T00:00:00.000Z',
      '2024-04-03T00:00:00.000Z',
      '2024-04-04T00:00:00.000Z',
    ]);
    expect(f.records.map((r) => r.sequence_number)).toEqual([1, 2, 1, 2, 1, 3, 2, 3, 1, 2]);
  });

  test.each(CASES)(
    'given the filter fixture, when filtering by $title, then the matches are exactly $expected',
    async (testCase) => {
      const ctx = useContext(holder);
      const f = fixture!;
      const where = typeof testCase.where === 'function' ? testCase.where(f) : testCase.where;
      const from =
        testCase.stream === undefined
          ? { instance: f.instance.id }
          : { instance: f.instance.id, stream: testCase.stream };
      const { result } = expectOk(await ctx.log.queryEvents({ from, where }));
      expect(labels(result.events)).toEqual(testCase.expected);
      expect(result.total).toBe(testCase.expected.length);
      // Matches come back as the stored records, not copies with other field values.
      for (const event of result.events ?? []) {
        expect(event).toEqual(f.byLabel.get(String((event.payload as { label: string }).label)));
      }
    },
  );
}
