/**
 * Ours on PostgreSQL: `createEventLog({ adapter: postgresAdapter({ url }) })`, with the adapter's
 * defaults (a pool of 10, concurrent appends coalesced).
 */

import { createEventLog } from '@eventlog/core';
import { postgresAdapter } from '@eventlog/postgres';
import { facadeSide } from '../facade-side.js';
import type { BenchSide } from '../side.js';

export async function openOurPostgres(url: string): Promise<BenchSide> {
  const adapter = postgresAdapter({ url });
  await adapter.ready();
  const [row] = await adapter.sql<Array<{ synchronous_commit: string }>>`show synchronous_commit`;
  return facadeSide(
    createEventLog({ adapter }),
    `synchronous_commit=${row?.synchronous_commit}; postgresAdapter defaults: a pool of 10, concurrent appends coalesced into one transaction`,
  );
}
