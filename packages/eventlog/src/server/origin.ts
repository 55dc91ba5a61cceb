/**
 * Which web pages may use the server. Browsers send an `Origin` header with WebSocket upgrades and
 * cross-origin requests, and let any page open `ws://127.0.0.1:<port>`: without a check, any site a
 * person visits could drive a local server that has no token. The server's own pages (the console,
 * same origin) and clients that send no `Origin` (Node, curl, other languages) are let in; other
 * origins only when listed (`--allow-origin`).
 */

/** Decides whether a request's `Origin` may use the server. */
export interface OriginPolicy {
  /**
   * True when `origin` (the request's `Origin` header) is absent, is the server's own (its host
   * equals the request's `Host`), or is allowed. On a loopback connection (`localAddress`, the
   * address the request came in on) the server's own origin must also be a loopback name:
   * otherwise a page whose domain was rebound to 127.0.0.1 (DNS rebinding) would pass as its own.
   */
  allows(origin: string | undefined, host: string | undefined, localAddress?: string): boolean;
  /** True when every origin is allowed (`*`). */
  readonly allowsAll: boolean;
}

/** `scheme://host[:port]` of an origin as browsers serialize it, or undefined when it is not one. */
function normalize(origin: string): string | undefined {
  if (origin === 'null') return 'null';
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Builds the policy of a list of allowed origins (`https://app.example.com`, or `*` for all).
 *
 * @throws TypeError for an entry that is not an origin
 * @example originPolicy(['https://app.example.com']).allows('https://app.example.com', 'localhost:4000') // true
 */
export function originPolicy(allowed: readonly string[] = []): OriginPolicy {
  const allowsAll = allowed.includes('*');
  const listed = new Set<string>();
  for (const entry of allowed) {
    if (entry === '*') continue;
    const origin = normalize(entry);
    if (origin === undefined) {
      throw new TypeError(
        `allowOrigins: "${entry}" is not an origin; give scheme://host[:port], like "https://app.example.com", or "*" for every origin.`,
      );
    }
    listed.add(origin);
  }
  return {
    allowsAll,
    allows(origin, host, localAddress) {
      if (origin === undefined || allowsAll) return true;
      const normalized = normalize(origin);
      if (normalized === undefined) return false;
      if (listed.has(normalized)) return true;
      if (normalized === 'null' || host === undefined) return false;
      // Same origin: the page was loaded from this server, under the name the request used.
      const own = new URL(normalized);
      if (own.host !== host.toLowerCase()) return false;
      return localAddress === undefined || !isLoopback(localAddress) || isLoopback(own.hostname);
    },
  };
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h) || h === '::ffff:127.0.0.1';
}
