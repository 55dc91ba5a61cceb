/**
 * `eventlog serve`: opens a store and serves it over WebSocket until SIGINT/SIGTERM.
 */

import type { Command } from 'commander';
import { pruneIntervalOption, startServePruner } from '../../lifecycle/serve-pruner.js';
import { openEventLog } from '../../open-event-log.js';
import { createEventLogServer } from '../../server/event-log-server.js';
import { usageError } from '../output.js';
import { integerOption, reportFailure } from '../run-command.js';
import { isServerUrl, redactUrl, resolveUrl } from '../target.js';

interface ServeOptions {
  url?: string;
  port: string;
  host: string;
  token?: string;
  maxMessageBytes?: string;
  pruneInterval: string;
}

/** Registers `serve`. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a store over WebSocket; prints "listening on ws://…" once it accepts connections')
    .option('--url <store-url>', 'the store to serve (default: $EVENTLOG_URL, else sqlite:./eventlog.db)')
    .requiredOption('--port <port>', 'TCP port (0 picks a free one)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--token <secret>', 'require this token on every request (default: $EVENTLOG_TOKEN)')
    .option('--max-message-bytes <n>', 'largest request accepted (default 33554432)')
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
  if (isServerUrl(url)) {
    throw usageError(`serve needs a store URL (sqlite:…, postgres://…, memory:), not the server URL ${url}.`);
  }
  const port = integerOption(options.port, '--port');
  const token = options.token ?? process.env.EVENTLOG_TOKEN;
  const pruneEvery = pruneIntervalOption(options.pruneInterval);
  const log = await openEventLog(url);
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
    `eventlog: listening on ${server.address.url} (store ${redactUrl(url)}${token ? ', token required' : ''})\n`,
  );
}
