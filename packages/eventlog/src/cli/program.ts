/**
 * The `eventlog` command line: builds the commander program and runs it.
 */

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
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
import { EXIT_USAGE, setJsonOutput } from './output.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/**
 * The program's commands: an unknown subcommand names its group and the valid subcommands.
 * (Commander's own message names neither, and a group with a default subcommand would pass the
 * unknown name on to it as an argument.)
 */
class EventlogCommand extends Command {
  override createCommand(name?: string): Command {
    return new EventlogCommand(name);
  }

  /** Replaces commander's `unknownCommand` (called with `this.args[0]` unknown). */
  unknownCommand(): never {
    const name = this.args[0];
    const valid = this.commands.map((c) => c.name()).filter((n) => n !== 'help');
    const group = this.parent === null ? '' : ` for '${this.name()}'`;
    this.error(`error: unknown command '${name}'${group}. Valid commands: ${valid.join(', ')}.`, {
      code: 'commander.unknownCommand',
      exitCode: EXIT_USAGE,
    });
  }
}

/** `eventlog instances` and the other groups' full names, for help hints. */
function pathOf(command: Command): string {
  return command.parent === null ? command.name() : `${pathOf(command.parent)} ${command.name()}`;
}

/**
 * Usage errors of every command: a hint to `--help` after the message, and a group with a
 * default subcommand (`instances` → `list`) refuses a first argument that is no subcommand
 * instead of handing it to the default.
 */
function configureUsage(command: Command): void {
  command.showHelpAfterError(`(run "${pathOf(command)} --help" for usage)`);
  if (command.commands.length > 0) {
    command.hook('preSubcommand', (group) => {
      const first = group.args[0];
      if (first === undefined || first.startsWith('-')) return;
      if (group.commands.some((c) => c.name() === first || c.aliases().includes(first))) return;
      (group as EventlogCommand).unknownCommand();
    });
  }
  for (const sub of command.commands) configureUsage(sub);
}

/** Commands whose stdout is a protocol or a log, not a result: they take no `--json`. */
const NO_RESULT = new Set(['serve', 'mcp']);

/**
 * `--json` on every command that prints a result: JSON even on a terminal. (Without a terminal —
 * pipes, scripts — results are JSON anyway.)
 */
function addJsonOption(command: Command): void {
  if (command.commands.length === 0 && !NO_RESULT.has(command.name())) {
    command.option('--json', 'print JSON even on a terminal (without one, output is always JSON)');
  }
  for (const sub of command.commands) addJsonOption(sub);
}

/**
 * Builds the `eventlog` program: `serve`, `mcp`, `instances`, `append`, `query`, `tail`, `stats`,
 * `import`, `export`, and the lifecycle commands `streams delete|truncate`, `retention set`,
 * `prune`, `archive`, `restore`, `forget`. Every command but `serve` works on a store URL or a `ws://` server URL
 * (`--url`, default `$EVENTLOG_URL`, else `sqlite:./eventlog.db`).
 */
export function buildProgram(): Command {
  const program = new EventlogCommand('eventlog')
    .description(
      'Event Log: serve a store over WebSocket, or work with instances and events in a store (sqlite:…, postgres://…, memory:) or on a server (ws://…).',
    )
    .version(version)
    // Usage errors are thrown to main(), which exits with 2 (commander would exit with 1).
    .exitOverride()
    .addHelpText(
      'after',
      `
Every command takes --url (default: $EVENTLOG_URL, else sqlite:./eventlog.db) and, for ws:// URLs,
--token (default: $EVENTLOG_TOKEN). Only commands that write (instances create, append --create,
import --create, restore, serve, mcp) create a missing SQLite file; the others fail naming the URL.

Output: a command that calls one method (instances, append, query, stats, streams, retention, prune,
forget) prints that method's envelope data, as the API returns it; import, export to a file, archive
and restore print a summary; tail prints events. On a terminal these are text for a person; piped,
redirected or with --json they are JSON (tail: NDJSON). export writes NDJSON records either way.
Progress and messages go to stderr.

Exit codes: 0 success; 1 the operation failed (stderr: "eventlog: CODE: message"); 2 usage error
(unknown command or option, missing argument, bad value, a destructive command without a terminal
and without --yes).
Short flags mean the same everywhere: -f --follow, -n --lines, -i --instance, -s --stream,
-w --where, -t --type, -p --payload, -m --metadata, -d --description, -y --yes.

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
  configureUsage(program);
  addJsonOption(program);
  program.hook('preAction', (_program, action) => setJsonOutput(action.opts().json === true));
  return program;
}

/**
 * Runs the CLI with `process.argv`-style arguments. With no arguments it prints the help on
 * stdout and exits with 0; a usage error (a group without its subcommand too) exits with 2.
 */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and --version exit 0; every other commander error is a usage error.
    process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
}
