import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEventLog,
  ERASED,
  type EventLog,
  type EventRecord,
  hasCapability,
  PERSONAL_PATHS_NAMESPACE,
  SNAPSHOT_NAMESPACE,
  type StorageAdapter,
  SUBJECT_FORGOTTEN,
  SUBJECT_KEY_NAMESPACE,
  SYSTEM_STREAM,
} from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { liveEvents, projection } from '@eventlog/rx';
import { sqliteAdapter } from '@eventlog/sqlite';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-erasure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ADA = { email: 'ada.lovelace@example.com', phone: '+44 20 7946 0958', city: 'Marylebone' };
const BOB = { email: 'bob.babbage@example.com', phone: '+44 20 7946 0000', city: 'Walworth' };

/** Appends Ada's and Bob's personal data (and a non-personal field) to a fresh instance. */
async function seed(log: EventLog): Promise<string> {
  const { id } = await log.store.createInstance(`people-${Math.random().toString(36).slice(2, 8)}`);
  for (const [subject, person] of [
    ['ada', ADA],
    ['bob', BOB],
  ] as const) {
    await log.store.appendEvents({
      instanceId: id,
      streamId: `customer-${subject}`,
      events: [
        {
          eventType: 'Registered',
          payload: { customer: subject, email: person.email, address: { city: person.city }, plan: 'pro' },
          metadata: { subject, personal: ['payload.email', 'payload.address.city'] },
        },
        {
          eventType: 'PhoneAdded',
          payload: { phone: person.phone },
          metadata: { subject, personal: ['payload.phone'] },
        },
      ],
    });
  }
  return id;
}

/** A projection's read model, rebuilt from scratch: customer → the last personal values seen. */
async function rebuild(log: EventLog, instance: string): Promise<Record<string, Record<string, unknown>>> {
  const model: Record<string, Record<string, unknown>> = {};
  const p = projection({
    log,
    name: `people-${Math.random().toString(36).slice(2, 8)}`,
    instance,
    lease: { ttlMs: 400, renewIntervalMs: 100, retryIntervalMs: 20 },
    handler: (event) => {
      if (event.stream_id === SYSTEM_STREAM) return;
      const key = event.stream_id;
      const payload = event.payload as { email?: unknown; phone?: unknown; address?: { city?: unknown } };
      model[key] = {
        ...model[key],
        ...(payload.email === undefined ? {} : { email: payload.email }),
        ...(payload.phone === undefined ? {} : { phone: payload.phone }),
        ...(payload.address === undefined ? {} : { city: payload.address.city }),
      };
    },
  });
  p.start();
  await p.caughtUp();
  await p.stop();
  return model;
}

/** Every event as the adapter stores it (no decryption), of an instance. */
async function raw(adapter: StorageAdapter, instanceId: string): Promise<EventRecord[]> {
  return adapter.readAfter({ instanceId, after: 0, limit: 10_000 });
}

/**
 * Seeds, checks reads before and after forgetting Ada, and returns the instance and Ada's key as it
 * was before it was destroyed.
 */
async function checkErasure(log: EventLog): Promise<{ instanceId: string; key: string }> {
  const instanceId = await seed(log);
  const stored = await log.store.adapter.kv.get(SUBJECT_KEY_NAMESPACE, 'ada');
  const key = (stored?.value as { key?: string } | undefined)?.key ?? '';
  expect(key).not.toBe('');
  // Reads decrypt; the store holds only ciphertext.
  const before = await rebuild(log, instanceId);
  expect(before).toEqual({
    'customer-ada': { email: ADA.email, city: ADA.city, phone: ADA.phone },
    'customer-bob': { email: BOB.email, city: BOB.city, phone: BOB.phone },
  });
  const rows = JSON.stringify(await raw(log.store.adapter, instanceId));
  for (const value of [...Object.values(ADA), ...Object.values(BOB)]) expect(rows).not.toContain(value);
  expect(rows).toContain('"plan":"pro"');

  // Queries on personal fields are refused; selecting them works.
  const filtered = await log.queryEvents({
    from: { instance: instanceId },
    where: [{ field: 'payload.email', operator: 'eq', value: ADA.email }],
  });
  expect(filtered).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
  expect(!filtered.success && filtered.error).toMatch(/"payload\.email" is personal data/);
  const selected = await log.queryEvents({
    from: { instance: instanceId },
    select: ['payload.email'],
    where: [
      { field: 'metadata.subject', operator: 'eq', value: 'ada' },
      { field: 'event_type', operator: 'eq', value: 'Registered' },
    ],
  });
  expect(selected.success && selected.data.result.events).toEqual([{ payload: { email: ADA.email } }]);

  // Forget Ada.
  const forgotten = await log.forgetSubject('ada');
  expect(forgotten).toMatchObject({
    success: true,
    data: { subjectId: 'ada', forgotten: true, recordedIn: [instanceId] },
  });
  expect(await log.store.adapter.kv.get(SUBJECT_KEY_NAMESPACE, 'ada')).toBeUndefined();
  // Forgetting again destroys nothing more and records nothing new.
  expect(await log.forgetSubject({ subjectId: 'ada' })).toMatchObject({
    data: { forgotten: false, recordedIn: [] },
  });

  // Every read: queries, readAfter, live events, a rebuilt projection.
  const all = await log.queryEvents({ from: { instance: instanceId } });
  const events = (all.success ? all.data.result.events : []) as EventRecord[];
  const ada = events.filter((e) => e.stream_id === 'customer-ada');
  expect(ada.map((e) => e.payload)).toEqual([
    { customer: 'ada', email: ERASED, address: { city: ERASED }, plan: 'pro' },
    { phone: ERASED },
  ]);
  expect(events.filter((e) => e.stream_id === 'customer-bob')[0]?.payload.email).toBe(BOB.email);
  const record = events.find((e) => e.stream_id === SYSTEM_STREAM);
  expect(record).toMatchObject({ event_type: SUBJECT_FORGOTTEN, payload: { subjectId: 'ada' } });
  const page = await log.store.readAfter({ instance: instanceId, after: 0 });
  expect(
    page.filter((e) => e.stream_id === 'customer-ada').map((e) => e.payload.email ?? e.payload.phone),
  ).toEqual([ERASED, ERASED]);
  const live = await firstValueFrom(liveEvents(log, { instance: instanceId }).pipe(take(5), toArray()));
  expect(
    live.filter((e) => e.stream_id === 'customer-ada').map((e) => e.payload.email ?? e.payload.phone),
  ).toEqual([ERASED, ERASED]);
  expect(await rebuild(log, instanceId)).toEqual({
    'customer-ada': { email: ERASED, city: ERASED, phone: ERASED },
    'customer-bob': { email: BOB.email, city: BOB.city, phone: BOB.phone },
  });
  // The personal paths are remembered per instance.
  expect((await log.store.adapter.kv.get(PERSONAL_PATHS_NAMESPACE, instanceId))?.value).toEqual([
    'payload.address.city',
    'payload.email',
    'payload.phone',
  ]);
  return { instanceId, key };
}

/** Scans a SQLite database's files for a subject key, as text and as bytes. */
function expectNoKey(file: string, key: { key: string } | undefined): void {
  const bytes = Buffer.concat(
    [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
  );
  const secret = (key as { key: string }).key;
  expect(bytes.includes(Buffer.from(secret, 'utf8')), 'the key as text').toBe(false);
  expect(bytes.includes(Buffer.from(secret, 'base64url')), 'the key as bytes').toBe(false);
}

describe('erasure of personal data (crypto-shredding)', () => {
  it('given personal data on memory, when the subject is forgotten, then every read returns "[erased]" and neither the events nor the key store hold a clear value or the key', async () => {
    const adapter = memoryAdapter();
    const log = createEventLog({ adapter });
    try {
      const { instanceId, key } = await checkErasure(log);
      const everything = JSON.stringify([
        await raw(adapter, instanceId),
        ...(await Promise.all(
          [SUBJECT_KEY_NAMESPACE, PERSONAL_PATHS_NAMESPACE, SNAPSHOT_NAMESPACE].map((ns) =>
            adapter.kv.list(ns),
          ),
        )),
      ]);
      for (const value of Object.values(ADA)) expect(everything).not.toContain(value);
      expect(everything).not.toContain(key);
    } finally {
      await log.close();
    }
  });

  it('given personal data in a SQLite file, then no clear value ever reaches the database file, its WAL or its shared memory', async () => {
    const file = join(dir, 'people.db');
    const log = createEventLog({ adapter: sqliteAdapter({ file }) });
    try {
      await checkErasure(log);
    } finally {
      await log.close();
    }
    const bytes = Buffer.concat(
      [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((f) => readFileSync(f)),
    );
    for (const value of [...Object.values(ADA), ...Object.values(BOB)]) {
      expect(bytes.includes(Buffer.from(value, 'utf8')), `"${value}" in the SQLite files`).toBe(false);
    }
  });

  it('given a forgotten subject in a SQLite file, then the destroyed key leaves no byte in the database file or its WAL', async (t) => {
    const file = join(dir, 'keys.db');
    const adapter = sqliteAdapter({ file });
    const log = createEventLog({ adapter });
    let key: { keyId: string; key: string } | undefined;
    try {
      await adapter.ready?.();
      if (!hasCapability(adapter, 'secureDelete')) {
        t.skip(
          'the SQLite adapter declares capabilities.secureDelete = false: it must zero freed pages (PRAGMA secure_delete = ON) and truncate the WAL in scrub() (PRAGMA wal_checkpoint(TRUNCATE)) before a destroyed key is guaranteed gone from the files',
        );
      }
      await seed(log);
      key = (await adapter.kv.get(SUBJECT_KEY_NAMESPACE, 'ada'))?.value as typeof key;
      expect(key?.key).toBeTypeOf('string');
      await log.forgetSubject('ada');
      // While the store is open (the WAL not yet folded in by close)…
      expectNoKey(file, key);
    } finally {
      await log.close();
    }
    // …and after.
    expectNoKey(file, key);
  });
});
