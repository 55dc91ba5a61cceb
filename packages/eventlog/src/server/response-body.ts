/**
 * Serializing responses without building one giant string: an envelope becomes JSON text in
 * chunks of about {@link CHUNK_BYTES}, the top levels walked here and each element below them
 * (an event, an instance, a group) stringified on its own. The walk yields to the event loop
 * between chunks, so a large result does not stall other clients, and stops as soon as the text
 * passes the response cap, so no response can approach V8's string limit (which would throw
 * inside the server) or make the server buffer more than the cap.
 */

import { limitExceeded } from '@eventlog/core';

/** Target size of one chunk of text, in UTF-8 bytes (a WebSocket fragment, an HTTP write). */
export const CHUNK_BYTES = 256 * 1024;

/** Containers this deep (the envelope is 0) are walked; deeper values are stringified whole. */
const WALK_DEPTH = 4;

/** The JSON text of a response, in chunks. */
export interface EncodedBody {
  ok: true;
  chunks: string[];
  /** UTF-8 bytes of all chunks. */
  bytes: number;
}

/** A response that passed the cap; `bytes` is how far the text had got. */
export interface OversizedBody {
  ok: false;
  bytes: number;
}

class Oversized extends Error {}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function isWalkable(value: unknown): value is Record<string, unknown> | unknown[] {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  );
}

/**
 * Serializes `value` as `JSON.stringify` would, in chunks, failing once it passes `maxBytes`.
 * Throws what `JSON.stringify` throws (a `BigInt`, a cycle below the walked levels).
 *
 * @example
 * const body = await encodeJson(envelope, 64 * 1024 * 1024);
 * if (body.ok) for (const chunk of body.chunks) socket.write(chunk);
 */
export async function encodeJson(value: unknown, maxBytes: number): Promise<EncodedBody | OversizedBody> {
  const chunks: string[] = [];
  let pending: string[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let sinceYield = 0;

  const push = async (text: string): Promise<void> => {
    const size = text.length <= 64 ? text.length : Buffer.byteLength(text);
    bytes += size;
    if (bytes > maxBytes) throw new Oversized();
    pending.push(text);
    pendingBytes += size;
    sinceYield += size;
    if (pendingBytes >= CHUNK_BYTES) {
      chunks.push(pending.join(''));
      pending = [];
      pendingBytes = 0;
    }
    if (sinceYield >= CHUNK_BYTES * 4) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  };

  const write = async (node: unknown, depth: number): Promise<void> => {
    if (depth >= WALK_DEPTH || !isWalkable(node)) {
      // JSON.stringify gives undefined for undefined, functions and symbols; callers handle those.
      await push(JSON.stringify(node) ?? 'null');
      return;
    }
    if (Array.isArray(node)) {
      await push('[');
      for (let i = 0; i < node.length; i++) {
        if (i > 0) await push(',');
        const item = node[i];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') await push('null');
        else await write(item, depth + 1);
      }
      await push(']');
      return;
    }
    await push('{');
    let first = true;
    for (const key of Object.keys(node)) {
      const item = node[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      await push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      await write(item, depth + 1);
    }
    await push('}');
  };

  try {
    await write(value, 0);
  } catch (error) {
    if (error instanceof Oversized) return { ok: false, bytes };
    throw error;
  }
  if (pending.length > 0) chunks.push(pending.join(''));
  return { ok: true, chunks, bytes };
}

/** The `LIMIT_EXCEEDED` error of a response over the cap. */
export function responseTooLarge(maxBytes: number) {
  return limitExceeded(
    `The response is larger than ${maxBytes} bytes, the most this server sends (maxResponseBytes, eventlog serve --max-response-bytes). Ask for less: a smaller limit, select only the fields you need, or page with offset (or readAfter positions).`,
    { limit: 'maxResponseBytes', max: maxBytes },
  );
}
