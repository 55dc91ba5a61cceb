import { createEventLog } from '@eventlog/core';
import { sqliteAdapter } from '@eventlog/sqlite';

// A read model in a table of the same SQLite database as the events.
const log = createEventLog({ adapter: sqliteAdapter({ file: './activity.db' }) });
await log.store.adapter.transaction?.(async ({ driver }) => {
  (driver as Database).exec(
    'create table if not exists activity (user text primary key, n integer not null)',
  );
});
await log.appendEvents({
  instanceId: 'user-activity',
  autoCreateInstance: true,
  events: ['user-1', 'user-2', 'user-1'].map((streamId) => ({ streamId, eventType: 'login' })),
});

// #region projection
import type { EventMap } from '@eventlog/core';
import { projection } from '@eventlog/rx';
import type { Database } from 'better-sqlite3';

const counts = projection<EventMap, Database>({
  log,
  name: 'activity-per-user', // names the checkpoint and the lease
  instance: 'user-activity',
  handler: (event, { driver }) => {
    driver
      .prepare('insert into activity (user, n) values (?, 1) on conflict (user) do update set n = n + 1')
      .run(event.stream_id);
  },
  onReset: ({ driver }) => {
    driver.exec('delete from activity');
  },
});
counts.errors$.subscribe((error) => console.error(error.message));
counts.start();
await counts.caughtUp(); // everything committed before this call is in the read model
// …
await counts.stop();
// #endregion projection

await log.store.adapter.transaction?.(async ({ driver }) => {
  console.log(
    JSON.stringify((driver as Database).prepare('select user, n from activity order by user').all()),
  );
});
await log.close();
