/**
 * A resumable read model: activity counts per user, kept in the same SQLite file as the events by
 * a projection of `@eventlog/rx`, exactly once.
 *
 * What it shows, in order:
 * 1. events are appended;
 * 2. a projection catches up and keeps `activity_counts` (a table next to the events);
 * 3. the projection stops, more events arrive, and a new one — as after a restart — resumes from
 *    the stored checkpoint: nothing is counted twice, nothing is missed;
 * 4. the read model is printed and checked against a `queryEvents` count grouped by user.
 *
 * Run it again: the file keeps the events, the read model and the checkpoint, so the next run
 * resumes where this one stopped. `pnpm --filter read-model start -- --reset` rebuilds the read
 * model from the first event.
 */

import type { EventLog } from '@eventlog/core';
import { type ProjectionContext, projection } from '@eventlog/rx';
import { openEventLog } from 'eventlog';

/** The part of better-sqlite3's `Database` this example uses (what `context.driver` is on SQLite). */
interface SqliteDriver {
  exec(sql: string): unknown;
  prepare(sql: string): { run(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
}

type ActivityEvents = {
  login: { user: string };
  view: { user: string; page: string };
  purchase: { user: string; amount: number };
};

const FILE = process.env.READ_MODEL_DB ?? './read-model.db';
const INSTANCE = 'user-activity';
const PROJECTION = 'activity-counts';
const USERS = ['alice', 'bob', 'carol'];

/** Opens the log on the SQLite file (`sqlite:<path>`; the read model lives in the same file). */
function open(): Promise<EventLog<ActivityEvents>> {
  return openEventLog<ActivityEvents>(`sqlite:${FILE}`);
}

/** Creates the read model's table, in the events' database. */
async function createReadModel(log: EventLog<ActivityEvents>): Promise<void> {
  await log.store.adapter.transaction?.(async ({ driver }) => {
    (driver as SqliteDriver).exec(`
      create table if not exists activity_counts (
        user_id   text primary key,
        events    integer not null,
        purchases integer not null,
        last_seen text not null
      )`);
  });
}

/** Reads the read model. */
async function readModel(log: EventLog<ActivityEvents>) {
  const rows = await log.store.adapter.transaction?.(async ({ driver }) =>
    (driver as SqliteDriver).prepare('select * from activity_counts order by user_id').all(),
  );
  return (rows ?? []) as Array<{ user_id: string; events: number; purchases: number; last_seen: string }>;
}

/** The projection: one upsert per event, in the batch's transaction with the checkpoint. */
function activityCounts(log: EventLog<ActivityEvents>) {
  return projection<ActivityEvents, SqliteDriver>({
    log,
    name: PROJECTION,
    instance: INSTANCE,
    handler: (event, { driver }: ProjectionContext<SqliteDriver>) => {
      driver
        .prepare(
          `insert into activity_counts (user_id, events, purchases, last_seen) values (?, 1, ?, ?)
           on conflict (user_id) do update set
             events = events + 1,
             purchases = purchases + excluded.purchases,
             last_seen = max(last_seen, excluded.last_seen)`,
        )
        .run(event.payload.user, event.event_type === 'purchase' ? 1 : 0, event.timestamp);
    },
    onReset: ({ driver }) => {
      driver.exec('delete from activity_counts');
    },
  });
}

/** Appends a burst of activity: each user logs in, views pages, and some buy. */
async function appendActivity(log: EventLog<ActivityEvents>, round: number): Promise<number> {
  const events = USERS.flatMap((user, i) => [
    { streamId: `user-${user}`, eventType: 'login' as const, payload: { user } },
    ...Array.from({ length: i + 1 }, (_, k) => ({
      streamId: `user-${user}`,
      eventType: 'view' as const,
      payload: { user, page: `/page/${round}/${k}` },
    })),
    ...(i === round % USERS.length
      ? [
          {
            streamId: `user-${user}`,
            eventType: 'purchase' as const,
            payload: { user, amount: 10 * (i + 1) },
          },
        ]
      : []),
  ]);
  const appended = await log.appendEvents({ instanceId: INSTANCE, events, autoCreateInstance: true });
  if (!appended.success) throw new Error(`append failed: ${appended.error}`);
  return appended.data.count;
}

function printModel(title: string, rows: Awaited<ReturnType<typeof readModel>>): void {
  console.log(`\n${title}`);
  console.table(
    rows.map((r) => ({
      user: r.user_id,
      events: r.events,
      purchases: r.purchases,
      'last seen': r.last_seen,
    })),
  );
}

// --- 1. Append, and let a projection catch up -------------------------------------------------
let log = await open();
await createReadModel(log);
const stats = await log.getInstanceStats(INSTANCE);
let round = stats.success ? stats.data.eventCount : 0;
console.log(`Event Log read model on ${FILE}`);

const first = activityCounts(log);
first.errors$.subscribe((error) => console.error(`projection error: ${error.message}`));
if (process.argv.includes('--reset')) {
  await first.reset();
  console.log('Reset: the read model is rebuilt from the first event.');
}
const checkpointBefore = (await log.store.adapter.kv.get('eventlog.checkpoints', PROJECTION))?.value;
console.log(`Checkpoint at start: ${JSON.stringify(checkpointBefore ?? 'none (first run)')}`);

console.log(`Appended ${await appendActivity(log, round++)} events.`);
first.start();
console.log(`Projection caught up to position ${await first.caughtUp()}.`);
console.log(`Appended ${await appendActivity(log, round++)} more while it runs (live).`);
console.log(`Projection caught up to position ${await first.caughtUp()}.`);
printModel('Read model (first process):', await readModel(log));

// --- 2. "Restart": stop, append while nobody projects, resume from the checkpoint ---------------
await first.stop();
await log.close();
console.log('\nProjection stopped and the log closed, as if the process exited.');

log = await open();
console.log(`Appended ${await appendActivity(log, round++)} events while the projection was down.`);
const second = activityCounts(log);
second.errors$.subscribe((error) => console.error(`projection error: ${error.message}`));
const checkpoint = (await log.store.adapter.kv.get('eventlog.checkpoints', PROJECTION))?.value;
console.log(`Restarting from the stored checkpoint ${JSON.stringify(checkpoint)}.`);
second.start();
console.log(`Projection caught up to position ${await second.caughtUp()}.`);
const rows = await readModel(log);
printModel('Read model (after the restart):', rows);

// --- 3. Check it against the log itself -----------------------------------------------------------
const truth = await log.queryEvents({
  from: { instance: INSTANCE },
  reduce: { type: 'count', groupBy: ['payload.user'] },
});
if (!truth.success) throw new Error(truth.error);
const expected = new Map(
  (truth.data.result.aggregation?.groups ?? []).map((g) => [String(g.key['payload.user']), g.value]),
);
const mismatches = rows.filter((r) => expected.get(r.user_id) !== r.events);
if (mismatches.length > 0 || rows.length !== expected.size) {
  console.error('✗ The read model differs from the log:', { expected: Object.fromEntries(expected), rows });
  process.exitCode = 1;
} else {
  console.log(
    `✓ Every count equals queryEvents' count per user (${[...expected.values()].reduce((a, b) => Number(a) + Number(b), 0)} events): nothing counted twice, nothing missed.`,
  );
}

await second.stop();
await log.close();
