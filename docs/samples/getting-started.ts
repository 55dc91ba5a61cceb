// #region open
import { openEventLog } from 'eventlog';

// A store URL: 'sqlite:./events.db', 'memory:', 'postgres://…'.
// With no argument: $EVENTLOG_URL, else 'sqlite:./eventlog.db'.
const log = await openEventLog();
// #endregion open

// #region create
const created = await log.createInstance('user-activity', 'Logs user actions');
if (!created.success) throw new Error(created.error);
console.log('instance:', created.data.instance.name);
// #endregion create

// #region append
const login = await log.appendEvent({
  instanceId: 'user-activity', // an instance's id or its name
  streamId: 'user-123',
  eventType: 'login',
  payload: { ip: '192.168.1.1' },
  metadata: { source: 'web-app' },
  timestamp: '2024-01-19T10:00:00Z',
});
if (login.success) {
  const e = login.data.event;
  console.log(
    `appended ${e.event_type} #${e.sequence_number} of ${e.stream_id} at position ${e.global_position}`,
  );
}

await log.appendEvents({
  instanceId: 'user-activity',
  events: [
    {
      streamId: 'user-123',
      eventType: 'page_view',
      payload: { page: '/home' },
      timestamp: '2024-01-19T10:01:00Z',
    },
    {
      streamId: 'user-456',
      eventType: 'login',
      payload: { ip: '10.0.0.7' },
      timestamp: '2024-01-19T11:30:00Z',
    },
    { streamId: 'user-123', eventType: 'logout', timestamp: '2024-01-20T08:00:00Z' },
  ],
});
// #endregion append

// #region query
const logins = await log.queryEvents({
  from: { instance: 'user-activity' },
  where: [{ field: 'event_type', operator: 'eq', value: 'login' }],
  orderBy: { field: 'timestamp', direction: 'desc' },
  limit: 10,
});
if (logins.success) {
  for (const e of logins.data.result.events ?? []) console.log(e.timestamp, e.stream_id, e.payload.ip);
}
// #endregion query

// #region aggregate
const perDay = await log.queryEvents({
  from: { instance: 'user-activity' },
  reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day' }] },
});
if (perDay.success) console.log(JSON.stringify(perDay.data.result.aggregation?.groups));
// #endregion aggregate

// #region failure
const bad = await log.appendEvent({ instanceId: 'no-such-instance', eventType: 'login' });
if (!bad.success) console.log(bad.code, '-', bad.error);
// #endregion failure

await log.close();
