import { randomUUID } from 'node:crypto';
import { type CommitSignal, EventLogError } from '@eventlog/core';
import {
  appendRequest,
  describePostgres,
  errorOf,
  expectVersion,
  freshInstance,
  newEvent,
  rawClient,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import { type PostgresAdapter, postgresAdapter } from './index.js';

describePostgres('postgres adapter', (url) => {
  const pg = usePostgres();
  const { schema } = pg;
  const appName = `el-test-${randomUUID().slice(0, 8)}`;
  let adapter: PostgresAdapter;

  beforeAll(async () => {
    adapter = pg.closeAfter(postgresAdapter({ url, schema, applicationName: appName, pollIntervalMs: 100 }));
    await adapter.ready();
  });

  async function connectionsNamed(name: string): Promise<number> {
    const [row] = await pg.sql.unsafe<Array<{ n: number }>>(
      `select count(*) as n from pg_stat_activity where application_name = $1`,
      [name],
    );
    return row?.n ?? 0;
  }

  it('given events with awkward values, when appended and read back, then numbers are numbers and timestamps are canonical', async () => {
    const instance = await freshInstance(adapter);
    const payload = {
      big: 2 ** 53 - 1,
      tiny: 5e-324,
      neg: -1.5,
      s: 'é ✓ 𝄞 "q" \\',
      nested: { a: [1, null, { b: true }] },
    };
    const timestamps = ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '2024-02-29T12:34:56.789Z'];
    const { events } = await adapter.append(
      appendRequest(
        instance.id,
        timestamps.map((timestamp) => newEvent({ payload, metadata: { m: 'x' }, timestamp })),
      ),
    );
    const read = await adapter.readAfter({ instanceId: instance.id, after: 0, limit: 10 });
    expect(read).toEqual(events);
    for (const event of read) {
      expect(typeof event.global_position).toBe('number');
      expect(typeof event.sequence_number).toBe('number');
      expect(event.payload).toEqual(payload);
    }
    expect(read.map((e) => e.timestamp)).toEqual(timestamps);
    const stats = await adapter.stats(instance.id);
    expect(stats).toMatchObject({
      eventCount: 3,
      streamCount: 1,
      eventTypes: { Happened: 3 },
      firstEventAt: '0001-01-01T00:00:00.000Z',
      lastEventAt: '9999-12-31T23:59:59.999Z',
    });
    expect(await adapter.headPosition(instance.id)).toBe(events[2]?.global_position);
  });

  it('given instances, when created, renamed and deleted, then names stay unique against names and ids', async () => {
    const a = await freshInstance(adapter, 'a');
    const b = await freshInstance(adapter, 'b');
    expect(
      (await errorOf(adapter.createInstance({ id: randomUUID(), name: a.name, createdAt: a.createdAt })))
        .code,
    ).toBe('ALREADY_EXISTS');
    expect(
      (await errorOf(adapter.createInstance({ id: randomUUID(), name: b.id, createdAt: b.createdAt })))
        .message,
    ).toMatch(/exists/);
    expect((await errorOf(adapter.updateInstance(a.id, { name: b.name, updatedAt: a.createdAt }))).code).toBe(
      'ALREADY_EXISTS',
    );
    const renamed = await adapter.updateInstance(a.id, {
      name: `${a.name}-2`,
      description: 'described',
      updatedAt: '2024-06-01T00:00:00.000Z',
    });
    expect(renamed).toEqual({
      ...a,
      name: `${a.name}-2`,
      description: 'described',
      updatedAt: '2024-06-01T00:00:00.000Z',
    });
    expect(await adapter.resolveInstance(`${a.name}-2`)).toEqual(renamed);
    expect(await adapter.resolveInstance(a.name)).toBeUndefined();
    const cleared = await adapter.updateInstance(a.id, {
      description: null,
      updatedAt: '2024-06-02T00:00:00.000Z',
    });
    expect(cleared.description).toBeUndefined();
    expect((await errorOf(adapter.updateInstance('missing', { updatedAt: a.createdAt }))).code).toBe(
      'NOT_FOUND',
    );

    await adapter.append(appendRequest(a.id, [newEvent(), newEvent()]));
    expect(await adapter.deleteInstance(a.id)).toEqual({ instance: cleared, deletedEvents: 2 });
    expect((await errorOf(adapter.deleteInstance(a.id))).code).toBe('NOT_FOUND');
    expect((await errorOf(adapter.append(appendRequest(a.id, [newEvent()])))).code).toBe('NOT_FOUND');
    expect(await adapter.headPosition(a.id)).toBe(0);
  });

  it('given a rename racing with appends by name, when both commit, then every append lands in one instance with gapless sequences', async () => {
    const instance = await freshInstance(adapter, 'renamed');
    const appends = Array.from({ length: 20 }, () =>
      adapter.append(appendRequest(instance.name, [newEvent({ streamId: 'r' })])).catch((e: unknown) => e),
    );
    const rename = adapter.updateInstance(instance.id, {
      name: `${instance.name}-new`,
      updatedAt: instance.createdAt,
    });
    const outcomes = await Promise.all(appends);
    await rename;
    const ok = outcomes.filter((o) => !EventLogError.isInstance(o)) as Array<{
      events: Array<{ instanceId: string }>;
    }>;
    const failed = outcomes.filter((o) => EventLogError.isInstance(o)) as EventLogError[];
    expect(failed.every((e) => e.code === 'NOT_FOUND')).toBe(true);
    expect(ok.every((o) => o.events[0]?.instanceId === instance.id)).toBe(true);
    const read = await adapter.readAfter({ instanceId: instance.id, after: 0, limit: 100 });
    expect(read.map((e) => e.sequence_number)).toEqual(Array.from({ length: ok.length }, (_, i) => i + 1));
  });

  it('given the key-value store, when values are compared and set, then versions count and conflicts are CONFLICT', async () => {
    const ns = `ns-${randomUUID()}`;
    expect(await adapter.kv.get(ns, 'k')).toBeUndefined();
    expect(await adapter.kv.put(ns, 'k', { n: 1 }, { expectedVersion: null })).toEqual({
      value: { n: 1 },
      version: 1,
    });
    expect((await errorOf(adapter.kv.put(ns, 'k', 2, { expectedVersion: null }))).code).toBe('CONFLICT');
    expect(await adapter.kv.put(ns, 'k', 'two', { expectedVersion: 1 })).toEqual({
      value: 'two',
      version: 2,
    });
    const stale = await errorOf(adapter.kv.put(ns, 'k', 3, { expectedVersion: 1 }));
    expect(stale.details).toEqual({ namespace: ns, key: 'k', expectedVersion: 1, actualVersion: 2 });
    expect(await adapter.kv.put(ns, 'b', [1, '2'])).toEqual({ value: [1, '2'], version: 1 });
    expect(await adapter.kv.list(ns)).toEqual([
      { key: 'b', value: [1, '2'], version: 1 },
      { key: 'k', value: 'two', version: 2 },
    ]);
    expect((await errorOf(adapter.kv.delete(ns, 'k', { expectedVersion: 1 }))).code).toBe('CONFLICT');
    expect(await adapter.kv.delete(ns, 'k', { expectedVersion: 2 })).toBe(true);
    expect(await adapter.kv.delete(ns, 'k')).toBe(false);
  });

  it('given a transaction, when the callback fails, then its kv writes and driver writes roll back together', async () => {
    const ns = `tx-${randomUUID()}`;
    await pg.sql.unsafe(`create table if not exists "${schema}".read_model (id text primary key, n int)`);
    const boom = new Error('projection failed');
    await expect(
      adapter.transaction(async (tx) => {
        await tx.kv.put(ns, 'checkpoint', 10);
        await tx.driver.unsafe(`insert into "${schema}".read_model values ($1, 1)`, [ns]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await adapter.kv.get(ns, 'checkpoint')).toBeUndefined();
    expect(await pg.sql.unsafe(`select * from "${schema}".read_model where id = $1`, [ns])).toHaveLength(0);

    const result = await adapter.transaction(async (tx) => {
      await tx.kv.put(ns, 'checkpoint', 11);
      await tx.driver.unsafe(`insert into "${schema}".read_model values ($1, 2)`, [ns]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await adapter.kv.get(ns, 'checkpoint')).toEqual({ value: 11, version: 1 });
    expect(await pg.sql.unsafe(`select n from "${schema}".read_model where id = $1`, [ns])).toEqual([
      { n: 2 },
    ]);
  });

  it('given a watcher, when this process appends and deletes, then it is signalled at once with the instance and position', async () => {
    const instance = await freshInstance(adapter);
    const signals: CommitSignal[] = [];
    const stop = adapter.watch((s) => signals.push(s));
    try {
      const { events } = await adapter.append(appendRequest(instance.id, [newEvent(), newEvent()]));
      expect(signals).toContainEqual({
        kind: 'append',
        instanceId: instance.id,
        position: events[1]?.global_position,
        committed: { previous: 0, events },
      });
      // Both append paths tell the head before the commit, read under the lock.
      const general = await adapter.append(
        appendRequest(instance.id, [newEvent({ eventId: 'with-id' })], { expectedVersion: expectVersion(2) }),
      );
      const unconditional = await adapter.append(appendRequest(instance.name, [newEvent(), newEvent()]));
      const appends = signals.filter((s) => s.kind === 'append' && s.instanceId === instance.id);
      expect(appends.map((s) => s.committed)).toEqual([
        { previous: 0, events },
        { previous: events[1]?.global_position, events: general.events },
        { previous: general.events[0]?.global_position, events: unconditional.events },
      ]);
      await adapter.deleteInstance(instance.id);
      expect(signals).toContainEqual({ kind: 'delete', instanceId: instance.id });
    } finally {
      stop();
    }
  });

  it('given a commit that sends no notification, when watchers exist, then the fallback poll signals it', async () => {
    const signals: CommitSignal[] = [];
    const stop = adapter.watch((s) => signals.push(s));
    try {
      // Let the listener connect and the poll take its first snapshot.
      await expect.poll(() => signals.some((s) => s.kind === 'unknown'), { timeout: 5000 }).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
      signals.length = 0;
      // A write no Event Log process announces (an old writer, a manual fix): only the poll sees it.
      await pg.sql.unsafe(
        `insert into "${schema}".kv (namespace, key, value, version) values ($1, 'k', '1', 1)`,
        [randomUUID()],
      );
      await expect
        .poll(() => signals.filter((s) => s.kind === 'unknown').length, { timeout: 3000 })
        .toBeGreaterThan(0);
    } finally {
      stop();
    }
  });

  it('given watchers come and go, when the last one stops, then the listening connection is released', async () => {
    const stops = [adapter.watch(() => {}), adapter.watch(() => {})];
    await expect.poll(() => connectionsNamed(`${appName}-listen`), { timeout: 5000 }).toBe(1);
    stops[0]?.();
    await new Promise((r) => setTimeout(r, 200));
    expect(await connectionsNamed(`${appName}-listen`)).toBe(1);
    stops[1]?.();
    await expect.poll(() => connectionsNamed(`${appName}-listen`), { timeout: 5000 }).toBe(0);
  });

  it('given the listening connection is killed, when it reconnects, then watchers get an unknown signal', async () => {
    const signals: CommitSignal[] = [];
    const stop = adapter.watch((s) => signals.push(s));
    try {
      await expect.poll(() => connectionsNamed(`${appName}-listen`), { timeout: 5000 }).toBe(1);
      await expect.poll(() => signals.length, { timeout: 5000 }).toBeGreaterThan(0);
      signals.length = 0;
      await pg.sql.unsafe(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
        [`${appName}-listen`],
      );
      await expect.poll(() => signals.some((s) => s.kind === 'unknown'), { timeout: 5000 }).toBe(true);
      // And it listens again: another process's commit arrives as an append signal.
      const instance = await freshInstance(adapter);
      const otherProcess = postgresAdapter({ url, schema, max: 1 });
      try {
        const { events } = await otherProcess.append(appendRequest(instance.id, [newEvent()]));
        await expect
          .poll(() => signals.some((s) => s.kind === 'append' && s.position === events[0]?.global_position), {
            timeout: 5000,
          })
          .toBe(true);
      } finally {
        await otherProcess.close();
      }
    } finally {
      stop();
    }
  });

  it('given an append failing after its insert, when the connection is reused, then nothing of it was committed', async () => {
    let fail = true;
    const failing = postgresAdapter({
      url,
      schema,
      max: 1,
      hooks: {
        beforeAppendCommit: () => {
          if (fail) throw new Error('hook failed');
        },
      },
    });
    try {
      const instance = await freshInstance(failing);
      await expect(failing.append(appendRequest(instance.id, [newEvent({ streamId: 'h' })]))).rejects.toThrow(
        'hook failed',
      );
      fail = false;
      // The only connection went back to the pool outside any transaction.
      const { events } = await failing.append(appendRequest(instance.id, [newEvent({ streamId: 'h' })]));
      expect(events[0]?.sequence_number).toBe(1);
      expect(await failing.readAfter({ instanceId: instance.id, after: 0, limit: 10 })).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  it('given a statement timeout, when a statement runs longer, then it is cancelled and reported as STORAGE_ERROR', async () => {
    const quick = postgresAdapter({ url, schema, statementTimeoutMs: 100, max: 1 });
    try {
      await quick.ready();
      const error = await quick.sql.unsafe('select pg_sleep(1)').catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('57014');
      // The adapter's own statements are bound by it too, and wrap the driver error.
      const instance = await freshInstance(quick);
      const blocker = rawClient(url, 1);
      try {
        await blocker.unsafe(`begin`);
        await blocker.unsafe(`lock table "${schema}".events in access exclusive mode`);
        const failed = await errorOf(quick.headPosition(instance.id));
        expect(failed.code).toBe('STORAGE_ERROR');
        expect(failed.message).toMatch(/statement timeout/);
        await blocker.unsafe('rollback');
      } finally {
        await blocker.end({ timeout: 5 });
      }
    } finally {
      await quick.close();
    }
  });

  it('given an adapter in use, when closed, then its connections are gone and later calls fail with STORAGE_ERROR', async () => {
    const name = `el-close-${randomUUID().slice(0, 8)}`;
    const closing = postgresAdapter({ url, schema, applicationName: name, max: 3 });
    const instance = await freshInstance(closing);
    const stop = closing.watch(() => {});
    await Promise.all(
      Array.from({ length: 5 }, () => closing.append(appendRequest(instance.id, [newEvent()]))),
    );
    expect(await connectionsNamed(name)).toBeGreaterThan(0);
    await closing.close();
    await closing.close();
    stop();
    await expect
      .poll(async () => (await connectionsNamed(name)) + (await connectionsNamed(`${name}-listen`)), {
        timeout: 5000,
      })
      .toBe(0);
    expect(await connectionsNamed(`${name}-notify`)).toBe(0);
    expect((await errorOf(closing.append(appendRequest(instance.id, [newEvent()])))).code).toBe(
      'STORAGE_ERROR',
    );
    expect((await errorOf(closing.listInstances())).code).toBe('STORAGE_ERROR');
  });
});
