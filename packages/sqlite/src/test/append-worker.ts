/**
 * Child process of the multi-process test: waits until a shared start instant, opens the store
 * (a new file, like its siblings), appends events one by one to one stream, and reports every
 * failure on stdout. Exit code 0 only when every append succeeded.
 *
 * argv: <file> <count> <startAtEpochMs> <label>
 */

import { createEventLog } from '@eventlog/core';
import { sqliteAdapter } from '../index.js';

const [file, countText, startText, label] = process.argv.slice(2);
const count = Number(countText);
const startAt = Number(startText);

// Sleep most of the wait, then spin, so all workers open within about a millisecond of each other.
while (Date.now() < startAt - 20) await new Promise((r) => setTimeout(r, 5));
while (Date.now() < startAt) {
  // spin
}

const log = createEventLog({ adapter: sqliteAdapter({ file: file as string }) });
let failures = 0;
for (let i = 0; i < count; i++) {
  const res = await log.appendEvent({
    instanceId: 'shared',
    autoCreateInstance: true,
    streamId: 'one-stream',
    eventType: 'Appended',
    payload: { worker: label ?? '?', i },
  });
  if (!res.success) {
    failures++;
    console.log(`FAIL ${label} #${i}: ${res.code} ${res.error}`);
  }
}
await log.close();
console.log(`DONE ${label} failures=${failures}`);
process.exit(failures === 0 ? 0 : 1);
