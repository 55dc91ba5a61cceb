import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EMPTY_OBJECT_JSONB, JsonbWriter } from './jsonb.js';

const db = new Database(':memory:');
afterAll(() => db.close());
const sqliteJsonb = db.prepare('SELECT jsonb(?)').pluck();
const asText = db.prepare('SELECT json(?)').pluck();
/** What SQLite makes of the JSON text of a value: the bytes the encoder must write. */
const reference = (value: unknown) => sqliteJsonb.get(JSON.stringify(value)) as Buffer;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const writer = new JsonbWriter();
function encode(value: unknown): string {
  writer.reset();
  return hex(writer.encode(value));
}

/** JSON values as the append's checks leave them: no lone surrogates (they are rejected). */
const checkedJson = fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 4 });

describe('JsonbWriter', () => {
  it('writes the bytes jsonb(JSON.stringify(value)) makes, for generated values', () => {
    fc.assert(
      fc.property(checkedJson, (value) => {
        expect(encode(value)).toBe(hex(reference(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the bytes SQLite writes at every header width, escape and number form', () => {
    const cases: unknown[] = [
      {},
      [],
      '',
      'a'.repeat(11), // the last inline size
      'a'.repeat(12), // a one-byte size
      'a'.repeat(255),
      'a'.repeat(256), // a two-byte size
      'a'.repeat(65_536), // a four-byte size
      { k: 'x'.repeat(250) }, // an object whose size crosses 255 after its header was reserved
      ['é'.repeat(5)], // two bytes per character: 10 bytes under a header reserved for 5 characters
      '€'.repeat(4), // 12 bytes: the header grows after the string was written
      '😀 emoji', // a surrogate pair: four bytes
      'quote " and backslash \\',
      'controls \u0001 \b \t \n \f \r \u001f',
      'é and a quote "', // escapes and non-ASCII together
      '\u2028\u2029\u007f', // JSON leaves these unescaped
      0,
      -0,
      -7,
      1.5,
      -2.5e-7,
      1e21,
      123456789012345680000,
      Number.MAX_SAFE_INTEGER + 2,
      Number.MIN_VALUE,
      true,
      false,
      null,
      { __proto__: null, a: 1 },
      JSON.parse('{"__proto__": {"b": [1, {"c": null}]}}'),
      { nested: [[[{ deep: ['x'] }]]], 'a key with "quotes"': 1 },
    ];
    for (const value of cases)
      expect(encode(value), JSON.stringify(value)?.slice(0, 40)).toBe(hex(reference(value)));
  });

  it('leaves out members whose value is undefined, as JSON does', () => {
    expect(encode({ a: 1, b: undefined, c: 2 })).toBe(hex(reference({ a: 1, c: 2 })));
  });

  it('lists own members only, even when Object.prototype has an enumerable member', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 1;
    try {
      expect(encode({ a: { b: 1 } })).toBe(hex(reference({ a: { b: 1 } })));
    } finally {
      delete proto.polluted;
    }
  });

  it('refuses what is not JSON instead of writing something else', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, () => 1, Symbol('s'), 1n, undefined]) {
      expect(() => encode({ a: [bad] }), String(bad)).toThrow(/not a checked JSON value/);
    }
  });

  it('keeps the views of one row apart, and a view stays valid when the buffer grows', () => {
    writer.reset();
    const first = writer.encode({ a: 'first' });
    const big = writer.encode({ b: 'x'.repeat(200_000) }); // outgrows the 64 KiB buffer
    expect(asText.get(first)).toBe('{"a":"first"}');
    expect(asText.get(big)).toBe(JSON.stringify({ b: 'x'.repeat(200_000) }));
  });

  it('makes room for the two-byte header of a long number at the very end of the buffer', () => {
    const own = new JsonbWriter();
    own.reset();
    // An array of 65,514 nulls (3 + 65,514 bytes) leaves 19 bytes of the 64 KiB buffer: one fewer
    // than the 18-character number and its two-byte header take.
    own.encode(new Array(65_514).fill(null));
    expect(own.capacity - 3 - 65_514).toBe(19);
    expect(asText.get(own.encode(1.2345678901234567))).toBe('1.2345678901234567');
  });

  it('lets a buffer grown for a large value go on the next reset', () => {
    const own = new JsonbWriter();
    const small = own.capacity;
    own.reset();
    own.encode({ big: 'x'.repeat(2_000_000) });
    expect(own.capacity).toBeGreaterThan(2_000_000);
    own.reset();
    expect(own.capacity).toBe(small);
    expect(asText.get(own.encode({ a: 1 }))).toBe('{"a":1}');
  });

  it('encodes {} as one byte', () => {
    expect(hex(EMPTY_OBJECT_JSONB)).toBe(hex(reference({})));
  });
});
