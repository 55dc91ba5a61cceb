// The snippets of the package pages, run like every sample.
import { createEventLog, DEFAULT_LIMITS, parseQuery } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { createQueryCompiler, sqliteDialect } from '@eventlog/sql';
import { sqliteAdapter } from '@eventlog/sqlite';

{
  // #region core
  type ShopEvents = { OrderCreated: { total: number }; OrderShipped: { carrier: string } };

  const log = createEventLog<ShopEvents>({ adapter: memoryAdapter() });
  await log.appendEvent({
    instanceId: 'shop',
    autoCreateInstance: true,
    streamId: 'order-1',
    eventType: 'OrderCreated',
    payload: { total: 42 },
  });
  const res = await log.queryEvents({
    from: { instance: 'shop' },
    where: [{ field: 'payload.total', operator: 'gte', value: 10 }],
  });
  for (const e of res.success ? (res.data.result.events ?? []) : []) {
    if (e.event_type === 'OrderCreated') console.log(e.stream_id, e.payload.total); // typed: number
  }
  await log.close();
  // #endregion core
}

{
  // #region memory
  const log = createEventLog({ adapter: memoryAdapter() }); // or openEventLog('memory:')
  // #endregion memory
  console.log('memory:', log.store.adapter.name);
  await log.close();
}

{
  // #region sqlite
  const log = createEventLog({ adapter: sqliteAdapter({ file: './events.db' }) }); // ':memory:' too
  // #endregion sqlite
  console.log('sqlite:', log.store.adapter.name);
  await log.close();
}

// #region sql
const query = parseQuery({
  from: { instance: 'i1' },
  where: [{ field: 'stream_id', operator: 'startsWith', value: 'order-' }],
  limit: 10,
});
const compiler = createQueryCompiler(sqliteDialect());
const { statements } = compiler.compileQuery({ id: 'i1', key: 1 }, query, DEFAULT_LIMITS);
console.log(statements.page?.sql);
console.log(statements.page?.params);
// #endregion sql
