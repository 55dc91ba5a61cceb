/**
 * `eventlog serve`: opens a store and serves it over WebSocket until SIGINT/SIGTERM.
 */

import { DEFAULT_MAX_RESPONSE_BYTES } from '@eventlog/core';
import type { Command } from 'commander';
import { pruneIntervalOption, startServePruner } from '../../lifecycle/serve-pruner.js';
import { createMcpHttpHandler } from '../../mcp/mcp-http-handler.js';
import { openEventLog } from '../../open-event-log.js';
import { createEventLogServer } from '../../server/event-log-server.js';
import { stderrLogger } from '../../server/logger.js';
import { isLoopback } from '../../server/origin.js';
import { usageError } from '../output.js';
import { integerOption, reportFailure } from '../run-command.js';
import { checkUrl, isServerUrl, redactUrl, resolveUrl } from '../target.js';

/** The port `serve` listens on without `--port`. */
export const DEFAULT_PORT = '4000';

interface ServeOptions {
  url?: string;
  port: string;
  host: string;
  token?: string;
  maxMessageBytes?: string;
  maxResponseBytes?: string;
  logLevel: string;
  allowOrigin: string[];
  queryTimeoutMs: string;
  readThreads: string;
  durability?: string;
  pruneInterval: string;
  mcp: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Registers `serve`. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve a store over WebSocket and HTTP (API, SSE, console, /health, /metrics); prints "listening on ws://…" once it accepts connections',
    )
    .option('--url <store-url>', 'the store to serve (default: $EVENTLOG_URL, else sqlite:./eventlog.db)')
    .option('--port <port>', 'TCP port (0 picks a free one)', DEFAULT_PORT)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--token <secret>', 'require this token on every request (default: $EVENTLOG_TOKEN)')
    .option('--max-message-bytes <n>', 'largest request accepted (default 33554432)')
    .option(
      '--max-response-bytes <n>',
      'largest response sent; larger ones are LIMIT_EXCEEDED (default 67108864)',
    )
    .option(
      '--allow-origin <origin>',
      'let web pages of this origin (https://host[:port], or *) use the server; repeatable',
      (value: string, previous: string[]) => [
        ...previous,
        ...value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean),
      ],
      [] as string[],
    )
    .option('--durability <full|normal>', 'SQLite: synchronous=FULL (default) or NORMAL (see sqliteAdapter)')
    .option(
      '--read-threads <n>',
      'SQLite: threads running queries and statistics off the main thread (0: on the main thread, as a library does)',
      '2',
    )
    .option(
      '--query-timeout-ms <ms>',
      'SQLite: a query running longer is stopped with LIMIT_EXCEEDED (queries run on read threads)',
      '30000',
    )
    .option('--log-level <level>', `log level of the JSON log on stderr: ${LOG_LEVELS.join(', ')}`, 'info')
    .option('--mcp <mode>', 'the MCP server at /mcp: on, read-only (only the reading tools) or off', 'on')
    .option(
      '--prune-interval <duration>',
      'remove expired events every <duration> (10m, 1h, ms), or off',
      '10m',
    )
    .action(async (options: ServeOptions) => {
      try {
        await serve(options);
      } catch (error) {
        reportFailure(error);
      }
    });
}

async function serve(options: ServeOptions): Promise<void> {
  const url = resolveUrl(options);
  checkUrl(url);
  if (isServerUrl(url)) {
    throw usageError(`serve needs a store URL (sqlite:…, postgres://…, memory:), not the server URL ${url}.`);
  }
  const port = integerOption(options.port, '--port');
  const token = options.token ?? process.env.EVENTLOG_TOKEN;
  const pruneEvery = pruneIntervalOption(options.pruneInterval);
  const mcp = options.mcp;
  if (mcp !== 'on' && mcp !== 'read-only' && mcp !== 'off') {
    throw usageError(`--mcp must be on, read-only or off, got "${mcp}".`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(options.logLevel)) {
    throw usageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${options.logLevel}".`);
  }
  const logger = stderrLogger(options.logLevel as (typeof LOG_LEVELS)[number]);
  // A failure nothing awaited must not stop the server: log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'eventlog serve: unhandled promise rejection (the server keeps running)');
  });
  if (!token && !isLoopback(options.host)) {
    process.stderr.write(
      `eventlog: WARNING: serving ${options.host} without a token: anyone who can reach this address can read, write and delete every instance. Use --token (or EVENTLOG_TOKEN), or --host 127.0.0.1.\n`,
    );
  }
  const maxResponseBytes =
    options.maxResponseBytes === undefined
      ? undefined
      : integerOption(options.maxResponseBytes, '--max-response-bytes', 1);
  // SQLite queries run on read threads, with a time budget, so none can stall the server.
  const readThreads = integerOption(options.readThreads, '--read-threads', 0);
  const durability = options.durability;
  if (durability !== undefined && durability !== 'full' && durability !== 'normal') {
    throw usageError(`--durability must be full or normal, got "${durability}".`);
  }
  const log = await openEventLog(url, {
    adapterOptions: {
      sqlite: {
        ...(durability === undefined ? {} : { durability }),
        readWorkers:
          readThreads === 0
            ? false
            : {
                threads: readThreads,
                timeoutMs: integerOption(options.queryTimeoutMs, '--query-timeout-ms', 1),
                maxResultBytes: maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
              },
      },
    },
  });
  let server: Awaited<ReturnType<typeof createEventLogServer>>;
  try {
    server = await createEventLogServer({
      log,
      port,
      host: options.host,
      ...(token === undefined || token === '' ? {} : { token }),
      ...(options.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: integerOption(options.maxMessageBytes, '--max-message-bytes', 1) }),
      ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
      logger,
      allowOrigins: options.allowOrigin,
      // MCP's streamable HTTP transport, behind the same origin and token checks as the API.
      mounts:
        mcp === 'off'
          ? {}
          : {
              '/mcp': createMcpHttpHandler({
                log,
                readOnly: mcp === 'read-only',
                ...(token === undefined || token === '' ? {} : { token }),
                allowedOrigins: options.allowOrigin ?? [],
              }),
            },
    });
  } catch (error) {
    await log.close();
    throw error;
  }
  const pruner = pruneEvery === undefined ? undefined : startServePruner(log, pruneEvery);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`eventlog: ${signal} received, shutting down\n`);
    await pruner?.stop();
    await server.close();
    await log.close();
    process.stderr.write('eventlog: stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.stdout.write(
    `eventlog: listening on ${server.address.url} (store ${redactUrl(url)}${token ? ', token required' : ''}); HTTP API, console and metrics at ${server.address.httpUrl}\n`,
  );
}
