import type { EventRecord } from '@eventlog/core';
import { liveEvents, liveQuery } from '@eventlog/rx';
import { openEventLog } from 'eventlog';
import { filter, firstValueFrom, take, toArray } from 'rxjs';

const log = await openEventLog();
await log.appendEvents({
  instanceId: 'activity',
  autoCreateInstance: true,
  events: [
    { streamId: 'user-1', eventType: 'login' },
    { streamId: 'user-2', eventType: 'login' },
  ],
});

// #region live-events
// Catch-up from the start (after: 0), then each new event as it commits: in order, no gaps, no repeats.
const firstFour = firstValueFrom(
  liveEvents(log, { instance: 'activity', after: 0 }).pipe(take(4), toArray()),
);

await log.appendEvent({ instanceId: 'activity', streamId: 'user-1', eventType: 'page_view' });
await log.appendEvent({ instanceId: 'activity', streamId: 'user-2', eventType: 'logout' });

const show = (e: EventRecord) => `${e.global_position}:${e.stream_id}:${e.event_type}`;
console.log((await firstFour).map(show).join('  '));
// #endregion live-events

// #region resume
// Resume from a position you stored: only what came after it, filtered in the database.
const logouts = firstValueFrom(
  liveEvents(log, {
    instance: 'activity',
    after: 2,
    where: [{ field: 'event_type', operator: 'eq', value: 'logout' }],
  }),
);
console.log('first logout after position 2:', show(await logouts));
// #endregion resume

// #region live-query
// A query's result now, and again (coalesced) whenever matching events commit.
const counts = liveQuery(log, {
  from: { instance: 'activity' },
  reduce: { type: 'count', groupBy: ['event_type'] },
});
const afterNextLogin = firstValueFrom(counts.pipe(filter((result) => result.total === 5)));
await log.appendEvent({ instanceId: 'activity', streamId: 'user-3', eventType: 'login' });
console.log(JSON.stringify((await afterNextLogin).aggregation?.groups));
// #endregion live-query

await log.close();
