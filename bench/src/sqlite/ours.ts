/** Ours on SQLite: `createEventLog({ adapter: sqliteAdapter({ file, durability }) })`. */

import { createEventLog } from '@eventlog/core';
import { sqliteAdapter } from '@eventlog/sqlite';
import { facadeSide } from '../facade-side.js';
import type { BenchSide } from '../side.js';

export type Durability = 'full' | 'normal';

export function openOurSqlite(file: string, durability: Durability): Promise<BenchSide> {
  const log = createEventLog({ adapter: sqliteAdapter({ file, durability }) });
  return facadeSide(log, `WAL, synchronous=${durability.toUpperCase()} (durability: '${durability}')`);
}
