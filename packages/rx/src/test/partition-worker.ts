/**
 * A child process of the partitioned-projection tests: runs `projection({ partitions })` on an
 * instance and writes each handled event, through the transaction it is given, to the table
 * `handled` (so the checkpoint commits with it: exactly once). Prints `started` once running;
 * stops cleanly on SIGTERM; dies abruptly on SIGKILL (what the test does to one of them).
 *
 * Usage: node --conditions=@eventlog/source --import tsx partition-worker.ts sqlite <file> <instance> <owner> <partitions>
 *        node --conditions=@eventlog/source --import tsx partition-worker.ts postgres <url> <schema> <instance> <owner> <partitions>
 */

import { createEventLog, type StorageAdapter } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import type Database from 'better-sqlite3';
import type postgres from 'postgres';
import { projection } from '../projection.js';

const [kind, ...rest] = process.argv.slice(2);
let adapter: StorageAdapter;
let args: string[];
let schema: string | undefined;
if (kind === 'sqlite') {
  adapter = sqliteAdapter({ file: rest[0] as string });
  args = rest.slice(1);
} else if (kind === 'postgres') {
  schema = rest[1] as string;
  adapter = postgresAdapter({ url: rest[0] as string, schema, max: 3 });
  args = rest.slice(2);
} else {
  throw new Error(
    'usage: partition-worker (sqlite <file> | postgres <url> <schema>) <instance> <owner> <partitions>',
  );
}
const [instance, owner, partitions] = args as [string, string, string];

const log = createEventLog({ adapter });
const worker = projection({
  log,
  name: 'handled',
  instance,
  partitions: Number(partitions),
  batchSize: 50,
  lease: { ttlMs: 1000, owner },
  handler: async (event, { driver }) => {
    if (kind === 'sqlite') {
      (driver as Database.Database)
        .prepare('INSERT INTO handled (position, stream, seq, owner) VALUES (?, ?, ?, ?)')
        .run(event.global_position, event.stream_id, event.sequence_number, owner);
    } else {
      await (driver as postgres.TransactionSql).unsafe(
        `insert into "${schema}".handled (position, stream, seq, owner) values ($1, $2, $3, $4)`,
        [event.global_position, event.stream_id, event.sequence_number, owner],
      );
    }
  },
});
worker.errors$.subscribe((error) => process.stderr.write(`${owner}: ${error.message}\n`));
worker.start();
process.stdout.write('started\n');
process.on('SIGTERM', () => {
  void worker.stop().then(async () => {
    await log.close();
    process.exit(0);
  });
});
