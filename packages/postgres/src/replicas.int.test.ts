/**
 * Read replicas (SPEC §12) against a real streaming replica of the test cluster
 * (`scripts/pg-replica-setup.sh`, run by `scripts/test-all.sh`; `EVENTLOG_TEST_PG_REPLICA_URL`).
 */

import { createEventLog, type EventLog } from '@eventlog/core';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from './index.js';

const REPLICA_URL = process.env.EVENTLOG_TEST_PG_REPLICA_URL || undefined;

type ReadInfo = { server: 'primary' | 'replica'; url?: string; reason?: string };

describePostgres('postgres read replicas', (url) => {
  if (REPLICA_URL === undefined) {
    const missing = 'set EVENTLOG_TEST_PG_REPLICA_URL (eval "$(bash scripts/pg-replica-setup.sh)")';
    if (process.env.CI === 'true') {
      it('has a replica (CI=true)', () => {
        throw new Error(`No PostgreSQL replica under CI=true: ${missing}.`);
      });
    } else {
      it.skip(`SKIPPED: ${missing}`, () => {});
    }
    return;
  }
  const replicaUrl = REPLICA_URL;
  const pg = usePostgres({ prefix: 'el_replica' });
  let replica: postgres.Sql;
  const reads: ReadInfo[] = [];
  let adapter: PostgresAdapter;
  let log: EventLog;

  /** Waits until the replica has replayed everything the primary wrote so far. */
  async function caughtUp(): Promise<void> {
    const [primary] = await pg.sql<Array<{ lsn: string }>>`select pg_current_wal_insert_lsn()::text as lsn`;
    for (let i = 0; i < 200; i++) {
      const [row] = await replica<Array<{ ok: boolean }>>`
        select pg_last_wal_replay_lsn() >= ${primary?.lsn as string}::pg_lsn as ok`;
      if (row?.ok === true) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('the replica did not catch up');
  }

  beforeAll(async () => {
    replica = postgres(replicaUrl, { max: 2, onnotice: () => {} });
    adapter = pg.closeAfter(
      postgresAdapter({
        url,
        schema: pg.schema,
        replicas: [replicaUrl],
        hooks: { onRead: (info) => reads.push(info) },
      }),
    );
    log = createEventLog({ adapter });
    await log.createInstance('orders');
    await caughtUp();
  });

  afterAll(async () => {
    await replica?.unsafe('select pg_wal_replay_resume()').catch(() => {});
    await replica?.end({ timeout: 5 });
  });

  it('given a replica that replayed our writes, when querying, then the replica answers', async () => {
    await log.appendEvent({ instanceId: 'orders', eventType: 'Placed', payload: { n: 1 } });
    await caughtUp();
    reads.length = 0;
    const result = await log.queryEvents({ from: { instance: 'orders' } });
    expect(result).toMatchObject({ success: true, data: { result: { total: 1 } } });
    expect(reads).toEqual([{ server: 'replica', url: replicaUrl }]);
    const stats = await log.getInstanceStats('orders');
    expect(stats).toMatchObject({ success: true, data: { eventCount: 1 } });
    expect(reads.at(-1)?.server).toBe('replica');
  });

  it('given a replica that has not replayed our last append, when querying right after it, then the query sees the append (the primary answers)', async () => {
    await replica.unsafe('select pg_wal_replay_pause()');
    try {
      const appended = await log.appendEvent({
        instanceId: 'orders',
        eventType: 'Placed',
        payload: { n: 2 },
      });
      expect(appended.success).toBe(true);
      reads.length = 0;
      const result = await log.queryEvents({
        from: { instance: 'orders' },
        where: [{ field: 'payload.n', operator: 'eq', value: 2 }],
      });
      expect(result).toMatchObject({ success: true, data: { result: { total: 1 } } });
      expect(reads).toHaveLength(1);
      expect(reads[0]?.server).toBe('primary');
      expect(reads[0]?.reason).toMatch(/not replayed/);
    } finally {
      await replica.unsafe('select pg_wal_replay_resume()');
    }
    await caughtUp();
    reads.length = 0;
    await log.queryEvents({ from: { instance: 'orders' } });
    expect(reads.at(-1)?.server).toBe('replica');
  });

  describe('given a replica that is down', () => {
    it('when querying, then the primary answers, and the replica is left out for a while', async () => {
      const down: ReadInfo[] = [];
      const other = postgresAdapter({
        url,
        schema: pg.schema,
        replicas: ['postgres://eventlog:eventlog@127.0.0.1:1/eventlog_test'],
        connectTimeoutSeconds: 2,
        replicaRetryMs: 60_000,
        hooks: { onRead: (info) => down.push(info) },
      });
      pg.closeAfter(other);
      const otherLog = createEventLog({ adapter: other });
      const first = await otherLog.queryEvents({ from: { instance: 'orders' } });
      expect(first).toMatchObject({ success: true, data: { result: { total: 2 } } });
      expect(down[0]).toMatchObject({ server: 'primary', reason: expect.stringMatching(/replica failed/) });
      await otherLog.queryEvents({ from: { instance: 'orders' } });
      expect(down[1]).toMatchObject({ server: 'primary', reason: 'every replica is down' });
    });
  });
});
