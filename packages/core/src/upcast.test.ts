import { describe, expect, it } from 'vitest';
import type { EventRecord, JsonObject } from './model.js';
import { compileUpcasters, schemaVersionOf, type Upcaster, upcastChain } from './upcast.js';

function stored(eventType: string, payload: JsonObject, metadata: JsonObject = {}): EventRecord {
  return {
    id: 'r1',
    instanceId: 'i',
    stream_id: 's',
    event_type: eventType,
    payload,
    metadata,
    timestamp: '2019-01-01T00:00:00.000Z',
    sequence_number: 1,
    global_position: 7,
  };
}

type Events = {
  OrderCreated: { orderId: string; total: { amount: number; currency: string } };
  Other: JsonObject;
};

const chain = upcastChain<Events, 'OrderCreated'>('OrderCreated', [
  (v1: { id: string; total: number }) => ({ orderId: v1.id, total: v1.total }),
  (v2: { orderId: string; total: number }) => ({
    orderId: v2.orderId,
    total: { amount: v2.total, currency: 'EUR' },
  }),
]);

describe('compileUpcasters', () => {
  it('given a v1 event and a v1→v2→v3 chain, when applied, then the payload is v3 and schemaVersion 3', () => {
    const { apply } = compileUpcasters([chain]);
    const event = stored('OrderCreated', { id: 'o1', total: 12 }, { source: 'legacy' });
    const current = apply(event);
    expect(current.payload).toEqual({ orderId: 'o1', total: { amount: 12, currency: 'EUR' } });
    expect(current.metadata).toEqual({ source: 'legacy', schemaVersion: 3 });
    expect(event.payload).toEqual({ id: 'o1', total: 12 }); // the stored record is untouched
  });

  it('given a v2 event, when applied, then only the v2→v3 step runs', () => {
    const { apply } = compileUpcasters([chain]);
    const current = apply(stored('OrderCreated', { orderId: 'o2', total: 5 }, { schemaVersion: 2 }));
    expect(current.payload).toEqual({ orderId: 'o2', total: { amount: 5, currency: 'EUR' } });
  });

  it('given a current event or another type, when applied, then the same object comes back', () => {
    const { apply } = compileUpcasters([chain]);
    const current = stored(
      'OrderCreated',
      { orderId: 'o3', total: { amount: 1, currency: 'USD' } },
      { schemaVersion: 3 },
    );
    expect(apply(current)).toBe(current);
    const other = stored('Other', {});
    expect(apply(other)).toBe(other);
  });

  it('given a later list with the same step, then it overrides the earlier one', () => {
    const override: Upcaster<Events> = {
      eventType: 'OrderCreated',
      fromVersion: 2,
      upcast: (p) => ({ ...p, total: { amount: 0, currency: 'GBP' } }),
    };
    const { apply } = compileUpcasters([chain, [override]]);
    expect(apply(stored('OrderCreated', { id: 'o', total: 3 })).payload).toEqual({
      orderId: 'o',
      total: { amount: 0, currency: 'GBP' },
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a step registered twice', [...chain, chain[0]], /registered twice/],
    ['a missing upcast', [{ eventType: 'A', fromVersion: 1 }], /upcast must be a function/],
    ['version 0', [{ eventType: 'A', fromVersion: 0, upcast: () => ({}) }], /integer ≥ 1/],
    ['no eventType', [{ fromVersion: 1, upcast: () => ({}) }], /eventType/],
    ['not an array', { eventType: 'A' }, /must be an array/],
  ])('given %s, when compiled, then a TypeError says what is wrong', (_label, list, message) => {
    expect(() => compileUpcasters([list as Upcaster[]])).toThrow(message);
  });

  it('given an upcaster that throws or returns a non-object, when applied, then the error names the type, version and position', () => {
    const bad = compileUpcasters([
      [
        {
          eventType: 'A',
          fromVersion: 1,
          upcast: () => {
            throw new Error('boom');
          },
        },
      ],
    ]);
    expect(() => bad.apply(stored('A', {}))).toThrow(
      /"A" from version 1 failed on the event at position 7: boom/,
    );
    const wrong = compileUpcasters([
      [{ eventType: 'A', fromVersion: 1, upcast: () => null as unknown as JsonObject }],
    ]);
    expect(() => wrong.apply(stored('A', {}))).toThrow(/returned null/);
  });

  it('given different upcasters, then their fingerprints differ; the same ones give the same fingerprint', () => {
    const a = compileUpcasters([chain]).fingerprint;
    expect(compileUpcasters([chain]).fingerprint).toBe(a);
    const changed = upcastChain<Events, 'OrderCreated'>('OrderCreated', [
      (v1: { id: string; total: number }) => ({ orderId: v1.id, total: v1.total * 100 }),
      (v2: { orderId: string; total: number }) => ({
        orderId: v2.orderId,
        total: { amount: v2.total, currency: 'EUR' },
      }),
    ]);
    expect(compileUpcasters([changed]).fingerprint).not.toBe(a);
    expect(compileUpcasters([]).fingerprint).toBe('');
  });
});

describe('schemaVersionOf', () => {
  it.each<[unknown, number]>([
    [undefined, 1],
    [3, 3],
    [0, 1],
    ['2', 1],
    [1.5, 1],
  ])('given metadata.schemaVersion %j, then the version is %d', (value, expected) => {
    const metadata: JsonObject = value === undefined ? {} : { schemaVersion: value as number };
    expect(schemaVersionOf({ metadata })).toBe(expected);
  });
});
