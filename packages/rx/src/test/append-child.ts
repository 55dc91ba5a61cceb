/**
 * A child process of the cross-process tests: appends `count` events, one call each, `gapMs`
 * apart, to an instance through its own adapter. Each event carries `payload.n` (1..count) and
 * `payload.sentAt` (epoch ms just before the append), so the parent can measure delivery time.
 * Prints `appended <count>` when done.
 *
 * Usage: node --conditions=@eventlog/source --import tsx append-child.ts sqlite <file> <instance> <count> <gapMs>
 *        node --conditions=@eventlog/source --import tsx append-child.ts postgres <url> <schema> <instance> <count> <gapMs>
 */

import { createEventLog, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';

const [kind, ...rest] = process.argv.slice(2);
let adapter: StorageAdapter;
let args: string[];
if (kind === 'sqlite') {
  adapter = sqliteAdapter({ file: rest[0] as string });
  args = rest.slice(1);
} else if (kind === 'postgres') {
  adapter = postgresAdapter({ url: rest[0] as string, schema: rest[1] as string, max: 2 });
  args = rest.slice(2);
} else {
  throw new Error('usage: append-child (sqlite <file> | postgres <url> <schema>) <instance> <count> <gapMs>');
}
const [instance, countText, gapText] = args;
const count = Number(countText ?? 10);
const gapMs = Number(gapText ?? 0);

const log = createEventLog({ adapter });
try {
  for (let n = 1; n <= count; n++) {
    await log.store.appendEvent({
      instanceId: instance as string,
      streamId: `child-${process.pid}`,
      eventType: 'child',
      payload: { n, sentAt: Date.now() },
    });
    if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
} finally {
  await log.close();
}
process.stdout.write(`appended ${count}\n`);
