/**
 * MCP's streamable HTTP transport as a plain `node:http` handler, for `eventlog serve` to mount at
 * `/mcp` once it answers HTTP (SPEC §11, §13). Stateless: each POST is served by a fresh MCP
 * server over the SDK's `StreamableHTTPServerTransport` with JSON responses, so there are no
 * sessions to keep and no resource subscriptions (those need a session; use stdio for them).
 * Tokens and origins follow SPEC §11.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { originPolicy } from '../server/origin.js';
import { tokenCheck } from '../server/token.js';
import { createEventLogMcpServer, type EventLogMcpServerOptions } from './mcp-server.js';

/** Options of {@link createMcpHttpHandler}. */
export interface McpHttpHandlerOptions extends Omit<EventLogMcpServerOptions, 'subscriptions'> {
  /** When set, every request needs `Authorization: Bearer <token>` (else 401 `UNAUTHORIZED`). */
  token?: string;
  /**
   * Origins (`https://app.example.com`, or `*` for every origin) allowed besides the server's own.
   * A request with an `Origin` header of any other origin is refused with 403. Default none.
   */
  allowedOrigins?: readonly string[];
}

/** Serves one HTTP request of the MCP endpoint. Never rejects. */
export type McpHttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-ID';
const EXPOSE_HEADERS = 'Mcp-Protocol-Version, Mcp-Session-Id, WWW-Authenticate';

/** Answers with a JSON-RPC error; `code` is the Event Log error code, in `error.data.code`. */
function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message, data: { code } }, id: null });
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(body);
}

/**
 * A `node:http` request handler serving MCP's streamable HTTP transport (stateless, JSON
 * responses) for a log, with the tools and resources of {@link createEventLogMcpServer}. Mount it
 * on a path of your HTTP server; `eventlog serve` mounts it at `/mcp` once it answers HTTP.
 *
 * - With `token`, a request without `Authorization: Bearer <token>` gets 401 and a JSON-RPC
 *   error whose `data.code` is `UNAUTHORIZED` (tokens are compared in constant time).
 * - A request whose `Origin` is neither the server's own nor in `allowedOrigins` gets 403
 *   (`data.code: 'FORBIDDEN'`); allowed cross-origin requests get CORS headers, and their
 *   preflight (`OPTIONS`) is answered without a token.
 * - Only POST carries messages; GET and DELETE (streams and sessions) are 405.
 *
 * @example
 * const mcp = createMcpHttpHandler({ log, token: process.env.EVENTLOG_TOKEN });
 * http.createServer((req, res) => (req.url === '/mcp' ? void mcp(req, res) : res.writeHead(404).end()));
 */
export function createMcpHttpHandler(options: McpHttpHandlerOptions): McpHttpHandler {
  const { token, allowedOrigins = [], ...serverOptions } = options;
  const check = token === undefined || token === '' ? undefined : tokenCheck(token);
  const origins = originPolicy(allowedOrigins);
  // Checks the options once, so a bad one fails here rather than on every request.
  void createEventLogMcpServer({ ...serverOptions, subscriptions: false });

  return async (req, res) => {
    const cors: Record<string, string> = {};
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.allows(origin, req.headers.host, req.socket.localAddress)) {
        refuse(res, 403, 'FORBIDDEN', `Forbidden: requests from the origin ${origin} are not allowed.`);
        return;
      }
      Object.assign(cors, {
        'access-control-allow-origin': origin,
        'access-control-expose-headers': EXPOSE_HEADERS,
        vary: 'Origin',
      });
    }
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          ...cors,
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
        })
        .end();
      return;
    }
    if (check !== undefined && !check.matchesHeader(req.headers.authorization)) {
      refuse(
        res,
        401,
        'UNAUTHORIZED',
        'Unauthorized: send the server token as "Authorization: Bearer <token>".',
        {
          ...cors,
          'www-authenticate': 'Bearer realm="eventlog"',
        },
      );
      return;
    }
    if (req.method !== 'POST') {
      refuse(res, 405, 'METHOD_NOT_ALLOWED', `Method not allowed: this endpoint is stateless; send POST.`, {
        ...cors,
        allow: 'POST, OPTIONS',
      });
      return;
    }
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    const server = createEventLogMcpServer({ ...serverOptions, subscriptions: false });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      if (!res.headersSent) refuse(res, 500, 'STORAGE_ERROR', `Internal error: ${(error as Error).message}`);
      else res.end();
    }
  };
}
