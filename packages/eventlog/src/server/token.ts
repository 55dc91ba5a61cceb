/**
 * Token checks for `eventlog serve --token`: constant-time comparison of SHA-256 digests, so the
 * time taken does not reveal how much of a guess was right.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { EventLogError, WS_TOKEN_PROTOCOL_PREFIX } from '@eventlog/core';

/** Compares given tokens with the server's. */
export interface TokenCheck {
  /** True when `given` is a string equal to the server's token. */
  matches(given: unknown): boolean;
  /** True when an `Authorization` header value is `Bearer <the token>`. */
  matchesHeader(header: string | undefined): boolean;
  /**
   * True when a `Sec-WebSocket-Protocol` header offers `eventlog.bearer.<base64url of the token>`:
   * how browsers, which cannot set headers on a WebSocket, send the token with the handshake.
   */
  matchesProtocols(header: string | undefined): boolean;
}

/** The token offered as a subprotocol, if any. */
export function tokenFromProtocols(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(',')) {
    const value = part.trim();
    if (value.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) {
      return Buffer.from(value.slice(WS_TOKEN_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
    }
  }
  return undefined;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Builds the {@link TokenCheck} of a server token.
 *
 * @throws TypeError when the token is not a non-empty string
 */
export function tokenCheck(token: string): TokenCheck {
  if (typeof token !== 'string' || token === '') {
    throw new TypeError('The server token must be a non-empty string.');
  }
  const expected = digest(token);
  const matches = (given: unknown): boolean =>
    typeof given === 'string' && timingSafeEqual(digest(given), expected);
  return {
    matches,
    matchesHeader: (header) => {
      if (typeof header !== 'string') return false;
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      return match !== null && matches(match[1]);
    },
    matchesProtocols: (header) => {
      const given = tokenFromProtocols(header);
      return given !== undefined && matches(given);
    },
  };
}

/** How a request or connection presented its token. */
export type TokenPresented = 'missing' | 'wrong';

/**
 * The `UNAUTHORIZED` error of a request without the right token, saying how to send it.
 *
 * @param presented whether no token came, or a wrong one
 */
export function unauthorized(presented: TokenPresented): EventLogError {
  return new EventLogError(
    'UNAUTHORIZED',
    presented === 'missing'
      ? 'Unauthorized: this Event Log server needs a token. Send it as "Authorization: Bearer <token>" (HTTP, or the WebSocket upgrade), or as "token" in the first request on a WebSocket (connect(url, { token }) does this for you).'
      : 'Unauthorized: the token is wrong. Use the token the server was started with (eventlog serve --token).',
    { details: { reason: 'unauthorized' } },
  );
}
