/**
 * Appends: the stored record, defaults, both spellings, timestamp normalization, sequence numbers,
 * global positions, batches and JSON round trips (SPEC §3).
 */

import type { EventRecord, JsonObject } from '@eventlog/core';
import { expect, test } from 'vitest';
import { CANONICAL_TIMESTAMP, type ContextHolder, expectOk, useContext } from '../context.js';

const RECORD_KEYS = [
  'id',
  'instanceId',
  'stream_id',
  'event_type',
  'payload',
  'metadata',
  'timestamp',
  'sequence_number',
  'global_position',
];

/** Registers the `append` group. */
export function registerAppendTests(holder: ContextHolder): void {
  test('given full params, when appending one event, then the record holds every field as given', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('append');
    const { event, duplicate } = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 'user-123',
        eventType: 'login',
        payload: { userId: 'user-123', ip: '192.168.1.1', n: 1 },
        metadata: { source: 'web-app', version: '1.0.0' },
        timestamp: '2024-01-19T10:00:00.000Z',
      }),
    );
    expect(duplicate).toBeUndefined();
    expect(Object.keys(event).sort()).toEqual([...RECORD_KEYS].sort());
    expect(event).toEqual({
      id: expect.any(String),
      instanceId: inst.id,
      stream_id: 'user-123',
      event_type: 'login',
      payload: { userId: 'user-123', ip: '192.168.1.1', n: 1 },
      metadata: { source: 'web-app', version: '1.0.0' },
      timestamp: '2024-01-19T10:00:00.000Z',
      sequence_number: 1,
      global_position: expect.any(Number),
    });
    expect(event.id.length).toBeGreaterThan(0);
    expect(Number.isSafeInteger(event.global_position)).toBe(true);
    expect(event.global_position).toBeGreaterThan(0);
  });

  test('given only an event type, when appending, then stream "default", empty payload and metadata, and the current time', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('defaults');
    const before = Date.now();
    const { event } = expectOk(await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'ping' }));
    const after = Date.now();
    expect(event.stream_id).toBe('default');
    expect(event.payload).toEqual({});
    expect(event.metadata).toEqual({});
    expect(event.timestamp).toMatch(CANONICAL_TIMESTAMP);
    const at = Date.parse(event.timestamp);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(event).not.toHaveProperty('eventId');
  });

  test('given snake_case spellings, when appending, then they are accepted like camelCase', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('snake');
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, stream_id: 's-1', event_type: 'created' }),
    );
    expect(event).toMatchObject({ stream_id: 's-1', event_type: 'created' });
    const both = expectOk(
      await ctx.log.appendEvent({
        instanceId: inst.id,
        streamId: 's-1',
        stream_id: 's-1',
        eventType: 'x',
        event_type: 'x',
      }),
    );
    expect(both.event).toMatchObject({ stream_id: 's-1', event_type: 'x', sequence_number: 2 });
  });

  test('given an eventId, when appending, then the record carries it', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('eventid');
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, eventType: 'x', eventId: 'order-1/created' }),
    );
    expect(event.eventId).toBe('order-1/created');
    const [read] = await ctx.readAll(inst.id);
    expect(read?.eventId).toBe('order-1/created');
  });

  test.each([
    ['an ISO string with Z', '2024-01-19T10:00:00Z', '2024-01-19T10:00:00.000Z'],
    ['an ISO string with +02:00', '2024-03-10T12:00:00+02:00', '2024-03-10T10:00:00.000Z'],
    ['an ISO string with -0530', '2024-03-10T00:00:00.250-0530', '2024-03-10T05:30:00.250Z'],
    ['an offset crossing a year', '2024-01-01T01:00:00+03:00', '2023-12-31T22:00:00.000Z'],
    ['sub-millisecond digits', '2024-01-19T10:00:00.123999Z', '2024-01-19T10:00:00.123Z'],
    ['epoch milliseconds', 1_705_658_400_123, '2024-01-19T10:00:00.123Z'],
    ['epoch zero', 0, '1970-01-01T00:00:00.000Z'],
    ['negative epoch milliseconds', -1, '1969-12-31T23:59:59.999Z'],
    ['the first instant of year 0001', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
    ['the last instant of year 9999', 253_402_300_799_999, '9999-12-31T23:59:59.999Z'],
    ['a leap day', '2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
  ])(
    'given a timestamp as %s, when appending, then it is stored as canonical UTC',
    async (_label, input, expected) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance('ts');
      const { event } = expectOk(
        await ctx.log.appendEvent({ instanceId: inst.id, eventType: 't', timestamp: input }),
      );
      expect(event.timestamp).toBe(expected);
      const [read] = await ctx.readAll(inst.id);
      expect(read?.timestamp).toBe(expected);
    },
  );

  test('given appends to several streams, when reading, then sequence numbers count per stream without gaps and positions increase', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('seq');
    const streams = ['a', 'a', 'b', 'a', 'b', 'c', 'a'];
    const records: EventRecord[] = [];
    for (const streamId of streams) {
      records.push(
        expectOk(await ctx.log.appendEvent({ instanceId: inst.id, streamId, eventType: 'e' })).event,
      );
    }
    expect(records.map((r) => r.sequence_number)).toEqual([1, 2, 1, 3, 2, 1, 4]);
    for (let i = 1; i < records.length; i++) {
      expect(records[i]!.global_position).toBeGreaterThan(records[i - 1]!.global_position);
    }
    expect(await ctx.readAll(inst.id)).toEqual(records);
  });

  test('given a batch, when appending, then events keep array order, the default stream applies, and sequences continue', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('batch');
    await ctx.append(inst.id, [{ eventType: 'first', streamId: 'orders' }]);
    const data = expectOk(
      await ctx.log.appendEvents({
        instanceId: inst.id,
        streamId: 'orders',
        events: [
          { eventType: 'a', payload: { i: 0 } },
          { eventType: 'b', streamId: 'other', payload: { i: 1 } },
          { event_type: 'c', payload: { i: 2 } },
          { eventType: 'd', stream_id: 'other', payload: { i: 3 } },
        ],
      }),
    );
    expect(data.count).toBe(4);
    expect(data.duplicate).toBeUndefined();
    expect(data.events.map((e) => [e.event_type, e.stream_id, e.sequence_number, e.payload])).toEqual([
      ['a', 'orders', 2, { i: 0 }],
      ['b', 'other', 1, { i: 1 }],
      ['c', 'orders', 3, { i: 2 }],
      ['d', 'other', 2, { i: 3 }],
    ]);
    const positions = data.events.map((e) => e.global_position);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    expect(new Set(positions).size).toBe(4);
  });

  test('given a batch without any stream, when appending, then its events go to "default"', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('batch-default');
    const records = await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }]);
    expect(records.map((r) => [r.stream_id, r.sequence_number])).toEqual([
      ['default', 1],
      ['default', 2],
    ]);
  });

  test('given awkward JSON, when appending and reading back, then payload and metadata round-trip exactly', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('json');
    const payload: JsonObject = {
      astral: '😀𝄞 and \uFFFF and \uE000',
      combining: 'e\u0301',
      escapes: 'quote " apostrophe \' backslash \\ percent % underscore _ tab \t newline \n',
      empty: '',
      spaces: '  both  ',
      digits: '007',
      ints: [0, -1, 9_007_199_254_740_991, -9_007_199_254_740_991],
      floats: [0.1, -2.5, 1e-7, 1.5e20, 123456.789, Number.MIN_VALUE],
      flags: [true, false, null],
      nested: { a: { b: { c: [1, { d: 'deep' }, []] } }, emptyObject: {} },
      'key with space': 1,
      '': 'empty key',
      ключ: 'unicode key',
      $dollar: 'x',
    };
    const metadata: JsonObject = { 'x-request-id': 'r-1', source: 'web', nested: { list: ['a', 1, null] } };
    const [stored] = await ctx.append(inst.id, [{ eventType: 'json', payload, metadata }]);
    expect(stored?.payload).toEqual(payload);
    expect(stored?.metadata).toEqual(metadata);
    const [read] = await ctx.readAll(inst.id);
    expect(read?.payload).toEqual(payload);
    expect(read?.metadata).toEqual(metadata);
    expect(Object.keys(read?.payload ?? {}).sort()).toEqual(Object.keys(payload).sort());
  });

  test('given -0 and keys whose value is undefined, when appending, then -0 is stored as 0 and the keys are dropped', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('json-norm');
    const payload = { z: -0, gone: undefined, keep: 1 } as unknown as JsonObject;
    const [stored] = await ctx.append(inst.id, [{ eventType: 'x', payload }]);
    const [read] = await ctx.readAll(inst.id);
    for (const record of [stored, read]) {
      expect(record?.payload).toEqual({ z: 0, keep: 1 });
      expect(Object.is(record?.payload.z, -0)).toBe(false);
      expect(Object.hasOwn(record?.payload ?? {}, 'gone')).toBe(false);
    }
  });

  test('given appends to two instances, then global positions are unique and increasing across the store', async () => {
    const ctx = useContext(holder);
    const a = await ctx.newInstance('pos-a');
    const b = await ctx.newInstance('pos-b');
    const positions: number[] = [];
    for (let i = 0; i < 6; i++) {
      const target = i % 2 === 0 ? a : b;
      positions.push(
        expectOk(await ctx.log.appendEvent({ instanceId: target.id, eventType: 'e' })).event.global_position,
      );
    }
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]!);
  });

  test('given stored events, then positions, sequence numbers and counts are JavaScript numbers', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('numbers');
    await ctx.append(inst.id, [{ eventType: 'a' }, { eventType: 'b' }]);
    const [read] = await ctx.readAll(inst.id);
    expect(typeof read?.global_position).toBe('number');
    expect(typeof read?.sequence_number).toBe('number');
    const { result } = expectOk(
      await ctx.log.queryEvents({ from: { instance: inst.id }, reduce: { type: 'count' } }),
    );
    expect(typeof result.total).toBe('number');
    expect(result.aggregation?.value).toBe(2);
    const stats = await ctx.stats(inst.id);
    expect(typeof stats.eventCount).toBe('number');
    expect(typeof stats.streamCount).toBe('number');
    expect(typeof stats.eventTypes.a).toBe('number');
  });

  test('given names of exactly 200 code points, when appending, then stream id, event type and eventId are accepted', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('long-names');
    const long = 'é'.repeat(150) + '😀'.repeat(50);
    expect([...long].length).toBe(200);
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: inst.id, streamId: long, eventType: long, eventId: long }),
    );
    expect(event).toMatchObject({ stream_id: long, event_type: long, eventId: long });
  });

  test('given a payload of exactly the byte limit, when appending, then it is accepted', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('exact-bytes');
    const max = ctx.tight.store.limits.maxEventBytes;
    // JSON.stringify({"s":"…"}) + JSON.stringify({}) is 10 bytes plus the string; "é" is 2 bytes.
    const payload = { s: 'é'.repeat((max - 10) / 2) };
    expect(Buffer.byteLength(JSON.stringify(payload)) + Buffer.byteLength('{}')).toBe(max);
    expectOk(await ctx.tight.appendEvent({ instanceId: inst.id, eventType: 'x', payload }));
    expect((await ctx.stats(inst.id)).eventCount).toBe(1);
  });

  test('given events as returned by append, when querying, then the query returns the identical records', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('same-records');
    const appended = await ctx.append(inst.id, [
      { eventType: 'a', eventId: 'x-1', payload: { v: 1 } },
      { eventType: 'b', streamId: 's', metadata: { m: true } },
    ]);
    expect(await ctx.readAll(inst.id)).toEqual(appended);
  });
}
