/**
 * The few WebSocket members the client uses, shared by the browser's `WebSocket` and the `ws`
 * package, so the client runs in both without DOM types.
 */

/** An event of a {@link WebSocketLike}; `data` on messages, `code`/`reason` on close, `message`/`error` on errors. */
export interface WebSocketEventLike {
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
  error?: unknown;
}

/** The WebSocket members the client needs (browser `WebSocket` and `ws` both have them). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: WebSocketEventLike) => void) | null;
  onmessage: ((event: WebSocketEventLike) => void) | null;
  onclose: ((event: WebSocketEventLike) => void) | null;
  onerror: ((event: WebSocketEventLike) => void) | null;
}

/**
 * A WebSocket constructor. The second argument is only passed to `ws` (Node), to send the
 * `Authorization` header; browsers cannot set headers, so there the token travels in each request.
 */
export type WebSocketConstructor = new (url: string, options?: unknown) => WebSocketLike;

/** `readyState` of an open socket. */
export const OPEN = 1;

const isNode = (): boolean =>
  typeof process !== 'undefined' &&
  typeof (process as { versions?: { node?: string } }).versions?.node === 'string';

/**
 * The WebSocket implementation to use: the given one, else `ws` in Node (it can send headers),
 * else the global `WebSocket` (browsers, Deno, Bun).
 */
export async function resolveWebSocket(
  given: WebSocketConstructor | undefined,
): Promise<{ Ctor: WebSocketConstructor; canSendHeaders: boolean }> {
  if (given !== undefined) return { Ctor: given, canSendHeaders: false };
  if (isNode()) {
    const ws = (await import('ws')) as unknown as { WebSocket: WebSocketConstructor };
    return { Ctor: ws.WebSocket, canSendHeaders: true };
  }
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (global === undefined) {
    throw new TypeError('No WebSocket implementation found; pass connect(url, { WebSocket }).');
  }
  return { Ctor: global, canSendHeaders: false };
}
