/**
 * Child process of the crash test: appends one event (so the store exists), prints `started`, then
 * runs one big `appendEvents` of `count` events, which the parent SIGKILLs midway. Prints
 * `committed` if it ever gets there.
 *
 * argv: <file> <count>
 */

import { createEventLog } from '@eventlog/core';
import { sqliteAdapter } from '../index.js';

const [file, countText] = process.argv.slice(2);
const count = Number(countText);

const log = createEventLog({ adapter: sqliteAdapter({ file: file as string }) });
const warm = await log.appendEvent({
  instanceId: 'crash',
  autoCreateInstance: true,
  streamId: 'batch',
  eventType: 'Warm',
});
if (!warm.success) {
  console.log(`FAIL warm-up: ${warm.error}`);
  process.exit(1);
}
// ~1 KB per event: the batch outgrows the page cache, so SQLite writes uncommitted pages to the WAL
// while the transaction runs; the parent watches the WAL grow to kill it mid-transaction.
const filler = 'x'.repeat(1000);
const events = Array.from({ length: count }, (_, i) => ({ eventType: 'Big', payload: { i, filler } }));
console.log('started');
const res = await log.appendEvents({ instanceId: 'crash', streamId: 'batch', events });
console.log(res.success ? 'committed' : `FAIL ${res.error}`);
await log.close();
