import { describe, expect, it } from 'vitest';
import { exceedsBytes, toWireJson } from './wire-json.js';

const send = (payload: unknown) => () => toWireJson({ params: { instanceId: 'i', payload } });

describe('toWireJson', () => {
  it.each([
    ['a BigInt', { n: 1n }, 'payload.n: is a BigInt'],
    ['NaN', { n: Number.NaN }, 'payload.n: is NaN'],
    ['Infinity', { list: [1, Number.POSITIVE_INFINITY] }, 'payload.list[1]: is Infinity'],
    ['a function', { f: () => 1 }, 'payload.f: is a function'],
    ['a Map', { m: new Map() }, 'payload.m: is a Map'],
    ['a Date', { at: new Date(0) }, 'date.toISOString()'],
    ['undefined in an array', { list: [undefined] }, 'payload.list[0]: is undefined inside an array'],
  ])('given %s, when serialized, then VALIDATION_ERROR names the path', (_name, payload, text) => {
    expect(send(payload)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_ERROR', message: expect.stringContaining(text) }),
    );
  });

  it('given plain JSON with undefined keys, when serialized, then it is JSON.stringify without those keys', () => {
    const message = {
      type: 't',
      params: { a: 1, b: undefined, c: [null, { d: 'é' }], e: Object.create(null) },
    };
    expect(toWireJson(message)).toBe('{"type":"t","params":{"a":1,"c":[null,{"d":"é"}],"e":{}}}');
  });

  it('given sizes around the limit, when measured, then UTF-8 bytes count', () => {
    expect(exceedsBytes('é'.repeat(10), 20)).toBe(false);
    expect(exceedsBytes('é'.repeat(11), 20)).toBe(true);
    expect(exceedsBytes('a'.repeat(21), 20)).toBe(true);
  });
});
