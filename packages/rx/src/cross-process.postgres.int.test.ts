import { randomUUID } from 'node:crypto';
import { createEventLog, type EventLog, type EventRecord } from '@eventlog/core';
import { type PostgresAdapter, postgresAdapter } from '@eventlog/postgres';
import { describePostgres, uniqueName, usePostgres } from '@eventlog/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { liveEvents } from './live-events.js';
import { runAppendChild } from './test/child-process.js';

/** Subscribes and records arrivals with their delivery time; `live` resolves after the catch-up. */
function follow(log: EventLog, instance: string) {
  const arrivals: Array<{ event: EventRecord; at: number }> = [];
  let markLive!: () => void;
  const live = new Promise<void>((resolve) => {
    markLive = resolve;
  });
  const subscription = liveEvents(log, { instance, onCaughtUp: () => markLive() }).subscribe((event) =>
    arrivals.push({ event, at: Date.now() }),
  );
  return { arrivals, live, subscription };
}

function expectOnceInOrder(events: readonly EventRecord[]): void {
  const positions = events.map((e) => e.global_position);
  expect([...new Set(positions)].sort((a, b) => a - b)).toEqual(positions);
}

describePostgres('live subscriptions across processes on PostgreSQL', (url) => {
  const pg = usePostgres({ prefix: 'rx_xproc' });
  const { schema } = pg;
  /** Our own application name, so we only ever terminate our own listener. */
  const applicationName = uniqueName('rx_listener');
  const POLL_MS = 500;
  let subscriber: PostgresAdapter;
  let writer: PostgresAdapter;
  let log: EventLog;
  let writerLog: EventLog;
  let stopWatching: (() => void) | undefined;

  beforeAll(async () => {
    subscriber = pg.closeAfter(
      postgresAdapter({ url, schema, max: 4, applicationName, pollIntervalMs: POLL_MS }),
    );
    await subscriber.ready();
    // Another adapter (its own pools and watcher): its commits reach the subscriber's adapter
    // only by NOTIFY or the fallback poll, as another process's would.
    writer = pg.closeAfter(postgresAdapter({ url, schema, max: 4, applicationName: `${applicationName}_w` }));
    log = pg.closeAfter(createEventLog({ adapter: subscriber }));
    writerLog = pg.closeAfter(createEventLog({ adapter: writer }));
    // A watcher for the whole file keeps one listening connection up, so no test is helped by the
    // re-read a fresh connection triggers; wait until it listens (it signals 'unknown' then).
    await new Promise<void>((resolve) => {
      stopWatching = subscriber.watch((signal) => {
        if (signal.kind === 'unknown') resolve();
      });
    });
  });

  afterAll(() => stopWatching?.());

  it('given a live subscriber, when a child process appends, then each event reaches the parent, once and in order', async () => {
    const { id } = await log.store.createInstance(uniqueName('xproc'));
    const f = follow(log, id);
    try {
      await f.live;
      await runAppendChild(['postgres', url, schema, id, '20', '20']);
      await expect.poll(() => f.arrivals.length, { timeout: 10_000 }).toBe(20);
      expect(f.arrivals.map((a) => (a.event.payload as { n: number }).n)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expectOnceInOrder(f.arrivals.map((a) => a.event));
    } finally {
      f.subscription.unsubscribe();
    }
  });

  it("given the listener's connection is terminated while 100 events are appended, then all 100 arrive, once", async () => {
    const { id } = await log.store.createInstance(uniqueName('kill'));
    const f = follow(log, id);
    const listeners = () =>
      subscriber.sql.unsafe<Array<{ pid: number }>>(
        'select pid from pg_stat_activity where application_name = $1',
        [`${applicationName}-listen`],
      );
    try {
      await f.live;
      await expect.poll(async () => (await listeners()).length, { timeout: 5000 }).toBe(1);
      const [before] = await listeners();
      let killed = 0;
      for (let n = 1; n <= 100; n++) {
        await writerLog.store.appendEvent({ instanceId: id, eventType: 'e', payload: { n } });
        if (n === 30) {
          const rows = await subscriber.sql.unsafe<Array<{ ok: boolean }>>(
            'select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1',
            [`${applicationName}-listen`],
          );
          killed = rows.filter((r) => r.ok).length;
        }
        if (n % 10 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(killed).toBe(1);
      await expect.poll(() => f.arrivals.length, { timeout: 2000 + 3 * POLL_MS }).toBe(100);
      expect(f.arrivals.map((a) => (a.event.payload as { n: number }).n)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expectOnceInOrder(f.arrivals.map((a) => a.event));
      // The adapter listens again, on a new connection.
      await expect.poll(async () => (await listeners()).length, { timeout: 5000 }).toBe(1);
      expect((await listeners())[0]?.pid).not.toBe(before?.pid);
      // And new events still arrive after the reconnect.
      await writerLog.store.appendEvent({ instanceId: id, eventType: 'e', payload: { n: 101 } });
      await expect.poll(() => f.arrivals.length, { timeout: 2000 }).toBe(101);
    } finally {
      f.subscription.unsubscribe();
    }
  });

  it('given an event committed with no notification (inserted by SQL), then the fallback poll still brings it', async () => {
    const { id } = await log.store.createInstance(uniqueName('silent'));
    await log.store.appendEvent({ instanceId: id, streamId: 's', eventType: 'first' });
    const f = follow(log, id);
    try {
      await f.live;
      await expect.poll(() => f.arrivals.length).toBe(1);
      await writer.sql.unsafe(
        `insert into "${schema}".events (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp)
         values ($1, $2, 's', 2, 'silent', '{"quiet":true}'::jsonb, '{}'::jsonb, $3)`,
        [randomUUID(), id, new Date().toISOString()],
      );
      await expect.poll(() => f.arrivals.length, { timeout: 10_000, interval: 20 }).toBe(2);
      const arrival = f.arrivals[1];
      expect(arrival?.event).toMatchObject({
        event_type: 'silent',
        payload: { quiet: true },
        sequence_number: 2,
      });
    } finally {
      f.subscription.unsubscribe();
    }
  });
});
