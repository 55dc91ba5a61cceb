/**
 * `eventlog mcp`: the event log as a Model Context Protocol server on stdio, for AI agents
 * (SPEC §13). stdout carries protocol messages only; everything else goes to stderr.
 */

import type { Command } from 'commander';
import { reportFailure, targetOf, targetOptions } from '../run-command.js';
import { openTarget, type TargetOptions } from '../target.js';

interface McpOptions extends TargetOptions {
  readOnly?: boolean;
}

/** Registers `mcp`. */
export function mcpCommand(program: Command): void {
  targetOptions(
    program
      .command('mcp')
      .description(
        'run a Model Context Protocol server on stdio for AI agents: the eventlog_* tools and eventlog:// resources',
      )
      .option('--read-only', 'expose only the reading tools (get, list, query, stats)'),
  ).action(async (options: McpOptions) => {
    try {
      await runMcp(options);
    } catch (error) {
      reportFailure(error);
    }
  });
}

async function runMcp(options: McpOptions): Promise<void> {
  // A library that logs to stdout would corrupt the protocol stream: send console output to stderr.
  console.log = console.info = console.debug = console.error;
  // Loaded here, so the other commands do not pay for the MCP SDK's start-up.
  const [{ StdioServerTransport }, { createEventLogMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/stdio.js'),
    import('../../mcp/mcp-server.js'),
  ]);
  const readOnly = options.readOnly === true;
  // A read-only server needs an existing store; a writing one may create it.
  const target = await openTarget({ ...targetOf(options), create: !readOnly });
  const server = createEventLogMcpServer({ log: target.eventLog, readOnly });
  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`eventlog: ${reason}, shutting down\n`);
    await server.close().catch(() => undefined);
    await target.close().catch(() => undefined);
    process.exit(0);
  };
  process.stdin.on('end', () => void stop('stdin closed'));
  process.on('SIGINT', () => void stop('SIGINT received'));
  process.on('SIGTERM', () => void stop('SIGTERM received'));
  try {
    await server.connect(new StdioServerTransport());
  } catch (error) {
    await target.close().catch(() => undefined);
    throw error;
  }
  process.stderr.write(
    `eventlog: MCP server on stdio (store ${target.label}${readOnly ? ', read-only' : ''})\n`,
  );
}
