import { connect } from '@eventlog/client';
import type { EventRecord } from '@eventlog/core';
import { createEventLogServer, openEventLog } from 'eventlog';

// #region serve
// In a program; from a shell: eventlog serve --url sqlite:./events.db --port 4000 --token "$TOKEN"
const log = await openEventLog();
const server = await createEventLogServer({ log, port: 0, token: 's3cret' }); // port 0: any free port
// #endregion serve

// #region connect
// Another process (or a browser) talks to it with the same nine methods and the same envelopes.
const client = connect(server.address.url, { token: 's3cret' });
await client.waitForConnection();
const remote = client.eventLog;

await remote.createInstance('audit-log', 'Who changed what');
const appended = await remote.appendEvent({
  instanceId: 'audit-log',
  streamId: 'user-7',
  eventType: 'email_changed',
  payload: { by: 'admin-1' },
});
console.log('appended over WebSocket:', appended.success && appended.data.event.sequence_number);
// #endregion connect

// #region subscribe
// Live events pushed on the same socket: no gaps or repeats across reconnects.
const received: EventRecord[] = [];
const subscription = client.subscribe({ instance: 'audit-log', after: 0 }, (event) => received.push(event));
await subscription.ready;
await log.appendEvent({ instanceId: 'audit-log', streamId: 'user-8', eventType: 'login' }); // written in-process
while (received.length < 2) await new Promise((r) => setTimeout(r, 10));
console.log('pushed:', received.map((e) => `${e.global_position} ${e.event_type}`).join(', '));
// #endregion subscribe

// #region errors
const denied = connect(server.address.url, { token: 'wrong' });
const res = await denied.eventLog.listInstances();
console.log('wrong token:', res.success ? 'accepted' : 'refused');
await denied.close();
// #endregion errors

await subscription.unsubscribe();
await client.close();
await server.close();
await log.close();
