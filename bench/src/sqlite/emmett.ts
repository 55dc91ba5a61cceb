/**
 * Emmett on SQLite (`@event-driven-io/emmett-sqlite`, node-sqlite3). Emmett sets WAL and leaves
 * `synchronous` at SQLite's default, FULL; `settings` reads it back from its connection.
 *
 * By default Emmett's pool opens a new connection for every call on a file database. The bench
 * gives it one shared connection instead (`connectionOptions: { connection, singleton: true }`,
 * its "ambient connection"), its fastest set-up; `mode: 'per-call'` measures the default.
 */

import type { EmmettSqliteConnection, EmmettSqliteModule } from '../emmett.js';
import type { BenchSide } from '../side.js';
import { QUERY_ARGS } from '../workload.js';
import type { Durability } from './ours.js';

export type EmmettSqliteMode = 'shared' | 'per-call';

const SYNC_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

export async function openEmmettSqlite(
  emmett: EmmettSqliteModule,
  file: string,
  options: { durability?: Durability; mode?: EmmettSqliteMode } = {},
): Promise<BenchSide> {
  const mode = options.mode ?? 'shared';
  const connection: EmmettSqliteConnection = emmett.sqliteConnection({ fileName: file });
  // Emmett's connection switches to WAL without waiting; wait for it before reading settings.
  await connection.command('PRAGMA journal_mode = WAL');
  if (options.durability === 'normal') await connection.command('PRAGMA synchronous = NORMAL');
  const store =
    mode === 'shared'
      ? emmett.getSQLiteEventStore({
          fileName: file,
          pool: emmett.SQLiteConnectionPool({
            fileName: file,
            connectionOptions: { connection, singleton: true },
          }),
        })
      : emmett.getSQLiteEventStore({ fileName: file });
  await store.schema.migrate();
  const sync = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
  const journal = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
  const syncName = SYNC_NAMES[sync?.synchronous ?? -1] ?? String(sync?.synchronous);
  const how =
    options.durability === 'normal'
      ? 'synchronous=NORMAL set by the bench on its connection'
      : 'its default: Emmett sets no synchronous pragma';
  const settings =
    mode === 'shared'
      ? `${journal?.journal_mode.toUpperCase()}, synchronous=${syncName} (${how}); one shared connection`
      : `${journal?.journal_mode.toUpperCase()}, synchronous=${syncName} (its default), a new connection per call`;
  if (mode === 'per-call') connection.close();

  return {
    name: 'emmett',
    settings,
    async appendBatch(stream, events) {
      await store.appendToStream(stream, events as unknown as Parameters<typeof store.appendToStream>[1]);
    },
    async appendOne(stream, event) {
      await store.appendToStream(stream, [
        event as unknown as Parameters<typeof store.appendToStream>[1][number],
      ]);
    },
    queries: {
      async readStream() {
        const result = await store.readStream(QUERY_ARGS.stream);
        return { returned: result.events.length, total: result.events.length };
      },
    },
    async close() {
      if (mode === 'shared') connection.close();
    },
  };
}
