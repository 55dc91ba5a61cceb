/**
 * Test helpers for the server: a raw WebSocket client that sends anything and collects replies.
 * (Under src/test/, which the build excludes.)
 */

import { WebSocket } from 'ws';

/** A raw client: send frames, await the next messages. */
export interface RawClient {
  socket: WebSocket;
  send(message: unknown): void;
  /** The next message (JSON-parsed), waiting up to `ms`. */
  next(ms?: number): Promise<Record<string, unknown>>;
  /** The next reply carrying this requestId, skipping pushes. */
  reply(requestId: string, ms?: number): Promise<Record<string, unknown>>;
  /** Sends a request and waits for its reply. */
  call(message: Record<string, unknown> & { requestId: string }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Opens a raw client and waits until it is open. */
export async function rawClient(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const socket = new WebSocket(url, { headers });
  const inbox: Array<Record<string, unknown>> = [];
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)) as Record<string, unknown>);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const next = async (ms = 5000) => {
    const end = Date.now() + ms;
    while (inbox.length === 0) {
      if (Date.now() > end) throw new Error('no message arrived in time');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 20);
      });
    }
    return inbox.shift() as Record<string, unknown>;
  };
  const client: RawClient = {
    socket,
    send: (message) =>
      socket.send(
        typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message),
      ),
    next,
    async reply(requestId, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const message = await next(Math.max(1, end - Date.now()));
        if (message.requestId === requestId) return message;
      }
    },
    call(message) {
      client.send(message);
      return client.reply(message.requestId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) resolve();
        else {
          // A paused socket cannot finish the close handshake: cut it after a moment.
          const cut = setTimeout(() => socket.terminate(), 500);
          socket.once('close', () => {
            clearTimeout(cut);
            resolve();
          });
          socket.close();
        }
      }),
  };
  return client;
}

/** Waits until `check()` holds, polling every 10 ms, failing after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
