/**
 * `runProjection`: a projection's handler over given events, returning the read model it built —
 * the unit test of a read model, without starting a projection, a lease or a database.
 */

import {
  createEventLog,
  type EventMap,
  type EventRecord,
  type EventRecordOf,
  type KeyValueStore,
  type StoredValue,
  type Upcaster,
  upcastersFor,
} from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { type GivenEvent, toRecords } from './given-events.js';

/**
 * What a handler gets beside the event: the same shape as `@eventlog/rx` projections give
 * (`ProjectionContext`), with the key-value store of an in-memory log and no driver.
 */
export interface TestProjectionContext {
  readonly projection: string;
  /** Always false here: there is no transaction. */
  readonly transactional: boolean;
  readonly driver: undefined;
  readonly kv: KeyValueStore;
}

/** A projection handler, as `projection({ handler })` of `@eventlog/rx` takes it. */
export type TestProjectionHandler<E extends EventMap = EventMap> = (
  event: EventRecordOf<E>,
  context: TestProjectionContext,
) => void | Promise<void>;

/** The key-value store's contents, by namespace then key: the default read model. */
export type KvContents = Record<string, Record<string, StoredValue['value']>>;

/** Options of {@link runProjection}. */
export interface RunProjectionOptions<E extends EventMap, M> {
  /** The events, in order (inputs, or records). */
  events: readonly GivenEvent<E>[];
  /** The handler under test. */
  handler: TestProjectionHandler<E>;
  /**
   * Reads the read model after the last event. Default: the key-value store's contents, by
   * namespace and key (for handlers that keep their model in `context.kv`). Give your own to
   * return a model the handler keeps elsewhere (a Map it closes over, a fake repository, …).
   */
  readModel?: (kv: KeyValueStore) => M | Promise<M>;
  /** Upcasters applied before the handler, as a projection on the log would. */
  upcasters?: readonly Upcaster<E>[];
  /** The projection's name in the context. Default `"test"`. */
  name?: string;
}

async function kvContents(kv: KeyValueStore, namespaces: ReadonlySet<string>): Promise<KvContents> {
  const out: KvContents = {};
  for (const namespace of [...namespaces].sort()) {
    const entries = await kv.list(namespace);
    if (entries.length === 0) continue;
    out[namespace] = Object.fromEntries(entries.map((e) => [e.key, e.value]));
  }
  return out;
}

/**
 * Runs a projection handler over `events` — in order, upcast, one at a time, with a fresh
 * in-memory key-value store — and returns the read model.
 *
 * @example
 * const model = await runProjection({
 *   events: [{ eventType: 'StudentSubscribed', payload: { courseId: 'c1' } }],
 *   handler: async (event, { kv }) => {
 *     const seats = (await kv.get('seats', event.payload.courseId))?.value ?? 0;
 *     await kv.put('seats', event.payload.courseId, (seats as number) + 1);
 *   },
 * });
 * expect(model).toEqual({ seats: { c1: 1 } });
 */
export async function runProjection<E extends EventMap = EventMap, M = KvContents>(
  options: RunProjectionOptions<E, M>,
): Promise<M> {
  const log = createEventLog<E>({ adapter: memoryAdapter() });
  const namespaces = new Set<string>();
  const raw = log.store.adapter.kv;
  // Remember the namespaces the handler writes, so the default model can list them.
  const kv: KeyValueStore = {
    get: (ns, key) => raw.get(ns, key),
    list: (ns) => raw.list(ns),
    put: (ns, key, value, opts) => {
      namespaces.add(ns);
      return raw.put(ns, key, value, opts);
    },
    delete: (ns, key, opts) => raw.delete(ns, key, opts),
  };
  const context: TestProjectionContext = {
    projection: options.name ?? 'test',
    transactional: false,
    driver: undefined,
    kv,
  };
  const { apply } = upcastersFor(log.store, options.upcasters);
  const records = toRecords<E>(options.events as readonly GivenEvent<E, string>[], {
    streamId: 'test',
    instanceId: 'test',
  });
  for (const record of records) {
    await options.handler(apply(record as EventRecord) as EventRecordOf<E>, context);
  }
  try {
    return options.readModel === undefined
      ? ((await kvContents(raw, namespaces)) as M)
      : await options.readModel(kv);
  } finally {
    await log.close();
  }
}
