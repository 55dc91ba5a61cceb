import { EventLogError, type Query } from '@eventlog/core';
import { openEventLog } from 'eventlog';

const log = await openEventLog();

// #region envelope
// Every method resolves to an envelope and never rejects.
const res = await log.createInstance('billing');
if (res.success) {
  console.log(res.type, res.data.instance.name);
} else {
  console.log(res.type, res.code, res.error);
}
const again = await log.createInstance('billing');
if (!again.success) console.log(again.type, again.code, '-', again.error);
// #endregion envelope

// #region store
// log.store is the same API returning data and throwing EventLogError.
// A query that came in as JSON: every input is validated before storage is touched.
const body =
  '{"from":{"instance":"billing"},"where":[{"field":"payload.amount","operator":"like","value":1}]}';
try {
  await log.store.queryEvents(JSON.parse(body) as Query);
} catch (error) {
  if (EventLogError.isInstance(error)) console.log(error.code, '-', error.message);
}
// #endregion store

// #region limits
const huge = await log.appendEvent({
  instanceId: 'billing',
  eventType: 'InvoiceAttached',
  payload: { pdf: 'x'.repeat(1_100_000) },
});
if (!huge.success) console.log(huge.code, '-', huge.error);
const page = await log.queryEvents({ from: { instance: 'billing' }, limit: 20_000 });
if (!page.success) console.log(page.code, '-', page.error);
// #endregion limits

await log.close();
