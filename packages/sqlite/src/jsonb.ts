/**
 * SQLite's JSONB encoding of a checked JSON value, written in JavaScript: the bytes `jsonb(?)`
 * would make of `JSON.stringify(value)`, byte for byte (jsonb.test.ts compares them over generated
 * values), without the text in between. Appends bind these blobs instead of text for `jsonb(?)`:
 * inserting 300,000 rows of the bench's 150-byte payloads took 1.32–1.36 µs per row this way
 * against 1.85–1.92 µs with `JSON.stringify` and `jsonb(?)`; the encoder alone takes 0.34–0.35 µs
 * per payload, `JSON.stringify` 0.42–0.43 (`bench/src/profile-jsonb.ts`, three rounds).
 *
 * Every element is a header, the element's type in the low four bits and its payload's size in
 * the high four (0–11 inline; 12, 13 and 14: the size follows in 1, 2 or 4 big-endian bytes), then
 * its payload: the text of a number, the UTF-8 of a string (escaped as JSON writes it when it needs
 * escapes), the elements of an array, or each key followed by its value. Headers are the smallest
 * that holds the size, as SQLite writes them. See https://sqlite.org/jsonb.html.
 *
 * The values are the append's checked copies. Anything that is not JSON (NaN, a function, a
 * BigInt…) is refused with a TypeError, never written as something else.
 */

const NULL = 0x00;
const TRUE = 0x01;
const FALSE = 0x02;
const INT = 0x03;
const FLOAT = 0x05;
/** A string that needs no escapes. */
const TEXT = 0x07;
/** A string holding JSON escapes. */
const TEXTJ = 0x08;
const ARRAY = 0x0b;
const OBJECT = 0x0c;

/** The encoding of `{}`. */
export const EMPTY_OBJECT_JSONB: Uint8Array = Uint8Array.of(OBJECT);

/** The append's checks let only JSON through: anything else reaching the encoder is a bug, never stored. */
function notJson(value: unknown): Error {
  return new TypeError(`JSONB encoder: ${typeof value} ${String(value)} is not a checked JSON value`);
}

/** The buffer a writer starts with, and the most it keeps between values. */
const INITIAL_BYTES = 64 * 1024;
const KEPT_BYTES = 1024 * 1024;

/** Bytes of the header of a payload of `size` bytes. */
function headerBytes(size: number): number {
  return size <= 11 ? 1 : size <= 0xff ? 2 : size <= 0xffff ? 3 : 5;
}

/**
 * Encodes values into one growing buffer: each `encode` returns a view of its bytes, valid until
 * `reset` (better-sqlite3 copies a bound blob, so the views of one row are bound, then reused).
 */
export class JsonbWriter {
  private buffer: Buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  private at = 0;
  private ownKeysOnly = false;

  /** Bytes the writer holds for its encodings (it grows for a large value, and shrinks back on `reset`). */
  get capacity(): number {
    return this.buffer.length;
  }

  /**
   * Starts over at the beginning of the buffer (earlier views are then overwritten). A buffer that
   * grew past `KEPT_BYTES` for a large value is let go, so a connection does not hold megabytes
   * after one large event.
   */
  reset(): void {
    this.at = 0;
    if (this.buffer.length > KEPT_BYTES) this.buffer = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  /**
   * The JSONB of a JSON value, as a view into the writer's buffer. A plain `Uint8Array` view, not a
   * `Buffer` one: better-sqlite3 binds either, and this one is made in a third of the time.
   */
  encode(value: unknown): Uint8Array {
    const start = this.at;
    // An enumerable member added to Object.prototype would be listed by for…in (JSON skips it):
    // then keys come from Object.keys, which is slower.
    this.ownKeysOnly = false;
    for (const _ in Object.prototype) this.ownKeysOnly = true;
    this.value(value);
    const b = this.buffer;
    return new Uint8Array(b.buffer, b.byteOffset + start, this.at - start);
  }

  /** Makes room for `bytes` more bytes (a new buffer keeps earlier views valid: they hold the old one). */
  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes + 1024));
    this.buffer.copy(next, 0, 0, this.at);
    this.buffer = next;
  }

  /**
   * Writes the header of the element at `headerAt`, whose `size`-byte payload was written after
   * `reserved` header bytes: when the size needs another header width, the payload moves first.
   */
  private close(headerAt: number, reserved: number, type: number, size: number): void {
    const needed = headerBytes(size);
    if (needed !== reserved) {
      const payload = headerAt + reserved;
      if (needed > reserved) this.room(needed - reserved);
      this.buffer.copyWithin(headerAt + needed, payload, payload + size);
      this.at = headerAt + needed + size;
    }
    this.header(headerAt, type, size);
  }

  /** Writes at `at` the header of an element of `type` with a `size`-byte payload (`headerBytes(size)` bytes). */
  private header(at: number, type: number, size: number): void {
    const b = this.buffer;
    if (size <= 11) b[at] = (size << 4) | type;
    else if (size <= 0xff) {
      b[at] = 0xc0 | type;
      b[at + 1] = size;
    } else if (size <= 0xffff) {
      b[at] = 0xd0 | type;
      b[at + 1] = size >>> 8;
      b[at + 2] = size & 0xff;
    } else {
      b[at] = 0xe0 | type;
      b.writeUInt32BE(size, at + 1);
    }
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        if (!Number.isFinite(value)) throw notJson(value);
        // JSON writes an integer below 10^21 without a fraction or exponent: SQLite reads it as INT.
        this.ascii(Number.isInteger(value) && Math.abs(value) < 1e21 ? INT : FLOAT, String(value));
        return;
      case 'boolean':
        this.room(1);
        this.buffer[this.at++] = value ? TRUE : FALSE;
        return;
      case 'object':
        if (value === null) {
          this.room(1);
          this.buffer[this.at++] = NULL;
        } else if (Array.isArray(value)) this.array(value);
        else this.object(value as Record<string, unknown>);
        return;
      default:
        throw notJson(value);
    }
  }

  /** A number's text (ASCII, so as many bytes as characters: its header is known first). */
  private ascii(type: number, text: string): void {
    const n = text.length;
    const width = headerBytes(n);
    this.room(width + n);
    this.header(this.at, type, n);
    const b = this.buffer;
    let at = this.at + width;
    for (let i = 0; i < n; i++) b[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** A string: its UTF-8, reserved for as many bytes as it has characters (all ASCII, the usual case). */
  private string(text: string): void {
    const n = text.length;
    const reserved = headerBytes(n);
    this.room(reserved + n * 3);
    const b = this.buffer;
    const headerAt = this.at;
    let at = headerAt + reserved;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c < 0x20 || c === 0x22 || c === 0x5c) {
          this.at = headerAt;
          this.escaped(text);
          return;
        }
        b[at++] = c;
      } else if (c < 0x800) {
        b[at++] = 0xc0 | (c >> 6);
        b[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        b[at++] = 0xe0 | (c >> 12);
        b[at++] = 0x80 | ((c >> 6) & 0x3f);
        b[at++] = 0x80 | (c & 0x3f);
      } else {
        // A surrogate pair (the checks rejected lone surrogates).
        const p = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
        b[at++] = 0xf0 | (p >> 18);
        b[at++] = 0x80 | ((p >> 12) & 0x3f);
        b[at++] = 0x80 | ((p >> 6) & 0x3f);
        b[at++] = 0x80 | (p & 0x3f);
      }
    }
    this.at = at;
    this.close(headerAt, reserved, TEXT, at - headerAt - reserved);
  }

  /** A string that needs escapes: the text between the quotes JSON.stringify writes. */
  private escaped(text: string): void {
    const json = JSON.stringify(text);
    const size = Buffer.byteLength(json, 'utf8') - 2;
    const header = headerBytes(size);
    this.room(header + size + 2);
    const headerAt = this.at;
    // Written with its quotes, then the header is written over the opening quote's place.
    this.buffer.write(json, headerAt + header - 1, 'utf8');
    this.at = headerAt + header + size;
    this.close(headerAt, header, TEXTJ, size);
  }

  /** A member of an object; one whose value is undefined is left out, as JSON leaves it out. */
  private member(key: string, value: unknown): void {
    if (value === undefined) return;
    this.string(key);
    this.value(value);
  }

  private array(items: readonly unknown[]): void {
    this.room(2);
    const headerAt = this.at;
    this.at += 2; // most arrays of events hold 12–255 bytes
    for (let i = 0; i < items.length; i++) this.value(items[i]);
    this.close(headerAt, 2, ARRAY, this.at - headerAt - 2);
  }

  private object(members: Record<string, unknown>): void {
    this.room(2);
    const headerAt = this.at;
    this.at += 2; // most payloads hold 12–255 bytes
    if (this.ownKeysOnly) {
      for (const key of Object.keys(members)) this.member(key, members[key]);
    } else {
      for (const key in members) this.member(key, members[key]);
    }
    this.close(headerAt, 2, OBJECT, this.at - headerAt - 2);
  }
}
