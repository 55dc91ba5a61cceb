/**
 * The `eventlog` command line: builds the commander program and runs it.
 */

import { createRequire } from 'node:module';
import { Command } from 'commander';
import { appendCommand } from './commands/append-command.js';
import { archiveCommands } from './commands/archive-command.js';
import { exportCommand } from './commands/export-command.js';
import { forgetCommand } from './commands/forget-command.js';
import { importCommand } from './commands/import-command.js';
import { instancesCommand } from './commands/instances-command.js';
import { mcpCommand } from './commands/mcp-command.js';
import { queryCommand, statsCommand } from './commands/query-command.js';
import { pruneCommand, retentionCommand } from './commands/retention-command.js';
import { serveCommand } from './commands/serve-command.js';
import { streamsCommand } from './commands/streams-command.js';
import { tailCommand } from './commands/tail-command.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * Builds the `eventlog` program: `serve`, `mcp`, `instances`, `append`, `query`, `tail`, `stats`,
 * `import`, `export`, and the lifecycle commands `streams delete|truncate`, `retention set`,
 * `prune`, `archive`, `restore`, `forget`. Every command but `serve` works on a store URL or a `ws://` server URL
 * (`--url`, default `$EVENTLOG_URL`, else `sqlite:./eventlog.db`).
 */
export function buildProgram(): Command {
  const program = new Command('eventlog')
    .description(
      'Event Log: serve a store over WebSocket, or work with instances and events in a store (sqlite:…, postgres://…, memory:) or on a server (ws://…).',
    )
    .version(version)
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Every command takes --url (default: $EVENTLOG_URL, else sqlite:./eventlog.db) and, for ws:// URLs,
--token (default: $EVENTLOG_TOKEN). Results are JSON on stdout; failures print "eventlog: CODE: message"
on stderr and exit non-zero.

Examples:
  eventlog serve --url sqlite:./events.db --port 4000
  eventlog mcp --url sqlite:./events.db --read-only
  eventlog instances create audit-log -d "Who changed what"
  eventlog append audit-log --type login --payload '{"user":"u1"}' --url ws://127.0.0.1:4000
  eventlog query '{"from":{"instance":"audit-log"},"reduce":{"type":"count","groupBy":["event_type"]}}'
  eventlog tail audit-log -f
  eventlog export backup.ndjson --instance audit-log && eventlog import backup.ndjson --instance copy --create
  eventlog streams delete audit-log user-123 --yes
  eventlog retention set metrics --max-age 90d --max-events none && eventlog prune
  eventlog archive ./archive --before 365d --yes && eventlog query --archive ./archive '{"from":{"instance":"audit-log"}}'
  eventlog forget customer-42 --yes`,
    );
  serveCommand(program);
  mcpCommand(program);
  instancesCommand(program);
  appendCommand(program);
  queryCommand(program);
  tailCommand(program);
  statsCommand(program);
  importCommand(program);
  exportCommand(program);
  streamsCommand(program);
  retentionCommand(program);
  pruneCommand(program);
  archiveCommands(program);
  forgetCommand(program);
  return program;
}

/** Runs the CLI with `process.argv`-style arguments. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync([...argv]);
}
