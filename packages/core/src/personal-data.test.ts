import { describe, expect, it } from 'vitest';
import type { KeyValueStore, NewEvent, StoredValue } from './adapter.js';
import { parseQuery } from './dsl/parse.js';
import { EventLogError, kvConflict } from './errors.js';
import type { EventRecord, JsonValue } from './model.js';
import {
  assertNoPersonalFields,
  decryptRecords,
  decryptResult,
  destroySubjectKey,
  ENCRYPTED_PREFIX,
  ERASED,
  encryptPersonal,
  personalEventsOf,
  personalMarkOf,
  personalPathsOf,
  recordPersonalPaths,
  SUBJECT_KEY_NAMESPACE,
} from './personal-data.js';

/** A key-value store in a Map, with the contract's compare-and-set. */
function mapKv(): KeyValueStore & { dump(): string } {
  const data = new Map<string, StoredValue>();
  const k = (ns: string, key: string) => `${ns}\u0000${key}`;
  return {
    async get(ns, key) {
      return data.get(k(ns, key));
    },
    async put(ns, key, value, options) {
      const current = data.get(k(ns, key));
      const expected = options?.expectedVersion;
      if (
        expected !== undefined &&
        (expected === null ? current !== undefined : current?.version !== expected)
      ) {
        throw kvConflict(ns, key, expected, current?.version ?? null);
      }
      const next = { value: structuredClone(value), version: (current?.version ?? 0) + 1 };
      data.set(k(ns, key), next);
      return next;
    },
    async delete(ns, key) {
      return data.delete(k(ns, key));
    },
    async list() {
      return [];
    },
    dump: () => JSON.stringify([...data]),
  };
}

function newEvent(payload: Record<string, JsonValue>, metadata: Record<string, JsonValue>): NewEvent {
  return {
    id: 'e1',
    streamId: 's',
    eventType: 't',
    payload,
    metadata,
    timestamp: '2024-01-01T00:00:00.000Z',
  };
}

function recordOf(event: NewEvent): EventRecord {
  return {
    id: event.id,
    instanceId: 'i',
    stream_id: event.streamId,
    event_type: event.eventType,
    payload: event.payload,
    metadata: event.metadata,
    timestamp: event.timestamp,
    sequence_number: 1,
    global_position: 1,
  };
}

const MARK = {
  subject: 'customer-42',
  personal: ['payload.email', 'payload.address.city', 'payload.missing'],
};

describe('personal data: marking', () => {
  it('given a marking, then paths are parsed below payload; bad markings are VALIDATION_ERROR naming the place', () => {
    const mark = personalMarkOf(MARK, 'metadata');
    expect(mark?.subject).toBe('customer-42');
    expect(mark?.paths.map((p) => p.name)).toEqual([
      'payload.email',
      'payload.address.city',
      'payload.missing',
    ]);
    expect(personalMarkOf({ subject: 'x' }, 'metadata')).toBeUndefined();
    const bad = (metadata: Record<string, JsonValue>) => {
      try {
        personalMarkOf(metadata, 'events[1].metadata');
      } catch (error) {
        expect(EventLogError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
        return (error as Error).message;
      }
      throw new Error('expected a failure');
    };
    expect(bad({ personal: ['payload.email'] })).toMatch(/^events\[1\]\.metadata\.subject: is required/);
    expect(bad({ subject: 's', personal: [] })).toMatch(/^events\[1\]\.metadata\.personal: expected 1–32/);
    expect(bad({ subject: 's', personal: ['metadata.ip'] })).toMatch(/is not a path below payload/);
    expect(bad({ subject: 's', personal: ['payload'] })).toMatch(/is not a path below payload/);
    expect(bad({ subject: 's', personal: ['payload.a', 'payload.a'] })).toMatch(/listed twice/);
    expect(bad({ subject: 's', personal: ['payload.a..b'] })).toMatch(/empty segment/);
    expect(bad({ subject: '', personal: ['payload.a'] })).toMatch(/subject: must not be empty/);
  });
});

describe('personal data: encryption and erasure', () => {
  it('given marked values, when encrypted, then the stored form holds no clear value, reads decrypt, and forgetting erases', async () => {
    const kv = mapKv();
    const event = newEvent(
      { email: 'ada@example.com', address: { city: 'London', zip: 'N1' }, plan: 'pro' },
      MARK,
    );
    const marked = personalEventsOf([event]);
    expect(marked.map((m) => m.index)).toEqual([0]);
    const mark = marked[0]?.mark as NonNullable<ReturnType<typeof personalMarkOf>>;
    await encryptPersonal(kv, event, mark);
    const stored = JSON.stringify(event);
    expect(stored).not.toContain('ada@example.com');
    expect(stored).not.toContain('London');
    expect(event.payload.plan).toBe('pro');
    expect((event.payload.address as { zip: string }).zip).toBe('N1');
    expect(String(event.payload.email).startsWith(ENCRYPTED_PREFIX)).toBe(true);
    expect('missing' in event.payload).toBe(false);
    // Encrypting again leaves encrypted values alone.
    const once = event.payload.email;
    await encryptPersonal(kv, event, mark);
    expect(event.payload.email).toBe(once);

    const [read] = await decryptRecords(kv, [recordOf(event)]);
    expect(read?.payload).toEqual({
      email: 'ada@example.com',
      address: { city: 'London', zip: 'N1' },
      plan: 'pro',
    });
    // A select without metadata is found by the prefix.
    const [partial] = await decryptRecords(kv, [{ payload: { email: event.payload.email as string } }]);
    expect(partial).toEqual({ payload: { email: 'ada@example.com' } });

    expect(await destroySubjectKey(kv, 'customer-42')).toBe(true);
    expect(await destroySubjectKey(kv, 'customer-42')).toBe(false);
    expect(kv.dump()).not.toContain(SUBJECT_KEY_NAMESPACE);
    const [erased] = await decryptRecords(kv, [recordOf(event)]);
    expect(erased?.payload).toEqual({ email: ERASED, address: { city: ERASED, zip: 'N1' }, plan: 'pro' });

    // A new key for the same subject never reads the old values.
    const later = newEvent(
      { email: 'ada@new.example' },
      { subject: 'customer-42', personal: ['payload.email'] },
    );
    await encryptPersonal(kv, later, personalMarkOf(later.metadata, 'metadata') as never);
    const [again, old] = await decryptRecords(kv, [recordOf(later), recordOf(event)]);
    expect(again?.payload.email).toBe('ada@new.example');
    expect(old?.payload.email).toBe(ERASED);
  });

  it('given a tampered or foreign ciphertext, then it reads as erased, never as another value', async () => {
    const kv = mapKv();
    const a = newEvent({ email: 'a@example.com' }, { subject: 'a', personal: ['payload.email'] });
    const b = newEvent({ email: 'b@example.com' }, { subject: 'b', personal: ['payload.email'] });
    await encryptPersonal(kv, a, personalMarkOf(a.metadata, 'metadata') as never);
    await encryptPersonal(kv, b, personalMarkOf(b.metadata, 'metadata') as never);
    const token = String(a.payload.email);
    // The second-to-last character replaced by another (it was flaky when it already was 'A').
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.slice(-1)}`;
    expect(flipped).not.toBe(token);
    // b's ciphertext relabelled as a's subject: the key and the associated data disagree.
    const [bSubject, bKey, bIv, bData] = String(b.payload.email).slice(ENCRYPTED_PREFIX.length).split('.');
    const [aSubject] = token.slice(ENCRYPTED_PREFIX.length).split('.');
    const relabelled = `${ENCRYPTED_PREFIX}${[aSubject, bKey, bIv, bData].join('.')}`;
    expect(bSubject).not.toBe(aSubject);
    const records = [flipped, relabelled, `${ENCRYPTED_PREFIX}garbage`].map((email) =>
      recordOf({ ...a, payload: { email } }),
    );
    expect((await decryptRecords(kv, records)).map((r) => r.payload.email)).toEqual([ERASED, ERASED, ERASED]);
  });

  it('given collect over a personal field and a whole-payload select, then decryptResult decrypts them', async () => {
    const kv = mapKv();
    const e = newEvent({ email: 'x@example.com' }, { subject: 'x', personal: ['payload.email'] });
    await encryptPersonal(kv, e, personalMarkOf(e.metadata, 'metadata') as never);
    const result = await decryptResult(kv, {
      aggregation: { type: 'collect', field: 'payload', value: [e.payload] },
      total: 1,
      limit: 100,
      offset: 0,
    });
    expect(result.aggregation?.value).toEqual([{ email: 'x@example.com' }]);
    const plain = { events: [{ payload: { a: 1 } }], total: 1, limit: 100, offset: 0 };
    expect(await decryptResult(kv, plain)).toBe(plain);
  });
});

describe('personal data: queries on personal fields', () => {
  const q = (query: unknown) => parseQuery(query);
  it('given an instance with personal paths, then filtering, ordering, grouping or aggregating on them (or below) is VALIDATION_ERROR, and select is allowed', () => {
    const paths = ['payload.address.city', 'payload.email'];
    const from = { instance: 'i' };
    const refused = [
      { from, where: [{ field: 'payload.email', operator: 'eq', value: 'a' }] },
      { from, where: [{ not: { or: [{ field: 'payload.email', operator: 'exists', value: true }] } }] },
      { from, orderBy: { field: 'payload.email' } },
      { from, reduce: { type: 'count', groupBy: ['payload.address.city'] } },
      { from, reduce: { type: 'collect', field: 'payload.email' } },
      { from, where: [{ field: 'payload.address.city.x', operator: 'eq', value: 'a' }] },
    ];
    for (const query of refused) {
      expect(() => assertNoPersonalFields(q(query), paths)).toThrow(/is personal data .* cannot be filtered/);
    }
    const allowed = [
      { from, select: ['payload.email'] },
      { from, where: [{ field: 'payload.emailVerified', operator: 'eq', value: true }] },
      { from, where: [{ field: 'payload.address', operator: 'exists', value: true }] },
      { from, where: [{ field: 'metadata.subject', operator: 'eq', value: 'x' }] },
    ];
    for (const query of allowed) expect(() => assertNoPersonalFields(q(query), paths)).not.toThrow();
  });

  it('given concurrent recordings, then the personal paths of an instance merge', async () => {
    const kv = mapKv();
    await Promise.all([
      recordPersonalPaths(kv, 'i', ['payload.a']),
      recordPersonalPaths(kv, 'i', ['payload.b']),
      recordPersonalPaths(kv, 'i', ['payload.a', 'payload.c']),
    ]);
    expect(await personalPathsOf(kv, 'i')).toEqual(['payload.a', 'payload.b', 'payload.c']);
    expect(await personalPathsOf(kv, 'other')).toEqual([]);
  });
});
