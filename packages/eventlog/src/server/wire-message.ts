/**
 * Reading incoming frames: size, JSON, shape. Nothing here throws: a bad frame becomes a failed
 * envelope (core's `failureEnvelope`).
 */

import {
  type EventLogError,
  type FailureEnvelope,
  failureEnvelope,
  limitExceeded,
  validationError,
  type WireEcho,
  wireEcho,
} from '@eventlog/core';

/** A frame that could be read as a request object (its fields not yet validated). */
export interface ReadRequest {
  ok: true;
  request: Record<string, unknown>;
  /** What answers to it echo: its `type` and `requestId`, when they are strings. */
  echo: WireEcho;
}

/** A frame that cannot be served, with the envelope to answer it. */
export interface BadFrame {
  ok: false;
  envelope: FailureEnvelope<string>;
}

/** The answer to a bad frame, echoing what could be read of it. */
function badFrame(header: unknown, error: EventLogError): BadFrame {
  const echo = wireEcho(header);
  return { ok: false, envelope: failureEnvelope(echo.type, error, echo.requestId) };
}

const MAX_SCAN = 64 * 1024;

/**
 * Finds top-level string members `type` and `requestId` in the first 64 KiB of JSON text without
 * parsing it all: used to echo them for frames too large (or too broken) to parse.
 */
export function scanHeader(text: string): { type?: string; requestId?: string } {
  const found: { type?: string; requestId?: string } = {};
  const end = Math.min(text.length, MAX_SCAN);
  let depth = 0;
  let i = 0;
  let expectKey = false;
  const readString = (): string | undefined => {
    // text[i] is the opening quote
    let j = i + 1;
    let out = '';
    while (j < end) {
      const c = text[j];
      if (c === '"') {
        i = j + 1;
        return out;
      }
      if (c === '\\') {
        const next = text[j + 1];
        if (next === undefined) return undefined;
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'u' ? '?' : next;
        j += next === 'u' ? 6 : 2;
        continue;
      }
      out += c;
      j++;
    }
    return undefined;
  };
  while (i < end) {
    const c = text[i];
    if (c === '"') {
      const startedAsKey = depth === 1 && expectKey;
      const value = readString();
      if (value === undefined) break;
      if (startedAsKey && (value === 'type' || value === 'requestId')) {
        while (i < end && /\s/.test(text[i] as string)) i++;
        if (text[i] !== ':') continue;
        i++;
        while (i < end && /\s/.test(text[i] as string)) i++;
        if (text[i] === '"') {
          const member = readString();
          if (member === undefined) break;
          found[value] = member;
          if (found.type !== undefined && found.requestId !== undefined) break;
        }
        expectKey = false;
        continue;
      }
      expectKey = false;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{';
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',') expectKey = depth === 1;
    i++;
  }
  return found;
}

function text(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return '';
}

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return (data as Buffer[]).reduce((n, b) => n + b.length, 0);
  if (data instanceof ArrayBuffer) return data.byteLength;
  return 0;
}

/**
 * Reads one frame: over `maxBytes` is `LIMIT_EXCEEDED`; not JSON, or not a JSON object, is
 * `VALIDATION_ERROR`. `type` and `requestId` are echoed whenever they can be read.
 */
export function readFrame(data: unknown, maxBytes: number): ReadRequest | BadFrame {
  const size = byteLength(data);
  if (size > maxBytes) {
    const header = scanHeader(text(Buffer.isBuffer(data) ? data.subarray(0, MAX_SCAN) : data));
    return badFrame(
      header,
      limitExceeded(
        `The message is ${size} bytes, above the server's limit of ${maxBytes} bytes (maxMessageBytes); split it, for example into smaller appendEvents batches.`,
        { limit: 'maxMessageBytes', max: maxBytes, actual: size },
      ),
    );
  }
  const raw = text(data);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return badFrame(
      scanHeader(raw),
      validationError(
        `The message is not valid JSON (${error instanceof Error ? error.message : String(error)}); send one JSON object { type: 'eventLog.<method>', requestId, params } per text frame.`,
      ),
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return badFrame(
      undefined,
      validationError(
        `The message is JSON but not an object (got ${parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : typeof parsed}); send { type: 'eventLog.<method>', requestId, params }.`,
      ),
    );
  }
  return { ok: true, request: parsed as Record<string, unknown>, echo: wireEcho(parsed) };
}
