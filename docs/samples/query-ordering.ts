import { openEventLog } from 'eventlog';

const log = await openEventLog();

await log.appendEvents({
  instanceId: 'scores',
  autoCreateInstance: true,
  events: [
    { eventType: 'Scored', payload: { player: 'ann', score: 10, meta: { level: 2 } } },
    { eventType: 'Scored', payload: { player: 'bob', score: '9' } },
    { eventType: 'Scored', payload: { player: 'cid', score: null } },
    { eventType: 'Scored', payload: { player: 'dan' } },
    { eventType: 'Scored', payload: { player: 'eve', score: 2.5 } },
    { eventType: 'Scored', payload: { player: 'fay', score: true } },
    { eventType: 'Scored', payload: { player: 'gus', score: [1] } },
    { eventType: 'Scored', payload: { player: 'hal', score: 10 } },
  ],
});

// #region order
// One total order for every value: missing < null < false < true < numbers < strings < arrays = objects.
// Ties break by global_position ascending, in both directions.
for (const direction of ['asc', 'desc'] as const) {
  const res = await log.queryEvents({
    from: { instance: 'scores' },
    orderBy: { field: 'payload.score', direction },
    select: ['payload.player'],
  });
  if (res.success)
    console.log(direction, (res.data.result.events ?? []).map((e) => e.payload?.player).join(' '));
}
// #endregion order

// #region select
const selected = await log.queryEvents({
  from: { instance: 'scores' },
  where: [{ field: 'payload.player', operator: 'eq', value: 'ann' }],
  select: ['sequenceNumber', 'payload.meta.level', 'payload.nope'],
});
if (selected.success) console.log(JSON.stringify(selected.data.result.events));
// #endregion select

// #region paging
// total counts every match; limit and offset cut the page.
let offset = 0;
for (;;) {
  const res = await log.queryEvents({
    from: { instance: 'scores' },
    select: ['payload.player'],
    limit: 3,
    offset,
  });
  if (!res.success) break;
  const { events = [], total } = res.data.result;
  console.log(`offset ${offset}: ${events.map((e) => e.payload?.player).join(' ')} (total ${total})`);
  offset += events.length;
  if (offset >= total) break;
}
// #endregion paging

await log.close();
