import { describe, expect, it } from 'vitest';
import {
  type AdapterCapabilities,
  type AppendOutcome,
  type AppendRequest,
  appendToAdapter,
  type KvWrite,
  type StorageAdapter,
} from './adapter.js';
import { createEventLog } from './envelope-log.js';
import type { EventRecord, JsonValue } from './model.js';

/** An adapter that only appends: it records requests and key-value puts. */
function appendOnlyAdapter(
  capabilities: Partial<AdapterCapabilities>,
  options: { duplicate?: boolean; failPut?: boolean } = {},
) {
  const requests: AppendRequest[] = [];
  const puts: KvWrite[] = [];
  const fail = () => {
    throw new Error('not used by these tests');
  };
  const adapter = {
    contract: 1,
    name: 'recording',
    capabilities,
    async append(request: AppendRequest): Promise<AppendOutcome> {
      requests.push(request);
      const events = request.events.map(
        (e, i): EventRecord => ({
          id: e.id,
          instanceId: request.instance,
          stream_id: e.streamId,
          event_type: e.eventType,
          payload: e.payload,
          metadata: e.metadata,
          timestamp: e.timestamp,
          sequence_number: i + 1,
          global_position: i + 1,
        }),
      );
      return { events, duplicate: options.duplicate === true };
    },
    kv: {
      async put(namespace: string, key: string, value: JsonValue) {
        if (options.failPut) throw new Error('disk full');
        puts.push({ namespace, key, value });
        return { value, version: 1 };
      },
      get: fail,
      delete: fail,
      list: fail,
    },
    createInstance: fail,
    resolveInstance: fail,
    listInstances: fail,
    updateInstance: fail,
    deleteInstance: fail,
    query: fail,
    stats: fail,
    readAfter: fail,
    headPosition: fail,
    watch: fail,
    async close() {},
  } as unknown as StorageAdapter;
  return { adapter, requests, puts };
}

const ALL: Partial<AdapterCapabilities> = { tags: true, conditionalAppends: true, appendKvWrites: true };
const condition = { failIfEventsMatch: [{ tags: ['course:c1'] }], after: 3 };

describe('capability checks of appends', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['tags', { tags: ['course:c1'] }, 'capabilities.tags'],
    ['a condition', { condition }, 'capabilities.conditionalAppends'],
  ])(
    'given an adapter without the capability, when appendEvent with %s, then STORAGE_ERROR and the adapter is not called',
    async (_label, extra, mention) => {
      const { adapter, requests } = appendOnlyAdapter({});
      const log = createEventLog({ adapter });
      const res = await log.appendEvent({ instanceId: 'i', eventType: 't', ...extra });
      expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
      expect(!res.success && res.error).toContain(mention);
      expect(requests).toHaveLength(0);
    },
  );

  it('given an adapter without conditionalAppends, when appendEvents with expectedVersions of two streams, then STORAGE_ERROR', async () => {
    const { adapter, requests } = appendOnlyAdapter({});
    const res = await createEventLog({ adapter }).appendEvents({
      instanceId: 'i',
      events: [
        { streamId: 'a', eventType: 't' },
        { streamId: 'b', eventType: 't' },
      ],
      expectedVersions: { a: 0, b: 0 },
    });
    expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(requests).toHaveLength(0);
  });

  it('given an adapter without conditionalAppends, when expectedVersions names the only stream, then the contract-1 field carries it', async () => {
    const { adapter, requests } = appendOnlyAdapter({});
    const res = await createEventLog({ adapter }).appendEvents({
      instanceId: 'i',
      events: [{ streamId: 'a', eventType: 't' }],
      expectedVersions: { a: 'no_stream' },
    });
    expect(res.success).toBe(true);
    expect(requests[0]?.expectedVersion).toEqual({ check: { kind: 'exact', version: 0 }, raw: 'no_stream' });
  });

  it('given a malformed condition on an adapter without the capability, then VALIDATION_ERROR: shape comes first', async () => {
    const { adapter } = appendOnlyAdapter({});
    const res = await createEventLog({ adapter }).appendEvent({
      instanceId: 'i',
      eventType: 't',
      condition: { failIfEventsMatch: [] },
    });
    expect(res).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
  });

  it('given an adapter with the capabilities, when appending with tags, a condition and expectedVersions, then it gets them normalized', async () => {
    const { adapter, requests } = appendOnlyAdapter(ALL);
    const res = await createEventLog({ adapter }).appendEvents({
      instanceId: 'i',
      events: [
        { streamId: 'a', eventType: 't', tags: ['z', 'a'] },
        { streamId: 'b', eventType: 't' },
      ],
      expectedVersions: { a: 2, b: 'any' },
      condition,
    });
    expect(res.success).toBe(true);
    expect(requests[0]).toMatchObject({
      versionChecks: [
        { streamId: 'a', check: { kind: 'exact', version: 2 }, raw: 2 },
        { streamId: 'b', check: { kind: 'any' }, raw: 'any' },
      ],
      condition: { items: [{ tags: ['course:c1'] }], after: 3 },
    });
    expect(requests[0]?.events[0]?.tags).toEqual(['a', 'z']);
    expect(requests[0]?.expectedVersion).toBeUndefined();
  });
});

describe('appendToAdapter with kvWrites', () => {
  const writes: KvWrite[] = [{ namespace: 'ns', key: 'k', value: { state: 1 } }];
  const request = (): AppendRequest => ({
    instance: 'i',
    autoCreate: false,
    now: '2024-01-01T00:00:00.000Z',
    events: [
      {
        id: 'x',
        streamId: 's',
        eventType: 't',
        payload: {},
        metadata: {},
        timestamp: '2024-01-01T00:00:00.000Z',
      },
    ],
  });

  it('given appendKvWrites, then the writes travel in the append request and no separate put happens', async () => {
    const { adapter, requests, puts } = appendOnlyAdapter(ALL);
    await appendToAdapter(adapter, request(), writes);
    expect(requests[0]?.kvWrites).toEqual(writes);
    expect(puts).toEqual([]);
  });

  it('given no appendKvWrites, then the append goes without them and they are put after it', async () => {
    const { adapter, requests, puts } = appendOnlyAdapter({});
    await appendToAdapter(adapter, request(), writes);
    expect(requests[0]?.kvWrites).toBeUndefined();
    expect(puts).toEqual(writes);
  });

  it('given no appendKvWrites and a duplicate append, then nothing is put', async () => {
    const { adapter, puts } = appendOnlyAdapter({}, { duplicate: true });
    await appendToAdapter(adapter, request(), writes);
    expect(puts).toEqual([]);
  });

  it('given no appendKvWrites and a failing put, then the committed append still succeeds', async () => {
    const { adapter } = appendOnlyAdapter({}, { failPut: true });
    await expect(appendToAdapter(adapter, request(), writes)).resolves.toMatchObject({ duplicate: false });
  });
});
