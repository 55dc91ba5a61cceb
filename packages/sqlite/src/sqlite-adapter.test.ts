import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AppendRequest,
  type CommitSignal,
  DEFAULT_LIMITS,
  EventLogError,
  type NewEvent,
  parseQuery,
  type StorageAdapter,
} from '@eventlog/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bundledMigrations, MIGRATIONS_TABLE } from './migrator.js';
import { sqliteAdapter } from './sqlite-adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `store-${++files}.db`);

let ids = 0;
function event(streamId: string, payload: Record<string, unknown> = {}, eventId?: string): NewEvent {
  const e: NewEvent = {
    id: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    streamId,
    eventType: 'Happened',
    payload: payload as NewEvent['payload'],
    metadata: {},
    timestamp: '2024-05-01T10:00:00.000Z',
  };
  if (eventId !== undefined) e.eventId = eventId;
  return e;
}

function append(
  adapter: StorageAdapter,
  instance: string,
  events: NewEvent[],
  extra: Partial<AppendRequest> = {},
) {
  return adapter.append({ instance, autoCreate: true, now: '2024-05-01T10:00:00.000Z', events, ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<EventLogError> {
  try {
    await promise;
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function driverOf(adapter: StorageAdapter): Promise<Database.Database> {
  // The transaction's driver is the connection itself.
  return adapter.transaction!(async (tx) => tx.driver as Database.Database);
}

describe('Given a new file', () => {
  it('when opened, then it is in WAL mode with synchronous FULL, a busy timeout, secure_delete, and the migrations recorded once', async () => {
    const file = newFile();
    const adapter = sqliteAdapter({ file, busyTimeoutMs: 1234 });
    await adapter.ready!();
    const db = await driverOf(adapter);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.prepare(`SELECT count(*) AS n FROM "${MIGRATIONS_TABLE}"`).get()).toEqual({
      n: bundledMigrations().length,
    });
    expect(adapter.capabilities).toEqual({
      persistent: true,
      crossProcess: true,
      transactions: true,
      queryPushdown: true,
      tags: true,
      conditionalAppends: true,
      appendKvWrites: true,
      lifecycle: true,
      archive: true,
      secureDelete: true,
      rollups: true,
      readRefs: true,
    });
    await adapter.close();
  });

  it("when opened with durability 'normal', then synchronous is NORMAL", async () => {
    const adapter = sqliteAdapter({ file: newFile(), durability: 'normal' });
    expect((await driverOf(adapter)).pragma('synchronous', { simple: true })).toBe(1);
    await adapter.close();
  });

  it('when reopened, then nothing is migrated again and the data is still there', async () => {
    const file = newFile();
    const first = sqliteAdapter({ file });
    await append(first, 'keep', [event('s'), event('s')]);
    await first.close();
    const second = sqliteAdapter({ file });
    const db = await driverOf(second);
    expect(db.prepare(`SELECT count(*) AS n FROM "${MIGRATIONS_TABLE}"`).get()).toEqual({
      n: bundledMigrations().length,
    });
    expect(await second.headPosition((await second.resolveInstance('keep'))!.id)).toBe(2);
    await second.close();
  });

  it('when options are invalid, then the factory throws a TypeError at once', () => {
    expect(() => sqliteAdapter({ file: '' })).toThrow(TypeError);
    expect(() => sqliteAdapter({ file: newFile(), durability: 'fast' as never })).toThrow(TypeError);
    expect(() => sqliteAdapter({ file: newFile(), busyTimeoutMs: -1 })).toThrow(TypeError);
  });
});

describe('Given a store written before the counters', () => {
  /** Rewinds the store's schema to before migration `tag`: its tables dropped, its history gone. */
  function rewind(file: string, tag: string, tables: readonly string[]): void {
    const db = new Database(file);
    for (const table of tables) db.exec(`DROP TABLE ${table}`);
    const from = bundledMigrations().findIndex((m) => m.tag === tag);
    expect(from).toBeGreaterThan(0);
    for (const m of bundledMigrations().slice(from)) {
      db.prepare(`DELETE FROM "${MIGRATIONS_TABLE}" WHERE hash = ?`).run(m.hash);
    }
    db.close();
  }

  it('when opened, then the migrations count what it holds and statistics read the counts', async () => {
    const file = newFile();
    const adapter = sqliteAdapter({ file });
    const out = await append(adapter, 'old', [event('a'), event('a'), event('b')]);
    const id = out.events[0]!.instanceId;
    const before = await adapter.stats(id);
    await adapter.close();
    rewind(file, '0003_type_counts', ['event_type_counts', 'instance_stream_counts']);

    const reopened = sqliteAdapter({ file });
    expect(await reopened.stats(id)).toEqual(before);
    expect(before).toMatchObject({ eventCount: 3, streamCount: 2, eventTypes: { Happened: 3 } });
    await reopened.close();
  });

  it('when opened before the stream count, then the migration counts the streams of each instance', async () => {
    const file = newFile();
    const adapter = sqliteAdapter({ file });
    const one = (await append(adapter, 'one', [event('a'), event('b'), event('c')])).events[0]!.instanceId;
    const two = (await append(adapter, 'two', [event('a'), event('a')])).events[0]!.instanceId;
    await adapter.close();
    rewind(file, '0004_stream_counts', ['instance_stream_counts']);

    const reopened = sqliteAdapter({ file });
    const db = await driverOf(reopened);
    expect(db.prepare('SELECT n FROM instance_stream_counts ORDER BY n').pluck().all()).toEqual([1, 3]);
    expect(await reopened.stats(one)).toMatchObject({ eventCount: 3, streamCount: 3 });
    expect(await reopened.stats(two)).toMatchObject({ eventCount: 2, streamCount: 1 });
    await reopened.close();
  });
});

describe('Given the counts by type', () => {
  it('when a stream is deleted or truncated, then totals, counts by type and statistics follow', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const out = await append(adapter, 'counted', [event('a'), event('a'), event('b'), event('c')]);
    const id = out.events[0]!.instanceId;
    const total = async (where?: unknown[]) =>
      (
        await adapter.query(
          id,
          parseQuery({ from: { instance: id }, ...(where ? { where } : {}), limit: 0 }),
          DEFAULT_LIMITS,
        )
      ).total;
    const byType = async () =>
      (
        await adapter.query(
          id,
          parseQuery({ from: { instance: id }, reduce: { type: 'count', groupBy: ['event_type'] } }),
          DEFAULT_LIMITS,
        )
      ).aggregation;
    expect(await total()).toBe(4);
    const record = {
      id: 'r-1',
      streamId: '$system',
      eventType: '$stream.deleted',
      payload: { streamId: 'a' },
      metadata: {},
      timestamp: '2024-05-02T00:00:00.000Z',
    };
    await adapter.deleteStream!({ instanceId: id, streamId: 'a', record });
    expect(await total()).toBe(3);
    expect(await total([{ field: 'event_type', operator: 'eq', value: 'Happened' }])).toBe(2);
    expect((await byType())?.groups).toEqual([
      { key: { event_type: '$stream.deleted' }, value: 1 },
      { key: { event_type: 'Happened' }, value: 2 },
    ]);
    await adapter.truncateStream!({
      instanceId: id,
      streamId: 'b',
      before: 2,
      record: { ...record, id: 'r-2', eventType: '$stream.truncated', payload: { streamId: 'b', before: 2 } },
    });
    expect((await adapter.stats(id)).eventTypes).toEqual({
      '$stream.deleted': 1,
      '$stream.truncated': 1,
      Happened: 1,
    });
    await adapter.close();
  });
});

describe('Given a store written by a newer version', () => {
  it('when opened, then ready() and every method reject with STORAGE_ERROR and the file is left as it was', async () => {
    const file = newFile();
    await sqliteAdapter({ file }).close();
    const db = new Database(file);
    db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" (hash, created_at) VALUES ('future', ?)`).run(
      Date.UTC(2999, 0, 1),
    );
    db.close();
    const before = readFileSync(file);

    const adapter = sqliteAdapter({ file });
    const error = await rejection(adapter.ready!());
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toMatch(/newer version of @eventlog\/sqlite/);
    expect((await rejection(adapter.listInstances())).code).toBe('STORAGE_ERROR');
    expect((await rejection(append(adapter, 'x', [event('s')]))).code).toBe('STORAGE_ERROR');
    await adapter.close();
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});

describe('Given an open adapter', () => {
  it('when the last events are deleted with their instance, then positions are never reused', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const first = await append(adapter, 'gone', [event('s'), event('s')]);
    await adapter.deleteInstance(first.events[0]!.instanceId);
    const next = await append(adapter, 'gone', [event('s')]);
    expect(next.events[0]!.global_position).toBe(3);
    expect(next.events[0]!.sequence_number).toBe(1);
    await adapter.close();
  });

  it('when an instance is deleted, then its counts by type and of streams go with it', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const kept = await append(adapter, 'kept', [event('s')]);
    const gone = await append(adapter, 'gone', [event('a'), event('b')]);
    await adapter.deleteInstance(gone.events[0]!.instanceId);
    const db = await driverOf(adapter);
    const pks = (table: string) => db.prepare(`SELECT DISTINCT instance_pk FROM ${table}`).pluck().all();
    const keptPk = db
      .prepare('SELECT pk FROM instances WHERE id = ?')
      .pluck()
      .get(kept.events[0]!.instanceId);
    expect(pks('event_type_counts')).toEqual([keptPk]);
    expect(pks('instance_stream_counts')).toEqual([keptPk]);
    await adapter.close();
  });

  it('when a batch of 150 interleaves two streams, then positions and sequences follow array order', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const events = Array.from({ length: 150 }, (_, i) => event(i % 2 === 0 ? 'even' : 'odd', { i }));
    const out = await append(adapter, 'chunks', events);
    expect(out.events.map((e) => e.global_position)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(out.events.filter((e) => e.stream_id === 'odd').map((e) => e.sequence_number)).toEqual(
      Array.from({ length: 75 }, (_, i) => i + 1),
    );
    const id = out.events[0]!.instanceId;
    const stored = await adapter.readAfter({ instanceId: id, after: 0, limit: 1000 });
    expect(stored).toEqual(out.events);
    await adapter.close();
  });

  it('when an insert violates the stream-sequence key, then the append is a CONFLICT', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    await append(adapter, 'race', [event('s')]);
    // A trigger plays a writer that took the next sequence number first.
    (
      await driverOf(adapter)
    ).exec(`CREATE TRIGGER steal BEFORE INSERT ON events WHEN NEW.event_type = 'Happened' BEGIN
      INSERT INTO events (instance_pk, stream_id, sequence_number, event_type, id, timestamp, payload, metadata)
      VALUES (NEW.instance_pk, NEW.stream_id, NEW.sequence_number, 'Thief', 'x', NEW.timestamp, jsonb('{}'), jsonb('{}'));
    END`);
    const error = await rejection(append(adapter, 'race', [event('s')]));
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ streamId: 's', actualVersion: 1 });
    await adapter.close();
  });

  it('when any other constraint fails, then the append is a STORAGE_ERROR with the statement and the driver error', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    await append(adapter, 'boom', [event('s')]);
    (await driverOf(adapter)).exec(
      `CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'boom'); END`,
    );
    const error = await rejection(append(adapter, 'boom', [event('s')]));
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.message).toMatch(/boom/);
    expect(error.details?.statement).toMatch(/^INSERT INTO events/);
    expect(error.cause).toBeInstanceOf(Database.SqliteError);
    // Nothing of the failed append was kept.
    expect(await adapter.headPosition((await adapter.resolveInstance('boom'))!.id)).toBe(1);
    await adapter.close();
  });

  it('when queried with a one-stream page, then the stream index gives the order', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const out = await append(adapter, 'q', [
      event('a', { n: 1 }),
      event('b', { n: 2 }),
      event('a', { n: 3 }),
    ]);
    const id = out.events[0]!.instanceId;
    const result = await adapter.query(
      id,
      parseQuery(
        { from: { instance: id, stream: 'a' }, orderBy: { field: 'global_position', direction: 'desc' } },
        DEFAULT_LIMITS,
      ),
      DEFAULT_LIMITS,
    );
    expect(result.events?.map((e) => e.payload?.n)).toEqual([3, 1]);
    expect(result.total).toBe(2);
    await adapter.close();
  });
});

describe('Given concurrent appends of this process (group commit)', () => {
  it('when 16 callers append at once, then fewer transactions carry them, each call gets its own events, and the stream has no gaps', async () => {
    const commits: Array<{ requests: number; events: number }> = [];
    const adapter = sqliteAdapter({ file: newFile(), onAppendCommit: (info) => commits.push(info) });
    await append(adapter, 'group', [event('warm-up')]);
    commits.length = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) => append(adapter, 'group', [event('s', { i }), event('s', { i })])),
    );
    expect(commits.reduce((n, c) => n + c.requests, 0)).toBe(16);
    expect(commits.length).toBeLessThan(16);
    outcomes.forEach((outcome, i) => {
      expect(outcome.events.map((e) => e.payload)).toEqual([{ i }, { i }]);
    });
    const sequences = outcomes.flatMap((o) => o.events.map((e) => e.sequence_number)).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 32 }, (_, k) => k + 1));
    await adapter.close();
  });

  it('when one call of a group conflicts, then only that call fails and the others are stored', async () => {
    const adapter = sqliteAdapter({ file: newFile() });
    await append(adapter, 'mixed', [event('s')]);
    const [ok1, bad, ok2] = await Promise.allSettled([
      append(adapter, 'mixed', [event('s')]),
      append(adapter, 'mixed', [event('s')], {
        expectedVersion: { check: { kind: 'exact', version: 0 }, raw: 0 },
      }),
      append(adapter, 'mixed', [event('t')]),
    ]);
    expect(ok1.status).toBe('fulfilled');
    expect(ok2.status).toBe('fulfilled');
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
    await adapter.close();
  });

  it('when coalescing is off, then each call is a transaction of its own', async () => {
    const commits: unknown[] = [];
    const adapter = sqliteAdapter({
      file: newFile(),
      coalesce: false,
      onAppendCommit: (info) => commits.push(info),
    });
    await Promise.all(Array.from({ length: 5 }, () => append(adapter, 'alone', [event('s')])));
    expect(commits).toHaveLength(5);
    await adapter.close();
  });
});

describe('Given watchers', () => {
  it('when this process commits, then they get an append signal with the instance, the position and the committed events', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const signals: CommitSignal[] = [];
    const stop = adapter.watch((s) => signals.push(s));
    const out = await append(adapter, 'w', [event('s'), event('s')]);
    expect(signals).toEqual([
      {
        kind: 'append',
        instanceId: out.events[0]!.instanceId,
        position: 2,
        committed: { previous: 0, events: out.events },
      },
    ]);
    // Another instance's commit in between: `previous` is this instance's own head.
    await append(adapter, 'other', [event('x')]);
    const next = await append(adapter, 'w', [event('s')]);
    expect(signals.at(-1)).toMatchObject({ position: 4, committed: { previous: 2, events: next.events } });
    signals.length = 1;
    stop();
    await append(adapter, 'w', [event('s')]);
    expect(signals).toHaveLength(1);
    await adapter.close();
  });

  it('when another connection commits, then they get an unknown signal, and polling stops with the last watcher', async () => {
    const file = newFile();
    const watcher = sqliteAdapter({ file, pollIntervalMs: 10 });
    const writer = sqliteAdapter({ file });
    await watcher.ready!();
    const setSpy = vi.spyOn(globalThis, 'setInterval');
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    try {
      const signal = new Promise<CommitSignal>((resolve) => {
        const stop = watcher.watch((s) => {
          stop();
          resolve(s);
        });
      });
      expect(setSpy).toHaveBeenCalledTimes(1);
      await append(writer, 'other', [event('s')]);
      expect(await signal).toEqual({ kind: 'unknown', instanceId: null });
      expect(clearSpy).toHaveBeenCalledTimes(1);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
      await watcher.close();
      await writer.close();
    }
  });

  it('when the adapter closes, then polling stops and close is idempotent', async () => {
    const adapter = sqliteAdapter({ file: newFile(), pollIntervalMs: 10 });
    const clearSpy = vi.spyOn(globalThis, 'clearInterval');
    try {
      adapter.watch(() => {});
      const first = adapter.close();
      expect(clearSpy).toHaveBeenCalledTimes(1);
      await first;
      await adapter.close();
      expect((await rejection(adapter.listInstances())).code).toBe('STORAGE_ERROR');
      expect(() => adapter.watch(() => {})).toThrow(/closed/);
    } finally {
      clearSpy.mockRestore();
    }
  });
});

describe('Given transaction(fn)', () => {
  it('when fn writes a read model through the driver and a checkpoint through kv, then both commit together', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const db = await driverOf(adapter);
    db.exec('CREATE TABLE read_model (k TEXT PRIMARY KEY, v INTEGER)');
    await adapter.transaction!(async (tx) => {
      (tx.driver as Database.Database).prepare('INSERT INTO read_model VALUES (?, ?)').run('a', 1);
      await tx.kv.put('projection', 'checkpoint', 7);
    });
    expect(db.prepare('SELECT v FROM read_model').pluck().all()).toEqual([1]);
    expect(await adapter.kv.get('projection', 'checkpoint')).toEqual({ value: 7, version: 1 });
    await adapter.close();
  });

  it('when fn throws, then neither the driver writes nor the kv writes are kept', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const db = await driverOf(adapter);
    db.exec('CREATE TABLE read_model (k TEXT PRIMARY KEY, v INTEGER)');
    const failure = new Error('handler failed');
    await expect(
      adapter.transaction!(async (tx) => {
        (tx.driver as Database.Database).prepare('INSERT INTO read_model VALUES (?, ?)').run('a', 1);
        await tx.kv.put('projection', 'checkpoint', 7);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(db.prepare('SELECT count(*) FROM read_model').pluck().get()).toBe(0);
    expect(await adapter.kv.get('projection', 'checkpoint')).toBeUndefined();
    await adapter.close();
  });

  it('when other calls arrive while fn awaits, then they wait for the commit and never run inside it', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = adapter.transaction!(async (t) => {
      await t.kv.put('ns', 'k', 'inside');
      order.push('tx-write');
      await gate;
      order.push('tx-end');
      throw new Error('roll back');
    });
    const outside = adapter.kv.get('ns', 'k').then((v) => {
      order.push(`outside-read:${JSON.stringify(v)}`);
    });
    const outsideAppend = append(adapter, 'later', [event('s')]).then(() => order.push('outside-append'));
    await new Promise((r) => setTimeout(r, 20));
    release();
    await expect(tx).rejects.toThrow('roll back');
    await outside;
    await outsideAppend;
    expect(order).toEqual(['tx-write', 'tx-end', 'outside-read:undefined', 'outside-append']);
    await adapter.close();
  });

  it('when fn appends through the adapter, then the append joins the transaction and its signal waits for the commit', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const signals: CommitSignal[] = [];
    adapter.watch((s) => signals.push(s));
    await adapter.transaction!(async (tx) => {
      await append(adapter, 'inner', [event('s')]);
      await tx.kv.put('ns', 'k', 1);
      expect(signals).toEqual([]);
    });
    expect(signals).toHaveLength(1);
    await expect(
      adapter.transaction!(async () => {
        await append(adapter, 'inner', [event('s')]);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(signals).toHaveLength(1);
    expect(await adapter.headPosition((await adapter.resolveInstance('inner'))!.id)).toBe(1);
    await adapter.close();
  });

  it('when close() is called while fn runs, then calls queued before it complete and later calls are refused', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const tx = adapter.transaction!(async (t) => {
      await gate;
      await append(adapter, 'closing', [event('s')]);
      await t.kv.put('ns', 'k', 1);
    });
    const queued = adapter.kv.get('ns', 'k');
    const closed = adapter.close();
    expect((await rejection(adapter.listInstances())).code).toBe('STORAGE_ERROR');
    release();
    await tx;
    expect(await queued).toEqual({ value: 1, version: 1 });
    await closed;
  });

  it('when the kv of a finished transaction is used, then it rejects', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    const kv = await adapter.transaction!(async (tx) => tx.kv);
    expect((await rejection(kv.put('ns', 'k', 1))).code).toBe('STORAGE_ERROR');
    await adapter.close();
  });
});

describe('Given the key-value store', () => {
  it('when compare-and-set versions do not match, then it is a CONFLICT and nothing changes', async () => {
    const adapter = sqliteAdapter({ file: ':memory:' });
    expect(await adapter.kv.put('lease', 'p1', { owner: 'a' }, { expectedVersion: null })).toEqual({
      value: { owner: 'a' },
      version: 1,
    });
    expect(
      (await rejection(adapter.kv.put('lease', 'p1', { owner: 'b' }, { expectedVersion: null }))).code,
    ).toBe('CONFLICT');
    expect((await rejection(adapter.kv.delete('lease', 'p1', { expectedVersion: 5 }))).code).toBe('CONFLICT');
    expect(await adapter.kv.put('lease', 'p1', { owner: 'b' }, { expectedVersion: 1 })).toEqual({
      value: { owner: 'b' },
      version: 2,
    });
    await adapter.kv.put('lease', 'p0', null);
    expect((await adapter.kv.list('lease')).map((e) => [e.key, e.version])).toEqual([
      ['p0', 1],
      ['p1', 2],
    ]);
    expect(await adapter.kv.delete('lease', 'p1', { expectedVersion: 2 })).toBe(true);
    expect(await adapter.kv.delete('lease', 'p1')).toBe(false);
    await adapter.close();
  });
});
