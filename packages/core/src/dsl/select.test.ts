import { describe, expect, it } from 'vitest';
import type { EventRecord, JsonObject } from '../model.js';
import { fieldNode } from './ast.js';
import { copyEvent, copyJson, projectEvent } from './select.js';

function event(payload: JsonObject, metadata: JsonObject = {}): EventRecord {
  return {
    id: 'e1',
    instanceId: 'i1',
    stream_id: 's1',
    event_type: 'T',
    payload,
    metadata,
    timestamp: '2024-01-01T00:00:00.000Z',
    sequence_number: 1,
    global_position: 7,
  };
}

describe('projectEvent', () => {
  it('given top-level and nested selections, when projecting, then fields are nested as stored', () => {
    const e = event({ user: { id: 'u1', name: 'Ada' }, total: 3 }, { 'x-request-id': 'r1' });
    expect(
      projectEvent(e, [
        fieldNode('event_type'),
        fieldNode('global_position'),
        fieldNode('payload', ['user', 'id']),
        fieldNode('metadata', ['x-request-id']),
      ]),
    ).toEqual({
      event_type: 'T',
      global_position: 7,
      payload: { user: { id: 'u1' } },
      metadata: { 'x-request-id': 'r1' },
    });
  });

  it('given a missing path, when projecting, then it is left out without creating parents', () => {
    const e = event({ user: { id: 'u1' } });
    expect(projectEvent(e, [fieldNode('id'), fieldNode('payload', ['user', 'email'])])).toEqual({ id: 'e1' });
    expect(projectEvent(e, [fieldNode('payload', ['nope', 'deeper'])])).toEqual({});
  });

  it('given a null value, when projecting, then null is kept (it is present)', () => {
    expect(projectEvent(event({ a: null }), [fieldNode('payload', ['a'])])).toEqual({ payload: { a: null } });
  });

  it('given overlapping selections, when projecting, then they merge', () => {
    const e = event({ a: { b: 1, c: 2, d: 3 }, z: 0 });
    expect(projectEvent(e, [fieldNode('payload', ['a', 'b']), fieldNode('payload', ['a', 'c'])])).toEqual({
      payload: { a: { b: 1, c: 2 } },
    });
    expect(projectEvent(e, [fieldNode('payload', ['a', 'b']), fieldNode('payload', ['a'])])).toEqual({
      payload: { a: { b: 1, c: 2, d: 3 } },
    });
    expect(projectEvent(e, [fieldNode('payload', ['a']), fieldNode('payload', ['a', 'b'])])).toEqual({
      payload: { a: { b: 1, c: 2, d: 3 } },
    });
    expect(projectEvent(e, [fieldNode('payload'), fieldNode('payload', ['z'])])).toEqual({
      payload: e.payload,
    });
  });

  it('given index segments, when projecting, then arrays are built with null before the highest index', () => {
    const e = event({ items: [{ sku: 'a', n: 1 }, { sku: 'b', n: 2 }, 'third'] });
    expect(projectEvent(e, [fieldNode('payload', ['items', 1])])).toEqual({
      payload: { items: [null, { sku: 'b', n: 2 }] },
    });
    expect(
      projectEvent(e, [fieldNode('payload', ['items', 2]), fieldNode('payload', ['items', 0, 'sku'])]),
    ).toEqual({ payload: { items: [{ sku: 'a' }, null, 'third'] } });
    expect(
      projectEvent(e, [fieldNode('payload', ['items', 1, 'sku']), fieldNode('payload', ['items', 1, 'n'])]),
    ).toEqual({ payload: { items: [null, { sku: 'b', n: 2 }] } });
    expect(projectEvent(e, [fieldNode('payload', ['items', 9])])).toEqual({});
  });

  it('given an index segment on an object or a key on an array, when projecting, then it is missing', () => {
    const e = event({ obj: { '0': 'x' }, arr: ['y'] });
    expect(
      projectEvent(e, [fieldNode('payload', ['obj', 0]), fieldNode('payload', ['arr', 'length'])]),
    ).toEqual({});
  });

  it('given a projection, when the caller mutates it, then the stored record is unchanged', () => {
    const e = event({ user: { tags: ['a'] } });
    const p = projectEvent(e, [fieldNode('payload', ['user']), fieldNode('payload')]) as {
      payload: JsonObject;
    };
    ((p.payload.user as JsonObject).tags as string[]).push('b');
    expect(e.payload).toEqual({ user: { tags: ['a'] } });
  });

  it('given a payload key named __proto__, when projecting through it, then it is an own key and no prototype changes', () => {
    const payload = JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject;
    const e = event(payload);
    const p = projectEvent(e, [fieldNode('payload', ['__proto__', 'polluted'])]) as { payload: object };
    expect(Object.getPrototypeOf(p.payload)).toBe(Object.prototype);
    expect(Object.hasOwn(p.payload, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A missing __proto__ path must not walk into Object.prototype either.
    expect(projectEvent(event({}), [fieldNode('payload', ['__proto__', 'x'])])).toEqual({});
  });
});

describe('copyEvent / copyJson', () => {
  it('given a record, when copied, then nothing is shared and eventId appears only when present', () => {
    const e = event({ a: [{ b: 1 }] }, { m: { n: 'x' } });
    const c = copyEvent(e);
    expect(c).toEqual(e);
    expect(c.payload).not.toBe(e.payload);
    expect((c.payload.a as JsonObject[])[0]).not.toBe((e.payload.a as JsonObject[])[0]);
    expect(c.metadata.m).not.toBe(e.metadata.m);
    expect('eventId' in c).toBe(false);
    expect(copyEvent({ ...e, eventId: 'k' }).eventId).toBe('k');
  });

  it('given an own __proto__ key, when copied, then it stays an own key', () => {
    const v = JSON.parse('{"__proto__": 1, "a": null}') as JsonObject;
    const c = copyJson(v);
    expect(Object.hasOwn(c, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(JSON.stringify(c)).toBe(JSON.stringify(v));
  });
});
