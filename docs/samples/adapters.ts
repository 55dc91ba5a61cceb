// #region explicit
import { createEventLog, type EventLog, type StorageAdapter } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import { openEventLog } from 'eventlog';

/** The same program on any store: it sees one API and the same results. */
async function program(log: EventLog): Promise<string> {
  await log.store.appendEvents({
    instanceId: 'metrics',
    autoCreateInstance: true,
    events: [
      { eventType: 'cpu', payload: { host: 'a', value: 95 } },
      { eventType: 'cpu', payload: { host: 'b', value: 40 } },
      { eventType: 'disk', payload: { host: 'a', value: 71.5 } },
    ],
  });
  const { aggregation } = await log.store.queryEvents({
    from: { instance: 'metrics' },
    where: [{ field: 'payload.value', operator: 'gt', value: 50 }],
    reduce: { type: 'max', field: 'payload.value', groupBy: ['payload.host'] },
  });
  return JSON.stringify(aggregation?.groups);
}

const adapters: Array<[string, StorageAdapter]> = [
  ['memory', memoryAdapter()],
  ['sqlite', sqliteAdapter({ file: ':memory:' })], // or a file: { file: './events.db' }
];
for (const [name, adapter] of adapters) {
  const log = createEventLog({ adapter });
  console.log(name.padEnd(8), await program(log));
  await log.close();
}
// #endregion explicit

// #region capabilities
// What an adapter can do is data: check it rather than its name.
for (const [name, adapter] of [
  ['memory', memoryAdapter()],
  ['sqlite', sqliteAdapter({ file: './capabilities.db' })],
] as const) {
  const { persistent, crossProcess, transactions, queryPushdown } = adapter.capabilities;
  console.log(name.padEnd(8), JSON.stringify({ persistent, crossProcess, transactions, queryPushdown }));
  await adapter.close();
}
// #endregion capabilities

// #region postgres
// PostgreSQL: run with DATABASE_URL=postgres://user:password@host:5432/db to include it.
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl !== undefined) {
  const log = createEventLog({ adapter: postgresAdapter({ url: databaseUrl, schema: 'eventlog_docs' }) });
  console.log('postgres', await program(log));
  await log.close();
}
// #endregion postgres

// #region url
// Chosen by configuration: the URL in $EVENTLOG_URL (memory:, sqlite:<path>, postgres://…).
const log = await openEventLog(process.env.EVENTLOG_URL);
console.log('by URL  ', await program(log));
await log.close();
// #endregion url
