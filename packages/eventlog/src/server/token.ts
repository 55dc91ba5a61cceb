/**
 * Token checks for `eventlog serve --token`: constant-time comparison of SHA-256 digests, so the
 * time taken does not reveal how much of a guess was right.
 */

import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares given tokens with the server's. */
export interface TokenCheck {
  /** True when `given` is a string equal to the server's token. */
  matches(given: unknown): boolean;
  /** True when an `Authorization` header value is `Bearer <the token>`. */
  matchesHeader(header: string | undefined): boolean;
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
  };
}
