import { describe, expect, it } from 'vitest';
import type { ReadAfterRequest, ReadOptions } from './adapter.js';
import { PERSONAL_PATHS_NAMESPACE } from './personal-data.js';
import { setup } from './test/fake-adapter.js';
import { dispatch } from './wire/wire-dispatch.js';

describe('the store: lifecycle methods and reads at a moment', () => {
  it('given an adapter without capabilities.lifecycle, when a lifecycle method is called, then STORAGE_ERROR names the capability after validation, and the adapter is not asked', async () => {
    const { log, fake } = setup();
    await log.createInstance('audit');
    const before = fake.methods().length;
    for (const res of [
      await log.deleteStream({ instanceId: 'audit', streamId: 's' }),
      await log.truncateStream({ instanceId: 'audit', streamId: 's', before: 2 }),
      await log.setRetention({ instanceId: 'audit', maxAgeMs: 1000 }),
      await log.pruneExpired(),
    ]) {
      expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
      expect(!res.success && res.error).toMatch(
        /does not declare capabilities\.lifecycle\); nothing was changed/,
      );
    }
    expect(fake.methods().slice(before)).toEqual([]);
    // Bad input is a VALIDATION_ERROR first, on any adapter.
    expect(await log.deleteStream({ instanceId: 'audit', streamId: '$system' })).toMatchObject({
      type: 'eventLog.deleteStream',
      code: 'VALIDATION_ERROR',
    });
  });

  it('given reads, then the store passes its clock’s time to query, stats and readAfter', async () => {
    const { log, fake, tick } = setup();
    const { id } = await log.store.createInstance('audit');
    tick(5000);
    await log.queryEvents({ from: { instance: id } });
    await log.getInstanceStats(id);
    await log.store.readAfter({ instance: id });
    const now = '2024-01-19T10:00:05.000Z';
    const query = fake.calls.find((c) => c.method === 'query');
    expect(query?.args[3] as ReadOptions).toEqual({ now });
    const stats = fake.calls.find((c) => c.method === 'stats');
    expect(stats?.args[1] as ReadOptions).toEqual({ now });
    const read = fake.calls.find((c) => c.method === 'readAfter');
    expect((read?.args[0] as ReadAfterRequest | undefined)?.now).toBe(now);
  });

  it('given forgetSubject on any adapter, then the key is destroyed in the key-value store and instances without the subject get no record', async () => {
    const { log, fake } = setup();
    await log.createInstance('audit');
    const res = await log.forgetSubject('customer-1');
    expect(res).toMatchObject({
      type: 'eventLog.forgetSubject',
      success: true,
      data: { subjectId: 'customer-1', forgotten: false, recordedIn: [] },
    });
    expect(fake.methods()).not.toContain('append');
    expect(await log.forgetSubject({ subjectId: 'x', extra: 1 } as never)).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });

  it('given the wire, then the lifecycle methods are request types with their params objects', async () => {
    const { log } = setup();
    await log.createInstance('audit');
    const send = (method: string, params?: unknown) =>
      dispatch(log, { type: `eventLog.${method}`, requestId: `r-${method}`, params });
    expect(await send('deleteStream', { instanceId: 'audit', streamId: 's' })).toMatchObject({
      type: 'eventLog.deleteStream',
      requestId: 'r-deleteStream',
      code: 'STORAGE_ERROR',
    });
    expect(await send('truncateStream', { instanceId: 'audit', streamId: 's', before: 0 })).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(
      await send('setRetention', { instanceId: 'audit', maxAgeMs: null, maxEventsPerStream: 5 }),
    ).toMatchObject({
      code: 'STORAGE_ERROR',
    });
    expect(await send('pruneExpired')).toMatchObject({
      type: 'eventLog.pruneExpired',
      code: 'STORAGE_ERROR',
    });
    expect(await send('forgetSubject', { subjectId: 'c-1' })).toMatchObject({
      type: 'eventLog.forgetSubject',
      success: true,
    });
    const unknown = await send('dropStream', {});
    expect(!unknown.success && unknown.error).toMatch(/eventLog\.deleteStream, eventLog\.truncateStream/);
  });
});

describe('the store: personal-data markings are validated before anything is written', () => {
  it('given a malformed marking, when appending one event or a batch, then VALIDATION_ERROR names its place and the adapter is not asked', async () => {
    const { log, fake } = setup();
    await log.createInstance('people');
    const single = await log.appendEvent({
      instanceId: 'people',
      eventType: 'Registered',
      payload: { email: 'a@example.com' },
      metadata: { personal: ['payload.email'] },
    });
    expect(!single.success && single.error).toMatch(/^metadata\.subject: is required/);
    const batch = await log.appendEvents({
      instanceId: 'people',
      events: [{ eventType: 'Registered', metadata: { subject: 's', personal: ['metadata.ip'] } }],
    });
    expect(!batch.success && batch.error).toMatch(
      /^events\[0\]\.metadata\.personal\[0\]: "metadata\.ip" is not a path below payload/,
    );
    expect(fake.methods()).not.toContain('append');
  });
});

describe('the store: the personal paths it knows', () => {
  it('given paths this store just recorded, when payload queries follow within the TTL, then it does not read them again, whatever time the log’s clock tells', async () => {
    // The log's clock (here fixed in 2024) once stamped the cache entry while the TTL was
    // measured on the wall clock: every later query read the paths again.
    const { log, fake } = setup();
    let reads = 0;
    const get = fake.adapter.kv.get;
    fake.adapter.kv.get = async (namespace, key) => {
      if (namespace === PERSONAL_PATHS_NAMESPACE) reads++;
      return get(namespace, key);
    };
    await log.createInstance('people');
    const appended = await log.appendEvent({
      instanceId: 'people',
      eventType: 'Registered',
      payload: { email: 'a@example.com', plan: 'pro' },
      metadata: { subject: 'u1', personal: ['payload.email'] },
    });
    expect(appended.success).toBe(true);
    reads = 0;
    for (let k = 0; k < 3; k++) {
      const res = await log.queryEvents({
        from: { instance: 'people' },
        where: [{ field: 'payload.plan', operator: 'eq', value: 'pro' }],
      });
      expect(res.success).toBe(true);
    }
    expect(reads).toBe(0);
  });
});
