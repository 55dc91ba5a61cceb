// The snippets of the package pages, run like every sample.
import { createEventLog, DEFAULT_LIMITS, parseQuery } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { createQueryCompiler, sqliteDialect } from '@eventlog/sql';
import { sqliteAdapter } from '@eventlog/sqlite';

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
