// The MCP server from a program (docs/guides/mcp.md): an MCP client — here the SDK's, as an agent
// host would — lists the tools and calls two of them. `eventlog mcp` and `eventlog serve`'s `/mcp`
// serve the same server over stdio and streamable HTTP.

// #region connect
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { openEventLog } from 'eventlog';
import { createEventLogMcpServer } from 'eventlog/mcp';

const log = await openEventLog(); // $EVENTLOG_URL, else sqlite:./eventlog.db
const server = createEventLogMcpServer({ log, readOnly: false });
const agent = new Client({ name: 'docs-sample', version: '1.0.0' });
const [agentSide, serverSide] = InMemoryTransport.createLinkedPair();
await server.connect(serverSide);
await agent.connect(agentSide);
// #endregion connect

// #region tools
const { tools } = await agent.listTools();
console.log(tools.map((tool) => tool.name).join('\n'));
// #endregion tools

// #region call
await agent.callTool({
  name: 'eventlog_append_event',
  arguments: {
    instanceId: 'support',
    autoCreateInstance: true,
    streamId: 'ticket-9',
    eventType: 'TicketOpened',
    payload: { priority: 'high' },
    timestamp: '2024-03-01T09:00:00Z',
  },
});
const answer = await agent.callTool({
  name: 'eventlog_query_events',
  arguments: { query: { from: { instance: 'support' }, reduce: { type: 'count', groupBy: ['event_type'] } } },
});
// Each tool answers with the API's envelope as JSON text.
const [content] = answer.content as Array<{ type: 'text'; text: string }>;
const envelope = JSON.parse(content?.text ?? '{}');
console.log(envelope.success, JSON.stringify(envelope.data.result.aggregation.groups));
// #endregion call

await agent.close();
await server.close();
await log.close();
