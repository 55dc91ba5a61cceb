/**
 * A child process of the multi-process tests: appends `count` events to one stream of one
 * instance through its own adapter, `parallel` at a time, then prints the sequence numbers and
 * positions it got as one JSON line.
 *
 * Usage: node --conditions=@eventlog/source --import tsx append-worker.ts <url> <schema> <instance> <stream> <count> <parallel>
 */

import { appendRequest, newEvent } from '@eventlog/test-support';
import { postgresAdapter } from '../index.js';

const [url, schema, instance, stream, countText, parallelText] = process.argv.slice(2);
if (!url || !schema || !instance || !stream)
  throw new Error('usage: append-worker <url> <schema> <instance> <stream> <count> <parallel>');
const count = Number(countText ?? 100);
const parallel = Number(parallelText ?? 4);

const adapter = postgresAdapter({ url, schema, max: 4 });
const results: Array<{ sequence: number; position: number }> = [];
let next = 0;
try {
  await adapter.ready();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const outcome = await adapter.append(
          appendRequest(instance, [newEvent({ streamId: stream, payload: { pid: process.pid } })]),
        );
        const event = outcome.events[0];
        if (event) results.push({ sequence: event.sequence_number, position: event.global_position });
      }
    }),
  );
} finally {
  await adapter.close();
}
process.stdout.write(`${JSON.stringify(results)}\n`);
