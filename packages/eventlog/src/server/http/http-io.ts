/**
 * Reading request bodies and writing JSON answers over HTTP, with the same limits as the
 * WebSocket side: bodies over `maxMessageBytes` are refused without being read whole, answers are
 * serialized in chunks under `maxResponseBytes` (see `response-body.ts`) and written as the
 * client takes them.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '@eventlog/core';
import { failureEnvelope, type MessageType } from '@eventlog/core';
import { encodeJson, responseTooLarge } from '../response-body.js';

/** The HTTP status of each outcome (SPEC §11). */
export function statusOf(envelope: { success: boolean; code?: ErrorCode | string }): number {
  if (envelope.success) return 200;
  switch (envelope.code) {
    case 'VALIDATION_ERROR':
      return 400;
    case 'UNAUTHORIZED':
      return 401;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'ALREADY_EXISTS':
      return 409;
    case 'LIMIT_EXCEEDED':
      return 413;
    default:
      return 500;
  }
}

/** A request body, or why it was not read. */
export type Body = { ok: true; text: string } | { ok: false; tooLarge: true; bytes: number };

/**
 * Reads a request body as UTF-8 text, up to `maxBytes`: a larger `Content-Length` is refused
 * before anything is read, and a body that grows past the limit stops being read.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Body> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, tooLarge: true, bytes: declared });
  }
  return new Promise<Body>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > maxBytes) {
        done = true;
        request.pause();
        resolve({ ok: false, tooLarge: true, bytes });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    });
    request.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

/** Resolves when the response can take more data (or is gone). */
function drained(response: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/** Writes text chunks, each after the previous one was taken. */
export async function writeChunks(response: ServerResponse, chunks: readonly string[]): Promise<void> {
  for (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await drained(response);
  }
}

/**
 * Answers with an envelope as JSON, with the status of its outcome; over `maxResponseBytes` the
 * answer is a `LIMIT_EXCEEDED` envelope (413) instead. Throws what serializing throws.
 */
export async function sendEnvelope(
  response: ServerResponse,
  envelope: { type: string; success: boolean; code?: string; requestId?: string },
  maxResponseBytes: number,
  headers: Record<string, string> = {},
): Promise<void> {
  let answer: unknown = envelope;
  let body = await encodeJson(envelope, maxResponseBytes);
  if (!body.ok) {
    answer = failureEnvelope(
      envelope.type as MessageType,
      responseTooLarge(maxResponseBytes),
      envelope.requestId,
    );
    body = await encodeJson(answer, Number.MAX_SAFE_INTEGER);
  }
  if (!body.ok) return; // unreachable: no cap
  if (response.destroyed) return;
  response.writeHead(statusOf(answer as { success: boolean; code?: string }), {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.bytes),
    'cache-control': 'no-store',
    ...headers,
  });
  await writeChunks(response, body.chunks);
  response.end();
}

/** Answers with a small JSON value (health, errors outside the API). */
export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}
