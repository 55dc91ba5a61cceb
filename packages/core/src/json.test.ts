import { describe, expect, it } from 'vitest';
import { EventLogError } from './errors.js';
import {
  isWellFormed,
  jsonByteLength,
  stringProblem,
  toJsonObject,
  toJsonValue,
  toSizedJsonObject,
  utf8ByteLength,
} from './json.js';

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

function nest(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('toJsonObject', () => {
  it('given plain JSON, when checked, then returns an equal deep copy that is not the same object', () => {
    const input = { a: 1, b: 'x', c: [1, { d: null, e: true }], f: { g: [] }, h: -1.5e300 };
    const out = toJsonObject(input, 'payload');
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(out.c).not.toBe(input.c);
    expect((out.c as unknown[])[1]).not.toBe(input.c[1]);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it('given a copy, when the caller mutates the input afterwards, then the copy does not change', () => {
    const input = { list: [1, 2], nested: { x: 1 } };
    const out = toJsonObject(input, 'payload');
    input.list.push(3);
    input.nested.x = 2;
    expect(out).toEqual({ list: [1, 2], nested: { x: 1 } });
  });

  it('given keys whose value is undefined, when checked, then they are dropped as JSON drops them', () => {
    const out = toJsonObject({ a: undefined, b: { c: undefined, d: 1 } }, 'payload');
    expect(out).toEqual({ b: { d: 1 } });
    expect(Object.keys(out)).toEqual(['b']);
  });

  it('given -0 anywhere, when checked, then it becomes 0', () => {
    const out = toJsonObject({ a: -0, b: [-0] }, 'payload');
    expect(Object.is(out.a, 0)).toBe(true);
    expect(Object.is((out.b as number[])[0], 0)).toBe(true);
  });

  it('given a null-prototype object, when checked, then it is accepted and copied as a plain object', () => {
    const input = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const out = toJsonObject(input, 'payload');
    expect(out).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('given a "__proto__" key (as JSON.parse creates), when checked, then it stays an own key', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const out = toJsonObject(input, 'payload');
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"y":2}');
  });

  it('given a "__proto__" key holding -0 or undefined, when checked, then 0 is stored as an own key, and undefined dropped', () => {
    const zero = toJsonObject(JSON.parse('{"__proto__": -0, "y": 2}'), 'payload');
    expect(Object.hasOwn(zero, '__proto__')).toBe(true);
    expect(Object.is(Object.getOwnPropertyDescriptor(zero, '__proto__')?.value, 0)).toBe(true);
    expect(Object.getPrototypeOf(zero)).toBe(Object.prototype);
    const input = JSON.parse('{"__proto__": 1, "y": 2}') as Record<string, unknown>;
    Object.defineProperty(input, '__proto__', { value: undefined }); // the own key, not the prototype
    const dropped = toJsonObject(input, 'payload');
    expect(Object.hasOwn(dropped, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(dropped)).toBe(Object.prototype);
    expect(JSON.stringify(dropped)).toBe('{"y":2}');
  });

  it('given a getter, when checked, then it is read once and the copy holds the value that was checked', () => {
    let reads = 0;
    const input = {
      get a(): unknown {
        reads++;
        return reads === 1 ? { ok: true } : () => 'not JSON';
      },
    };
    const out = toJsonObject(input, 'payload');
    expect(reads).toBe(1);
    expect(Object.getOwnPropertyDescriptor(out, 'a')).toMatchObject({ value: { ok: true }, writable: true });
  });

  it('given a location that spells itself, when the value is fine, then it is never spelled', () => {
    let spelled = 0;
    const where = {
      toString() {
        spelled++;
        return 'events[7].payload';
      },
    };
    toJsonObject({ a: [1, { b: 'x' }] }, where);
    expect(spelled).toBe(0);
    const error = errorOf(() => toJsonObject({ a: [1, { b: Number.NaN }] }, where));
    expect(error.message).toBe('events[7].payload.a[1].b: NaN is not JSON; use a finite number or null.');
    expect(errorOf(() => toJsonObject([], where)).message).toMatch(
      /^events\[7\]\.payload: must be a JSON object/,
    );
  });

  it('given a shared (non-cyclic) reference, when checked, then both places are copied', () => {
    const shared = { v: 1 };
    const out = toJsonObject({ a: shared, b: shared }, 'payload');
    expect(out).toEqual({ a: { v: 1 }, b: { v: 1 } });
  });

  it('given surrogate pairs and other Unicode, when checked, then they are accepted', () => {
    expect(toJsonObject({ 'k😀': 'é😀\u2028' }, 'payload')).toEqual({ 'k😀': 'é😀\u2028' });
  });

  it('given exactly 100 levels of nesting, when checked, then it is accepted; 101 is rejected', () => {
    expect(() => toJsonObject(nest(100), 'payload')).not.toThrow();
    const error = errorOf(() => toJsonObject(nest(101), 'payload'));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message).toMatch(/deeper than 100/);
  });

  const sparse: unknown[] = [1];
  sparse[2] = 3;
  const inner: Record<string, unknown> = {};
  const cyclic: Record<string, unknown> = { a: { b: inner } };
  inner.back = cyclic;
  const cyclicArray: unknown[] = [];
  cyclicArray.push({ list: cyclicArray });
  class Point {
    x = 1;
  }

  it.each([
    ['NaN', { items: [1, 2, 3, NaN] }, 'payload.items[3]: NaN is not JSON; use a finite number or null.'],
    ['Infinity', { n: Infinity }, 'payload.n: Infinity is not JSON'],
    ['-Infinity', { n: -Infinity }, 'payload.n: -Infinity is not JSON'],
    ['a function', { f: () => 1 }, 'payload.f: a function is not JSON'],
    ['a BigInt', { big: 10n }, 'payload.big: the BigInt 10n is not JSON'],
    ['a symbol value', { s: Symbol('x') }, 'payload.s: a symbol is not JSON'],
    ['a Date', { when: new Date(0) }, 'payload.when: a Date is not JSON; pass date.toISOString()'],
    ['a class instance', { p: new Point() }, 'payload.p: an instance of Point is not plain JSON'],
    ['a Map', { m: new Map() }, 'payload.m: an instance of Map is not plain JSON'],
    ['a boxed string', { s: new String('x') }, 'payload.s: an instance of String'],
    ['a cycle', cyclic, 'payload.a.b.back: the value contains a cycle'],
    ['a cycle through an array', { root: cyclicArray }, 'payload.root[0].list: the value contains a cycle'],
    ['a sparse array', { list: sparse }, 'payload.list[1]: the array has a hole'],
    ['undefined in an array', { list: [1, undefined] }, 'payload.list[1]: undefined in an array is not JSON'],
    ['a NUL in a string', { s: 'a\u0000b' }, 'payload.s: the string contains a NUL character'],
    ['a lone high surrogate', { s: 'a\ud800' }, 'payload.s: the string contains a lone surrogate'],
    ['a lone low surrogate', { s: '\udc00b' }, 'payload.s: the string contains a lone surrogate'],
    ['a NUL in a key', { 'a\u0000': 1 }, 'payload["a\\u0000"]: the key contains a NUL character'],
    ['a lone surrogate in a key', { '\ud800': 1 }, 'payload["\\ud800"]: the key contains a lone surrogate'],
    ['a key needing quotes', { 'x-request-id': NaN }, 'payload["x-request-id"]: NaN'],
    ['a typed array', { t: new Uint8Array(2) }, 'payload.t: an instance of Uint8Array'],
    ['an Array subclass', { a: new (class Extra extends Array {})() }, 'payload.a: an instance of Extra'],
  ])('given %s, when checked, then VALIDATION_ERROR names the exact location', (_name, input, message) => {
    const error = errorOf(() => toJsonObject(input, 'payload'));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message.startsWith(message)).toBe(true);
    expect(error.details?.issues).toEqual([
      expect.objectContaining({ path: expect.stringMatching(/^payload/) }),
    ]);
  });

  it('given a cycle entered below 100 levels of nesting, when checked, then it is reported as too deep', () => {
    const deep = nest(99);
    let leaf = deep;
    while (leaf.a !== undefined) leaf = leaf.a as Record<string, unknown>;
    const loop: Record<string, unknown> = {};
    loop.self = { again: loop };
    leaf.loop = loop;
    expect(errorOf(() => toJsonObject(deep, 'payload')).message).toMatch(/deeper than 100/);
  });

  it('given a symbol key, when checked, then VALIDATION_ERROR', () => {
    const error = errorOf(() => toJsonObject({ [Symbol('k')]: 1, a: 1 }, 'metadata'));
    expect(error.message).toMatch(/^metadata: the object has a symbol key/);
  });

  it.each([
    ['null', null, 'got null'],
    ['an array', [1], 'got an array of 1 item'],
    ['a string', 'x', 'got the string "x"'],
    ['a number', 5, 'got the number 5'],
    ['a Date', new Date(0), 'a Date is not JSON'],
  ])(
    'given %s at the top, when checked, then VALIDATION_ERROR says an object is needed',
    (_n, input, text) => {
      const error = errorOf(() => toJsonObject(input, 'events[2].payload'));
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.message).toContain('events[2].payload');
      expect(error.message).toContain(text);
    },
  );

  it('given a location prefix, when a nested value fails, then the message uses it', () => {
    const error = errorOf(() => toJsonObject({ items: [0, 1, 2, NaN] }, 'events[2].payload'));
    expect(error.message).toBe('events[2].payload.items[3]: NaN is not JSON; use a finite number or null.');
  });
});

describe('toSizedJsonObject', () => {
  /** A small deterministic generator (no fast-check in core) of varied JSON values. */
  function generator(seed: number) {
    let state = seed;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const strings = [
      '',
      'a',
      'é',
      '€',
      '😀',
      '"q"',
      'back\\slash',
      'tab\t',
      'nl\n',
      '\u0001',
      '\u001f',
      '\u007f',
      '\u2028',
      'x-y_z',
    ];
    const numbers = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99,
      100,
      -1234567,
      2 ** 53 - 1,
      -(2 ** 53),
      2 ** 53,
      1e21,
      1.5,
      -0.001,
      1e-7,
      123.456e30,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
    ];
    const value = (depth: number): unknown => {
      const r = next();
      if (depth > 3 || r < 0.5)
        return pick([
          () => pick(strings) + pick(strings),
          () => pick(numbers),
          () => true,
          () => false,
          () => null,
        ])();
      if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      return object(depth + 1);
    };
    const object = (depth: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      const n = Math.floor(next() * 4);
      for (let i = 0; i < n; i++) out[pick(strings) + i] = next() < 0.1 ? undefined : value(depth);
      return out;
    };
    return object;
  }

  it('given many generated values, when sized, then bytes equal UTF-8 bytes of JSON.stringify', () => {
    const make = generator(42);
    for (let i = 0; i < 2000; i++) {
      const input = make(0);
      const { json, bytes } = toSizedJsonObject(input, 'payload');
      expect(json).toEqual(JSON.parse(JSON.stringify(input)));
      expect(bytes).toBe(new TextEncoder().encode(JSON.stringify(input)).length);
    }
  });

  it('given an empty object and nested empties, when sized, then the byte count is exact', () => {
    for (const input of [
      {},
      { a: {} },
      { a: [] },
      { a: [{}] },
      { a: [[], []] },
      { a: undefined },
      { a: undefined, b: 1 },
    ]) {
      expect(toSizedJsonObject(input, 'p').bytes).toBe(JSON.stringify(input).length);
    }
  });
});

describe('toJsonValue', () => {
  it('given scalars and arrays, when checked, then they are copied', () => {
    expect(toJsonValue('x', 'v')).toBe('x');
    expect(toJsonValue(null, 'v')).toBe(null);
    expect(toJsonValue([1, [2]], 'v')).toEqual([1, [2]]);
  });

  it('given undefined, when checked, then VALIDATION_ERROR', () => {
    expect(errorOf(() => toJsonValue(undefined, 'v')).message).toMatch(/^v: undefined is not JSON/);
  });
});

describe('byte lengths', () => {
  it.each([
    [{}, 2],
    [{ a: 'é' }, 10],
    [{ a: '😀' }, 12],
    [{ a: '€' }, 11],
    [{ a: 'x\n' }, 11],
    [[1, 2], 5],
  ])('given %j, when measured, then it is the UTF-8 length of its JSON', (value, bytes) => {
    expect(jsonByteLength(value)).toBe(bytes);
    expect(jsonByteLength(value)).toBe(new TextEncoder().encode(JSON.stringify(value)).length);
  });

  it('given strings, when measured, then utf8ByteLength matches TextEncoder', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀b€é']) {
      expect(utf8ByteLength(s)).toBe(new TextEncoder().encode(s).length);
    }
  });
});

describe('string checks', () => {
  it.each([
    ['abc', true],
    ['😀', true],
    ['\ud800', false],
    ['\udc00', false],
    ['a\ud83d', false],
    ['\ud83d\ude00\ud83d', false],
  ])('given %j, when checked for well-formedness, then %s', (s, ok) => {
    expect(isWellFormed(s)).toBe(ok);
    expect(stringProblem(s) === undefined).toBe(ok);
  });
});
