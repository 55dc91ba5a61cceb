/**
 * Bad input (SPEC §3, §4, §6): every error code, every kind of malformed input. Each case checks
 * the code, that the `error` sentence names the offending field, and that nothing was written
 * (stats, head position and events of the instance are unchanged, and no instance was created).
 */

import type { Envelope, ErrorCode, Instance, StorageAdapter } from '@eventlog/core';
import { expect, test } from 'vitest';
import {
  type ConformanceContext,
  type ContextHolder,
  escapeRegExp,
  expectFailure,
  expectOk,
  type LooseEventLog,
  loose,
  snapshot,
  useContext,
} from '../context.js';

/** What a case may use: an instance holding two events on stream `s`, and an unused name. */
interface CaseEnv {
  ctx: ConformanceContext;
  log: LooseEventLog;
  tight: LooseEventLog;
  inst: Instance;
  /** A name no instance has; it must still be free after the call. */
  fresh: string;
}

interface ErrorCase {
  title: string;
  code: ErrorCode;
  mentions?: ReadonlyArray<string | RegExp> | ((env: CaseEnv) => ReadonlyArray<string | RegExp>);
  run: (env: CaseEnv) => Promise<Envelope<string, unknown>>;
}

const EVENT_TYPE = /event_?type/i;
const STREAM_ID = /stream_?id/i;

class Point {
  x = 1;
}

const append = (env: CaseEnv, extra: Record<string, unknown>) =>
  env.log.appendEvent({ instanceId: env.inst.id, eventType: 't', ...extra });
const appendMany = (env: CaseEnv, events: unknown, extra: Record<string, unknown> = {}) =>
  env.log.appendEvents({ instanceId: env.inst.id, events, ...extra });
const query = (env: CaseEnv, extra: Record<string, unknown>) =>
  env.log.queryEvents({ from: { instance: env.inst.id }, ...extra });
const where = (env: CaseEnv, condition: unknown) => query(env, { where: [condition] });

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { d: value };
  return value;
}

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

function sparse(): unknown[] {
  const a: unknown[] = [1];
  a[2] = 3;
  return a;
}

function deepPath(segments: number): string {
  return ['payload', ...Array.from({ length: segments }, (_, i) => `k${i}`)].join('.');
}

/** A readable, distinct label for a test value (JSON.stringify maps NaN and Infinity to null). */
function label(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

function deepNot(depth: number): unknown {
  let condition: unknown = { field: 'event_type', operator: 'eq', value: 'x' };
  for (let i = 0; i < depth; i++) condition = { not: condition };
  return condition;
}

/** Payloads that do not survive a JSON round trip, each rejected with VALIDATION_ERROR. */
const BAD_PAYLOADS: Array<[string, () => unknown]> = [
  ['an array', () => [1, 2]],
  ['a string', () => 'text'],
  ['a number', () => 42],
  ['null', () => null],
  ['a function value', () => ({ f: () => 1 })],
  ['a symbol value', () => ({ s: Symbol('s') })],
  ['a BigInt value', () => ({ n: BigInt(10) })],
  ['a Date value', () => ({ d: new Date(0) })],
  ['a Map value', () => ({ m: new Map([['a', 1]]) })],
  ['a class instance value', () => ({ p: new Point() })],
  ['a class instance as the payload', () => new Point()],
  ['a cycle', cyclic],
  ['NaN', () => ({ n: Number.NaN })],
  ['Infinity', () => ({ n: Number.POSITIVE_INFINITY })],
  ['-Infinity', () => ({ n: Number.NEGATIVE_INFINITY })],
  ['a NUL character in a string', () => ({ s: 'a\u0000b' })],
  ['a NUL character in a key', () => ({ 'a\u0000': 1 })],
  ['a lone high surrogate in a string', () => ({ s: 'x\uD800' })],
  ['a lone low surrogate in a string', () => ({ s: '\uDC00y' })],
  ['a lone surrogate in a key', () => ({ '\uD83D': 1 })],
  ['undefined inside an array', () => ({ a: [1, undefined] })],
  ['a sparse array', () => ({ a: sparse() })],
  ['a nested function', () => ({ a: { b: [{ c: () => 1 }] } })],
  ['nesting 150 levels deep', () => nested(150)],
];

const BAD_TIMESTAMPS: Array<[string, unknown]> = [
  ['a word', 'yesterday'],
  ['a date without time', '2024-01-01'],
  ['a time without zone', '2024-01-01T00:00:00'],
  ['month 13', '2024-13-01T00:00:00Z'],
  ['February 30', '2024-02-30T00:00:00Z'],
  ['year 0000', '0000-06-01T00:00:00Z'],
  ['year 10000', '+010000-01-01T00:00:00Z'],
  ['fractional epoch ms', 1.5],
  ['epoch ms past year 9999', 253_402_300_800_000],
  ['epoch ms before year 0001', -62_135_596_800_001],
  ['NaN', Number.NaN],
  ['a Date object', new Date(0)],
  ['a boolean', true],
  ['an empty string', ''],
];

const BAD_NAMES: Array<[string, unknown]> = [
  ['empty', ''],
  ['whitespace only', '   '],
  ['201 characters', 'x'.repeat(201)],
  ['201 astral code points', '😀'.repeat(201)],
  ['a number', 42],
  ['null', null],
  ['a control character', 'a\nb'],
  ['a NUL character', 'a\u0000b'],
  ['a lone surrogate', 'a\uD800'],
];

const BAD_PATHS = [
  'foo',
  'Payload.a',
  'payload..a',
  'payload.a b',
  'payload.1a',
  'payload.',
  '.payload',
  'stream_id.x',
  'timestamp.year',
  'payload.01',
  'payload.a.$b',
  'payload.a[0]',
  'payload.ключ',
  deepPath(17),
];

function cases(): ErrorCase[] {
  const list: ErrorCase[] = [];
  const add = (c: ErrorCase) => list.push(c);

  // ── appendEvent: the params object ──────────────────────────────────────────────────────────
  add({ title: 'appendEvent(null)', code: 'VALIDATION_ERROR', run: (e) => e.log.appendEvent(null) });
  add({ title: 'appendEvent("text")', code: 'VALIDATION_ERROR', run: (e) => e.log.appendEvent('text') });
  add({
    title: 'appendEvent without instanceId',
    code: 'VALIDATION_ERROR',
    mentions: ['instanceId'],
    run: (e) => e.log.appendEvent({ eventType: 't' }),
  });
  add({
    title: 'appendEvent with a numeric instanceId',
    code: 'VALIDATION_ERROR',
    mentions: ['instanceId'],
    run: (e) => e.log.appendEvent({ instanceId: 42, eventType: 't' }),
  });
  add({
    title: 'appendEvent with an empty instanceId',
    code: 'VALIDATION_ERROR',
    mentions: ['instanceId'],
    run: (e) => e.log.appendEvent({ instanceId: '', eventType: 't' }),
  });
  add({
    title: 'appendEvent without an event type',
    code: 'VALIDATION_ERROR',
    mentions: [EVENT_TYPE],
    run: (e) => e.log.appendEvent({ instanceId: e.inst.id, streamId: 's' }),
  });
  for (const [label, value] of BAD_NAMES) {
    add({
      title: `appendEvent with an event type that is ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: [EVENT_TYPE],
      run: (e) => append(e, { eventType: value }),
    });
    if (value !== null) {
      add({
        title: `appendEvent with a stream id that is ${label}`,
        code: 'VALIDATION_ERROR',
        mentions: [STREAM_ID],
        run: (e) => append(e, { streamId: value }),
      });
    }
  }
  add({
    title: 'appendEvent with a null stream id',
    code: 'VALIDATION_ERROR',
    mentions: [STREAM_ID],
    run: (e) => append(e, { streamId: null }),
  });
  add({
    title: 'appendEvent with an over-long name, naming the 200 limit',
    code: 'VALIDATION_ERROR',
    mentions: [EVENT_TYPE, '200'],
    run: (e) => append(e, { eventType: 'y'.repeat(201) }),
  });
  add({
    title: 'appendEvent with streamId and stream_id that differ',
    code: 'VALIDATION_ERROR',
    mentions: [/stream/i],
    run: (e) => append(e, { streamId: 'a', stream_id: 'b' }),
  });
  add({
    title: 'appendEvent with eventType and event_type that differ',
    code: 'VALIDATION_ERROR',
    mentions: [EVENT_TYPE],
    run: (e) => e.log.appendEvent({ instanceId: e.inst.id, eventType: 'a', event_type: 'b' }),
  });
  add({
    title: 'appendEvent with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['colour'],
    run: (e) => append(e, { colour: 'red' }),
  });
  add({
    title: 'appendEvent with a misspelled key (payloads)',
    code: 'VALIDATION_ERROR',
    mentions: ['payloads'],
    run: (e) => append(e, { payloads: { a: 1 } }),
  });
  for (const [label, make] of BAD_PAYLOADS) {
    add({
      title: `appendEvent with a payload holding ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: ['payload'],
      run: (e) => append(e, { payload: make() }),
    });
  }
  add({
    title: 'appendEvent with metadata holding a function',
    code: 'VALIDATION_ERROR',
    mentions: ['metadata'],
    run: (e) => append(e, { metadata: { f: () => 1 } }),
  });
  add({
    title: 'appendEvent with metadata that is an array',
    code: 'VALIDATION_ERROR',
    mentions: ['metadata'],
    run: (e) => append(e, { metadata: ['a'] }),
  });
  add({
    title: 'appendEvent with metadata holding a lone surrogate',
    code: 'VALIDATION_ERROR',
    mentions: ['metadata'],
    run: (e) => append(e, { metadata: { s: '\uD800' } }),
  });
  for (const [label, value] of BAD_TIMESTAMPS) {
    add({
      title: `appendEvent with a timestamp that is ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: ['timestamp'],
      run: (e) => append(e, { timestamp: value }),
    });
  }
  for (const value of [-1, 1.5, 'latest', '3', null, true, Number.NaN, { v: 1 }]) {
    add({
      title: `appendEvent with expectedVersion ${label(value)}`,
      code: 'VALIDATION_ERROR',
      mentions: ['expectedVersion'],
      run: (e) => append(e, { streamId: 's', expectedVersion: value }),
    });
  }
  for (const [label, value] of [
    ['empty', ''],
    ['a number', 5],
    ['whitespace only', '  '],
    ['201 characters', 'e'.repeat(201)],
  ] as const) {
    add({
      title: `appendEvent with an eventId that is ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: ['eventId'],
      run: (e) => append(e, { eventId: value }),
    });
  }
  add({
    title: 'appendEvent with autoCreateInstance "yes"',
    code: 'VALIDATION_ERROR',
    mentions: ['autoCreateInstance'],
    run: (e) => append(e, { autoCreateInstance: 'yes' }),
  });
  add({
    title: 'appendEvent to a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.appendEvent({ instanceId: e.fresh, eventType: 't' }),
  });
  add({
    title: 'appendEvent with autoCreateInstance and a bad payload',
    code: 'VALIDATION_ERROR',
    mentions: ['payload'],
    run: (e) =>
      e.log.appendEvent({
        instanceId: e.fresh,
        eventType: 't',
        payload: { n: Number.NaN },
        autoCreateInstance: true,
      }),
  });
  add({
    title: 'appendEvent with autoCreateInstance and no event type',
    code: 'VALIDATION_ERROR',
    mentions: [EVENT_TYPE],
    run: (e) => e.log.appendEvent({ instanceId: e.fresh, autoCreateInstance: true }),
  });

  // ── sizes ───────────────────────────────────────────────────────────────────────────────────
  add({
    title: 'appendEvent with a payload over maxEventBytes',
    code: 'LIMIT_EXCEEDED',
    mentions: ['payload'],
    run: (e) => append(e, { payload: { s: 'x'.repeat(e.ctx.limits.maxEventBytes) } }),
  });
  add({
    title: 'appendEvent with payload and metadata each under, together over maxEventBytes',
    code: 'LIMIT_EXCEEDED',
    mentions: [/payload|metadata/i],
    run: (e) => {
      const half = 'x'.repeat(Math.ceil(e.ctx.limits.maxEventBytes / 2));
      return append(e, { payload: { s: half }, metadata: { s: half } });
    },
  });
  add({
    title: 'appendEvent with multi-byte characters one byte over a configured maxEventBytes',
    code: 'LIMIT_EXCEEDED',
    mentions: ['payload'],
    // {"s":"…"} + {} is 10 bytes plus the string: 123 × "é" (2 bytes) + "a" is max + 1.
    run: (e) =>
      e.tight.appendEvent({ instanceId: e.inst.id, eventType: 't', payload: { s: `${'é'.repeat(123)}a` } }),
  });
  add({
    title: 'appendEvents with one event over maxEventBytes',
    code: 'LIMIT_EXCEEDED',
    mentions: ['payload'],
    run: (e) =>
      appendMany(e, [
        { eventType: 'ok' },
        { eventType: 'big', payload: { s: 'x'.repeat(e.ctx.limits.maxEventBytes) } },
      ]),
  });
  add({
    title: 'appendEvents with more than maxBatchEvents events',
    code: 'LIMIT_EXCEEDED',
    mentions: [/events|batch/i],
    run: (e) =>
      appendMany(
        e,
        Array.from({ length: e.ctx.limits.maxBatchEvents + 1 }, () => ({ eventType: 't' })),
      ),
  });
  add({
    title: 'appendEvents with more than maxBatchBytes in all',
    code: 'LIMIT_EXCEEDED',
    mentions: [/bytes|batch/i],
    run: (e) => {
      const { maxEventBytes, maxBatchBytes } = e.ctx.limits;
      const chunk = Math.floor(maxEventBytes * 0.9);
      const count = Math.min(Math.ceil(maxBatchBytes / chunk) + 1, e.ctx.limits.maxBatchEvents);
      const s = 'b'.repeat(chunk);
      return appendMany(
        e,
        Array.from({ length: count }, () => ({ eventType: 't', payload: { s } })),
      );
    },
  });
  add({
    title: 'appendEvents over a configured maxBatchEvents',
    code: 'LIMIT_EXCEEDED',
    mentions: [/events|batch/i],
    run: (e) =>
      e.tight.appendEvents({
        instanceId: e.inst.id,
        events: Array.from({ length: 6 }, () => ({ eventType: 't' })),
      }),
  });
  add({
    title: 'appendEvents over a configured maxBatchBytes',
    code: 'LIMIT_EXCEEDED',
    mentions: [/bytes|batch/i],
    run: (e) =>
      e.tight.appendEvents({
        instanceId: e.inst.id,
        events: Array.from({ length: 5 }, () => ({ eventType: 't', payload: { s: 'z'.repeat(220) } })),
      }),
  });
  add({
    title: 'appendEvents with autoCreateInstance over maxBatchEvents',
    code: 'LIMIT_EXCEEDED',
    run: (e) =>
      e.tight.appendEvents({
        instanceId: e.fresh,
        autoCreateInstance: true,
        events: Array.from({ length: 6 }, () => ({ eventType: 't' })),
      }),
  });

  // ── appendEvents: the batch ─────────────────────────────────────────────────────────────────
  add({
    title: 'appendEvents without events',
    code: 'VALIDATION_ERROR',
    mentions: ['events'],
    run: (e) => e.log.appendEvents({ instanceId: e.inst.id }),
  });
  add({
    title: 'appendEvents with events {}',
    code: 'VALIDATION_ERROR',
    mentions: ['events'],
    run: (e) => appendMany(e, {}),
  });
  add({
    title: 'appendEvents with events []',
    code: 'VALIDATION_ERROR',
    mentions: ['events'],
    run: (e) => appendMany(e, []),
  });
  add({
    title: 'appendEvents with events [null]',
    code: 'VALIDATION_ERROR',
    mentions: ['events'],
    run: (e) => appendMany(e, [null]),
  });
  add({
    title: 'appendEvents whose second event has no type',
    code: 'VALIDATION_ERROR',
    mentions: ['events', EVENT_TYPE],
    run: (e) => appendMany(e, [{ eventType: 'ok' }, { streamId: 's' }, { eventType: 'ok' }]),
  });
  add({
    title: 'appendEvents whose last event has a function in its payload',
    code: 'VALIDATION_ERROR',
    mentions: ['payload'],
    run: (e) => appendMany(e, [{ eventType: 'ok' }, { eventType: 'bad', payload: { f: () => 1 } }]),
  });
  add({
    title: 'appendEvents whose event has an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['colour'],
    run: (e) => appendMany(e, [{ eventType: 'ok', colour: 'red' }]),
  });
  add({
    title: 'appendEvents whose event carries expectedVersion (a batch-level key)',
    code: 'VALIDATION_ERROR',
    mentions: ['expectedVersion'],
    run: (e) => appendMany(e, [{ eventType: 'ok', expectedVersion: 0 }]),
  });
  add({
    title: 'appendEvents whose event has a bad timestamp',
    code: 'VALIDATION_ERROR',
    mentions: ['timestamp'],
    run: (e) => appendMany(e, [{ eventType: 'ok' }, { eventType: 'ok', timestamp: 'soon' }]),
  });
  add({
    title: 'appendEvents with an unknown top-level key',
    code: 'VALIDATION_ERROR',
    mentions: ['atomic'],
    run: (e) => appendMany(e, [{ eventType: 'ok' }], { atomic: true }),
  });
  add({
    title: 'appendEvents with streamId and stream_id that differ',
    code: 'VALIDATION_ERROR',
    mentions: [/stream/i],
    run: (e) => appendMany(e, [{ eventType: 'ok' }], { streamId: 'a', stream_id: 'b' }),
  });
  add({
    title: 'appendEvents with expectedVersion and two streams',
    code: 'VALIDATION_ERROR',
    mentions: ['expectedVersion'],
    run: (e) =>
      appendMany(
        e,
        [
          { eventType: 'a', streamId: 's' },
          { eventType: 'b', streamId: 'other' },
        ],
        { expectedVersion: 2 },
      ),
  });
  add({
    title: 'appendEvents with expectedVersion, one event on the default stream and one named',
    code: 'VALIDATION_ERROR',
    mentions: ['expectedVersion'],
    run: (e) =>
      appendMany(e, [{ eventType: 'a' }, { eventType: 'b', streamId: 's' }], { expectedVersion: 'any' }),
  });
  add({
    title: 'appendEvents with a duplicate eventId inside the batch',
    code: 'VALIDATION_ERROR',
    mentions: ['eventId'],
    run: (e) =>
      appendMany(e, [
        { eventType: 'a', eventId: 'same' },
        { eventType: 'b', eventId: 'same' },
      ]),
  });
  add({
    title: 'appendEvents to a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.appendEvents({ instanceId: e.fresh, events: [{ eventType: 't' }] }),
  });
  add({
    title: 'appendEvents with autoCreateInstance and an invalid event',
    code: 'VALIDATION_ERROR',
    run: (e) =>
      e.log.appendEvents({
        instanceId: e.fresh,
        autoCreateInstance: true,
        events: [{ eventType: 'ok' }, { eventType: 'bad', payload: { d: new Date(0) } }],
      }),
  });

  // ── version conflicts ───────────────────────────────────────────────────────────────────────
  add({
    title: 'appendEvent with a stale expectedVersion',
    code: 'CONFLICT',
    mentions: ['"s"'],
    run: (e) => append(e, { streamId: 's', expectedVersion: 1 }),
  });
  add({
    title: 'appendEvents with a stale expectedVersion',
    code: 'CONFLICT',
    run: (e) =>
      appendMany(e, [{ eventType: 'a' }, { eventType: 'b' }], { streamId: 's', expectedVersion: 0 }),
  });

  // ── instances ───────────────────────────────────────────────────────────────────────────────
  for (const [label, value] of BAD_NAMES) {
    add({
      title: `createInstance with a name that is ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: ['name'],
      run: (e) => e.log.createInstance(value),
    });
  }
  add({
    title: 'createInstance()',
    code: 'VALIDATION_ERROR',
    mentions: ['name'],
    run: (e) => e.log.createInstance(),
  });
  add({
    title: 'createInstance with a numeric description',
    code: 'VALIDATION_ERROR',
    mentions: ['description'],
    run: (e) => e.log.createInstance(e.fresh, 5),
  });
  add({
    title: 'createInstance with a description over 2000 characters',
    code: 'VALIDATION_ERROR',
    mentions: ['description'],
    run: (e) => e.log.createInstance(e.fresh, 'd'.repeat(2001)),
  });
  add({
    title: 'createInstance with a taken name',
    code: 'ALREADY_EXISTS',
    mentions: ['exists'],
    run: (e) => e.log.createInstance(e.inst.name),
  });
  add({ title: 'getInstance(42)', code: 'VALIDATION_ERROR', run: (e) => e.log.getInstance(42) });
  add({ title: 'getInstance("")', code: 'VALIDATION_ERROR', run: (e) => e.log.getInstance('') });
  add({
    title: 'getInstance of a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.getInstance(e.fresh),
  });
  add({
    title: 'updateInstance of a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.updateInstance(e.fresh, { description: 'x' }),
  });
  add({
    title: 'updateInstance with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['title'],
    run: (e) => e.log.updateInstance(e.inst.id, { title: 'x' }),
  });
  add({
    title: 'updateInstance with updates "x"',
    code: 'VALIDATION_ERROR',
    run: (e) => e.log.updateInstance(e.inst.id, 'x'),
  });
  for (const [label, value] of BAD_NAMES) {
    if (value === null) continue;
    add({
      title: `updateInstance with a name that is ${label}`,
      code: 'VALIDATION_ERROR',
      mentions: ['name'],
      run: (e) => e.log.updateInstance(e.inst.id, { name: value }),
    });
  }
  add({
    title: 'updateInstance with a description over 2000 characters',
    code: 'VALIDATION_ERROR',
    mentions: ['description'],
    run: (e) => e.log.updateInstance(e.inst.id, { description: 'd'.repeat(2001) }),
  });
  add({
    title: "updateInstance to another instance's name",
    code: 'ALREADY_EXISTS',
    mentions: ['exists'],
    run: async (e) => {
      const other = await e.ctx.newInstance('other');
      return e.log.updateInstance(e.inst.id, { name: other.name });
    },
  });
  add({ title: 'deleteInstance(42)', code: 'VALIDATION_ERROR', run: (e) => e.log.deleteInstance(42) });
  add({
    title: 'deleteInstance of a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.deleteInstance(e.fresh),
  });
  add({ title: 'getInstanceStats({})', code: 'VALIDATION_ERROR', run: (e) => e.log.getInstanceStats({}) });
  add({
    title: 'getInstanceStats of a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.getInstanceStats(e.fresh),
  });

  // ── queryEvents: shape ──────────────────────────────────────────────────────────────────────
  add({ title: 'queryEvents(null)', code: 'VALIDATION_ERROR', run: (e) => e.log.queryEvents(null) });
  add({ title: 'queryEvents("text")', code: 'VALIDATION_ERROR', run: (e) => e.log.queryEvents('text') });
  add({
    title: 'a query without from',
    code: 'VALIDATION_ERROR',
    mentions: ['from'],
    run: (e) => e.log.queryEvents({}),
  });
  add({
    title: 'a query with from {}',
    code: 'VALIDATION_ERROR',
    mentions: ['instance'],
    run: (e) => e.log.queryEvents({ from: {} }),
  });
  add({
    title: 'a query with a numeric from.instance',
    code: 'VALIDATION_ERROR',
    mentions: ['instance'],
    run: (e) => e.log.queryEvents({ from: { instance: 42 } }),
  });
  add({
    title: 'a query with a numeric from.stream',
    code: 'VALIDATION_ERROR',
    mentions: ['stream'],
    run: (e) => e.log.queryEvents({ from: { instance: e.inst.id, stream: 5 } }),
  });
  add({
    title: 'a query with an unknown key in from',
    code: 'VALIDATION_ERROR',
    mentions: ['table'],
    run: (e) => e.log.queryEvents({ from: { instance: e.inst.id, table: 'x' } }),
  });
  add({
    title: 'a query with an unknown top-level key',
    code: 'VALIDATION_ERROR',
    mentions: ['filter'],
    run: (e) => query(e, { filter: [] }),
  });
  add({
    title: 'a query of a missing instance',
    code: 'NOT_FOUND',
    mentions: (e) => [e.fresh],
    run: (e) => e.log.queryEvents({ from: { instance: e.fresh } }),
  });

  // ── queryEvents: where ──────────────────────────────────────────────────────────────────────
  add({
    title: 'where {}',
    code: 'VALIDATION_ERROR',
    mentions: ['where'],
    run: (e) => query(e, { where: {} }),
  });
  add({
    title: 'where ["event_type"]',
    code: 'VALIDATION_ERROR',
    mentions: ['where'],
    run: (e) => query(e, { where: ['event_type'] }),
  });
  for (const operator of ['like', 'EQ', 'regex', 'starts_with', 'startswith']) {
    add({
      title: `the unknown operator ${operator}`,
      code: 'VALIDATION_ERROR',
      mentions: [operator],
      run: (e) => where(e, { field: 'event_type', operator, value: 'x' }),
    });
  }
  add({
    title: 'a condition without operator',
    code: 'VALIDATION_ERROR',
    mentions: ['operator'],
    run: (e) => where(e, { field: 'event_type', value: 'x' }),
  });
  add({
    title: 'a condition without field',
    code: 'VALIDATION_ERROR',
    mentions: ['field'],
    run: (e) => where(e, { operator: 'eq', value: 'x' }),
  });
  add({
    title: 'a condition without value',
    code: 'VALIDATION_ERROR',
    mentions: ['value'],
    run: (e) => where(e, { field: 'event_type', operator: 'eq' }),
  });
  add({
    title: 'a condition with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['caseSensitive'],
    run: (e) => where(e, { field: 'event_type', operator: 'eq', value: 'x', caseSensitive: true }),
  });
  add({ title: 'or {}', code: 'VALIDATION_ERROR', mentions: ['or'], run: (e) => where(e, { or: {} }) });
  add({ title: 'not []', code: 'VALIDATION_ERROR', mentions: ['not'], run: (e) => where(e, { not: [] }) });
  add({
    title: 'a condition with both or and not',
    code: 'VALIDATION_ERROR',
    run: (e) =>
      where(e, {
        or: [{ field: 'event_type', operator: 'eq', value: 'x' }],
        not: { field: 'event_type', operator: 'eq', value: 'y' },
      }),
  });
  add({
    title: 'where nested 17 deep',
    code: 'VALIDATION_ERROR',
    mentions: [/deep|depth|nest/i],
    run: (e) => where(e, deepNot(17)),
  });
  for (const path of BAD_PATHS) {
    add({
      title: `the bad field path ${JSON.stringify(path)}`,
      code: 'VALIDATION_ERROR',
      mentions: [new RegExp(escapeRegExp(path))],
      run: (e) => where(e, { field: path, operator: 'exists', value: true }),
    });
  }
  add({
    title: 'an empty field path',
    code: 'VALIDATION_ERROR',
    mentions: ['field'],
    run: (e) => where(e, { field: '', operator: 'exists', value: true }),
  });
  add({
    title: 'a numeric field',
    code: 'VALIDATION_ERROR',
    mentions: ['field'],
    run: (e) => where(e, { field: 5, operator: 'exists', value: true }),
  });
  const badValues: Array<[string, unknown]> = [
    ['eq', { a: 1 }],
    ['eq', [1]],
    ['neq', { a: 1 }],
    ['eq', Number.NaN],
    ['eq', Number.POSITIVE_INFINITY],
    ['gt', true],
    ['gt', null],
    ['gte', [1]],
    ['lt', { a: 1 }],
    ['lte', false],
    ['contains', { a: 1 }],
    ['contains', [1]],
    ['startsWith', ''],
    ['startsWith', 1],
    ['startsWith', null],
    ['startsWith', true],
    ['startsWith', ['a']],
    ['startsWith', 'a\u0000'],
    ['in', 'x'],
    ['in', []],
    ['in', [{ a: 1 }]],
    ['in', [[1]]],
    ['between', 'x'],
    ['between', [1]],
    ['between', [1, 2, 3]],
    ['between', [1, 'a']],
    ['between', [null, 1]],
    ['between', [true, false]],
    ['exists', 'yes'],
    ['exists', 1],
  ];
  for (const [operator, value] of badValues) {
    add({
      title: `${operator} with the value ${label(value)}`,
      code: 'VALIDATION_ERROR',
      mentions: [/value/i],
      run: (e) => where(e, { field: 'payload.a', operator, value }),
    });
  }
  const badTimestampValues: Array<[string, unknown]> = [
    ['eq', 'yesterday'],
    ['gt', true],
    ['lt', '2024-01-01'],
    ['between', ['2024-01-01T00:00:00Z', 'later']],
    ['in', ['2024-01-01T00:00:00Z', 'x']],
    ['eq', 1.5],
  ];
  for (const [operator, value] of badTimestampValues) {
    add({
      title: `timestamp ${operator} ${label(value)}`,
      code: 'VALIDATION_ERROR',
      mentions: [/timestamp|value/i],
      run: (e) => where(e, { field: 'timestamp', operator, value }),
    });
  }
  add({
    title: 'in with more than maxInValues values',
    code: 'LIMIT_EXCEEDED',
    mentions: (e) => [String(e.ctx.limits.maxInValues)],
    run: (e) =>
      where(e, {
        field: 'event_type',
        operator: 'in',
        value: Array.from({ length: e.ctx.limits.maxInValues + 1 }, (_, i) => `t${i}`),
      }),
  });
  add({
    title: 'in over a configured maxInValues',
    code: 'LIMIT_EXCEEDED',
    mentions: ['3'],
    run: (e) =>
      e.tight.queryEvents({
        from: { instance: e.inst.id },
        where: [{ field: 'event_type', operator: 'in', value: ['a', 'b', 'c', 'd'] }],
      }),
  });

  // ── queryEvents: paging, select, orderBy, reduce ────────────────────────────────────────────
  for (const value of [-1, 1.5, '10', Number.NaN, null, true]) {
    add({
      title: `limit ${label(value)}`,
      code: 'VALIDATION_ERROR',
      mentions: ['limit'],
      run: (e) => query(e, { limit: value }),
    });
  }
  add({
    title: 'limit one over maxQueryLimit',
    code: 'LIMIT_EXCEEDED',
    mentions: ['limit'],
    run: (e) => query(e, { limit: e.ctx.limits.maxQueryLimit + 1 }),
  });
  add({
    title: 'a huge limit',
    code: 'LIMIT_EXCEEDED',
    mentions: ['limit'],
    run: (e) => query(e, { limit: 1e12 }),
  });
  for (const value of [-1, 0.5, '0', null]) {
    add({
      title: `offset ${label(value)}`,
      code: 'VALIDATION_ERROR',
      mentions: ['offset'],
      run: (e) => query(e, { offset: value }),
    });
  }
  add({
    title: 'select "payload"',
    code: 'VALIDATION_ERROR',
    mentions: ['select'],
    run: (e) => query(e, { select: 'payload' }),
  });
  add({
    title: 'select []',
    code: 'VALIDATION_ERROR',
    mentions: ['select'],
    run: (e) => query(e, { select: [] }),
  });
  add({
    title: 'select [5]',
    code: 'VALIDATION_ERROR',
    mentions: ['select'],
    run: (e) => query(e, { select: [5] }),
  });
  add({
    title: 'select with a bad path',
    code: 'VALIDATION_ERROR',
    mentions: ['payload..x'],
    run: (e) => query(e, { select: ['payload..x'] }),
  });
  add({
    title: 'orderBy "timestamp"',
    code: 'VALIDATION_ERROR',
    mentions: ['orderBy'],
    run: (e) => query(e, { orderBy: 'timestamp' }),
  });
  add({
    title: 'orderBy as an array',
    code: 'VALIDATION_ERROR',
    mentions: ['orderBy'],
    run: (e) => query(e, { orderBy: [{ field: 'timestamp' }] }),
  });
  add({
    title: 'orderBy an unknown field',
    code: 'VALIDATION_ERROR',
    mentions: ['created_at'],
    run: (e) => query(e, { orderBy: { field: 'created_at' } }),
  });
  add({
    title: 'orderBy direction "up"',
    code: 'VALIDATION_ERROR',
    mentions: ['direction'],
    run: (e) => query(e, { orderBy: { field: 'timestamp', direction: 'up' } }),
  });
  add({
    title: 'orderBy with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['nulls'],
    run: (e) => query(e, { orderBy: { field: 'timestamp', nulls: 'first' } }),
  });
  add({
    title: 'reduce "count"',
    code: 'VALIDATION_ERROR',
    mentions: ['reduce'],
    run: (e) => query(e, { reduce: 'count' }),
  });
  add({
    title: 'reduce of an unknown type',
    code: 'VALIDATION_ERROR',
    mentions: ['median'],
    run: (e) => query(e, { reduce: { type: 'median', field: 'payload.a' } }),
  });
  for (const type of ['sum', 'avg', 'min', 'max', 'collect']) {
    add({
      title: `reduce ${type} without a field`,
      code: 'VALIDATION_ERROR',
      mentions: ['field'],
      run: (e) => query(e, { reduce: { type } }),
    });
  }
  add({
    title: 'reduce with a bad field path',
    code: 'VALIDATION_ERROR',
    mentions: ['payload.a b'],
    run: (e) => query(e, { reduce: { type: 'sum', field: 'payload.a b' } }),
  });
  add({
    title: 'reduce with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['having'],
    run: (e) => query(e, { reduce: { type: 'count', having: 1 } }),
  });
  add({
    title: 'groupBy []',
    code: 'VALIDATION_ERROR',
    mentions: ['groupBy'],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: [] } }),
  });
  add({
    title: 'groupBy "event_type"',
    code: 'VALIDATION_ERROR',
    mentions: ['groupBy'],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: 'event_type' } }),
  });
  add({
    title: 'groupBy an interval "year"',
    code: 'VALIDATION_ERROR',
    mentions: [/year|interval/i],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'year' }] } }),
  });
  add({
    title: 'groupBy a time bucket of a field other than timestamp',
    code: 'VALIDATION_ERROR',
    mentions: ['timestamp'],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: [{ field: 'payload.at', interval: 'day' }] } }),
  });
  add({
    title: 'groupBy a time bucket with an unknown key',
    code: 'VALIDATION_ERROR',
    mentions: ['timezone'],
    run: (e) =>
      query(e, {
        reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day', timezone: 'CET' }] },
      }),
  });
  add({
    title: 'groupBy the same field twice through an alias',
    code: 'VALIDATION_ERROR',
    mentions: [STREAM_ID],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: ['stream_id', 'streamId'] } }),
  });
  add({
    title: 'groupBy a bad path',
    code: 'VALIDATION_ERROR',
    mentions: ['payload.01'],
    run: (e) => query(e, { reduce: { type: 'count', groupBy: ['payload.01'] } }),
  });
  return list;
}

/** Registers the `errors` group. */
export function registerErrorTests(holder: ContextHolder): void {
  test.each(cases().map((c) => [c.title, c] as const))(
    'given %s, then the right code, a sentence naming the field, and nothing written',
    async (_title, errorCase) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('err');
      await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }], 's');
      const env: CaseEnv = {
        ctx,
        log: loose(ctx.log),
        tight: loose(ctx.tight),
        inst,
        fresh: ctx.uniqueName('free'),
      };
      const before = await snapshot(ctx, inst.id);
      const mentions =
        typeof errorCase.mentions === 'function' ? errorCase.mentions(env) : (errorCase.mentions ?? []);
      const result = await errorCase.run(env);
      expectFailure(result, errorCase.code, mentions);
      expect(await snapshot(ctx, inst.id)).toEqual(before);
      expectFailure(await ctx.log.getInstance(env.fresh), 'NOT_FOUND');
    },
  );

  test('given a path 16 segments deep, then it is valid; 17 is not', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('depth');
    const payload = nested(1);
    let cursor: Record<string, unknown> = payload;
    for (let i = 0; i < 16; i++) {
      const next: Record<string, unknown> = {};
      cursor[`k${i}`] = i === 15 ? 'bottom' : next;
      cursor = next;
    }
    await ctx.append(inst.id, [{ eventType: 'deep', payload: payload as never }]);
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: deepPath(16), operator: 'eq', value: 'bottom' }],
      }),
    );
    expect(result.total).toBe(1);
    expectFailure(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: deepPath(17), operator: 'exists', value: true }],
      }),
      'VALIDATION_ERROR',
    );
  });

  test('given an in list of exactly maxInValues, then it is accepted', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('in-cap');
    await ctx.append(inst.id, [{ eventType: 't5' }]);
    const value = Array.from({ length: ctx.limits.maxInValues }, (_, i) => `t${i}`);
    const { result } = expectOk(
      await ctx.log.queryEvents({
        from: { instance: inst.id },
        where: [{ field: 'event_type', operator: 'in', value }],
      }),
    );
    expect(result.total).toBe(1);
  });

  test('given a batch of exactly maxBatchEvents, then it is stored', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('batch-cap');
    const data = expectOk(
      await ctx.tight.appendEvents({
        instanceId: inst.id,
        events: Array.from({ length: 5 }, () => ({ eventType: 't' })),
      }),
    );
    expect(data.count).toBe(5);
  });

  test('given a driver error inside the adapter, then STORAGE_ERROR with a sentence, and the facade does not reject', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('storage');
    const broken = failingAdapter(ctx.adapter, new Error('disk I/O error (simulated)'));
    const log = ctx.facade(broken);
    const q = await log.queryEvents({ from: { instance: inst.id } });
    const failure = expectFailure(q, 'STORAGE_ERROR');
    expect(failure.error).not.toBe('');
    expectFailure(await log.appendEvent({ instanceId: inst.id, eventType: 'x' }), 'STORAGE_ERROR');
    expectFailure(await log.getInstanceStats(inst.id), 'STORAGE_ERROR');
    expect((await ctx.stats(inst.id)).eventCount).toBe(0);
  });

  test('given a thrown non-Error value inside the adapter, then STORAGE_ERROR', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('storage-string');
    const log = ctx.facade(failingAdapter(ctx.adapter, 'connection reset'));
    expectFailure(await log.queryEvents({ from: { instance: inst.id } }), 'STORAGE_ERROR');
  });
}

/**
 * The adapter with its data methods replaced by ones that throw `error`, as a broken driver
 * would. Instance lookups still work so the facade reaches the data methods.
 */
export function failingAdapter(adapter: StorageAdapter, error: unknown): StorageAdapter {
  const failing = new Set(['append', 'query', 'stats', 'readAfter', 'headPosition']);
  return new Proxy(adapter, {
    get(target, prop) {
      if (typeof prop === 'string' && failing.has(prop)) {
        return async () => {
          throw error;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
