/**
 * Upcasting: events are stored as written, forever; readers that fold or project them see every
 * event in its current schema. An upcaster turns the payload of one event type from schema
 * version `fromVersion` to `fromVersion + 1`; chains of them bring an old event up to date on read.
 *
 * The schema version of a stored event is `metadata.schemaVersion` (a positive integer; absent
 * or anything else means 1). Write it with new events once a type has evolved, so that they are
 * not upcast again.
 *
 * Applied by `aggregateStream`, `handleCommand`, `decide`, projections and `liveEvents`. Queries
 * (`queryEvents`, `where` filters of live reads) work on the stored form: they run in the
 * database, over the JSON as stored, and a filter on an upcast field could not be served by an
 * index or pushed down; filter on the stored shape, or on the type and schema version.
 */

import type { EventMap, EventRecord, JsonObject } from './model.js';

/**
 * One step of an upcast chain: the payload of `eventType` at schema version `fromVersion` →
 * `fromVersion + 1`. `upcast` must be pure (it runs on every read) and return a new object.
 *
 * @example
 * const v1ToV2: Upcaster<ShopEvents> = {
 *   eventType: 'OrderCreated',
 *   fromVersion: 1,
 *   upcast: (payload) => ({ ...payload, currency: 'EUR' }),
 * };
 */
export type Upcaster<E extends EventMap = EventMap> = {
  [K in keyof E & string]: {
    eventType: K;
    /** The schema version this step reads (an integer ≥ 1); it produces `fromVersion + 1`. */
    fromVersion: number;
    /** The payload at `fromVersion + 1`. `event` is the stored event, upcast up to `fromVersion`. */
    upcast(payload: JsonObject, event: EventRecord): JsonObject;
  };
}[keyof E & string];

/** Steps of {@link upcastChain}: any intermediate shapes, the last step producing the current payload. */
export type UpcastSteps<TCurrent> = readonly [
  // biome-ignore lint/suspicious/noExplicitAny: intermediate schema versions are the caller's own shapes
  ...Array<(payload: any, event: EventRecord) => JsonObject>,
  // biome-ignore lint/suspicious/noExplicitAny: the previous version's shape is the caller's own
  (payload: any, event: EventRecord) => TCurrent,
];

/**
 * Builds the upcasters of one event type from consecutive steps: the first reads `fromVersion`
 * (default 1), each next one the version after; the last must produce the current payload type of
 * the event map, so a chain that does not end in today's shape does not compile.
 *
 * @example
 * type Events = { OrderCreated: { orderId: string; total: { amount: number; currency: string } } };
 * const upcasters = upcastChain<Events, 'OrderCreated'>('OrderCreated', [
 *   (v1: { orderId: string; total: number }) => ({ ...v1, currency: 'EUR' }),           // v1 → v2
 *   (v2: { orderId: string; total: number; currency: string }) => ({                   // v2 → v3
 *     orderId: v2.orderId, total: { amount: v2.total, currency: v2.currency } }),
 * ]);
 */
export function upcastChain<E extends EventMap, K extends keyof E & string>(
  eventType: K,
  steps: UpcastSteps<E[K]>,
  fromVersion = 1,
): Upcaster<E>[] {
  // The steps themselves (not wrappers), so each one's source text feeds the fingerprint.
  return steps.map(
    (step, i) => ({ eventType, fromVersion: fromVersion + i, upcast: step }) as unknown as Upcaster<E>,
  );
}

/** Brings an event to its current schema; returns the same object when nothing applies. */
export type UpcastFn = (event: EventRecord) => EventRecord;

/** A compiled set of upcasters. */
export interface CompiledUpcasters {
  /** Upcasts one event (the same object when no upcaster applies). */
  readonly apply: UpcastFn;
  /** How many steps are registered. */
  readonly size: number;
  /**
   * Identifies the registered steps (types, versions and the source text of each function): part
   * of a snapshot's key, so changing an upcaster never serves a snapshot folded through the old one.
   */
  readonly fingerprint: string;
}

/** The schema version of a stored event: `metadata.schemaVersion` when a positive integer, else 1. */
export function schemaVersionOf(event: Pick<EventRecord, 'metadata'>): number {
  const v = event.metadata?.schemaVersion;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : 1;
}

function checkUpcaster(upcaster: unknown, index: number): asserts upcaster is Upcaster {
  const u = upcaster as Partial<Upcaster> | null;
  const where = `upcasters[${index}]`;
  if (typeof u !== 'object' || u === null) {
    throw new TypeError(`${where} must be an object { eventType, fromVersion, upcast }.`);
  }
  if (typeof u.eventType !== 'string' || u.eventType === '') {
    throw new TypeError(`${where}.eventType must be a non-empty string (the event type it upcasts).`);
  }
  if (typeof u.fromVersion !== 'number' || !Number.isSafeInteger(u.fromVersion) || u.fromVersion < 1) {
    throw new TypeError(`${where}.fromVersion must be an integer ≥ 1 (the schema version it reads).`);
  }
  if (typeof u.upcast !== 'function') {
    throw new TypeError(`${where}.upcast must be a function (payload, event) => payload.`);
  }
}

const NONE: CompiledUpcasters = Object.freeze({
  apply: (event: EventRecord) => event,
  size: 0,
  fingerprint: '',
});

/** A short, stable hash of a string (FNV-1a, 32 bits, hex). */
export function hashText(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Compiles upcasters into one function. Later lists override earlier ones for the same
 * `(eventType, fromVersion)` (a reader's upcasters override the log's); within one list a repeated
 * step is an error.
 *
 * @throws TypeError for a malformed upcaster or a step registered twice in one list
 * @example
 * const { apply } = compileUpcasters([log.store.upcasters, readerUpcasters]);
 * const current = apply(storedEvent);
 */
export function compileUpcasters(lists: ReadonlyArray<readonly Upcaster[] | undefined>): CompiledUpcasters {
  const steps = new Map<string, Map<number, Upcaster>>();
  for (const list of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw new TypeError('upcasters must be an array of { eventType, fromVersion, upcast }.');
    const seen = new Set<string>();
    list.forEach((upcaster, index) => {
      checkUpcaster(upcaster, index);
      const id = `${upcaster.eventType}\u0000${upcaster.fromVersion}`;
      if (seen.has(id)) {
        throw new TypeError(
          `upcasters[${index}]: "${upcaster.eventType}" from version ${upcaster.fromVersion} is registered twice; each step appears once.`,
        );
      }
      seen.add(id);
      let byVersion = steps.get(upcaster.eventType);
      if (byVersion === undefined) {
        byVersion = new Map();
        steps.set(upcaster.eventType, byVersion);
      }
      byVersion.set(upcaster.fromVersion, upcaster);
    });
  }
  if (steps.size === 0) return NONE;
  let size = 0;
  const parts: string[] = [];
  for (const [type, byVersion] of [...steps].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [version, step] of [...byVersion].sort(([a], [b]) => a - b)) {
      size++;
      parts.push(`${type}@${version}:${hashText(String(step.upcast))}`);
    }
  }
  const apply: UpcastFn = (event) => {
    const byVersion = steps.get(event.event_type);
    if (byVersion === undefined) return event;
    let version = schemaVersionOf(event);
    let step = byVersion.get(version);
    if (step === undefined) return event;
    let current = event;
    // Each step raises the version by one, so a chain of n registered steps ends after n rounds.
    while (step !== undefined) {
      let payload: JsonObject;
      try {
        payload = step.upcast(current.payload, current);
      } catch (error) {
        throw new Error(
          `The upcaster of "${event.event_type}" from version ${version} failed on the event at position ${event.global_position}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new TypeError(
          `The upcaster of "${event.event_type}" from version ${version} returned ${payload === null ? 'null' : typeof payload} instead of a payload object.`,
        );
      }
      version += 1;
      current = { ...current, payload, metadata: { ...current.metadata, schemaVersion: version } };
      step = byVersion.get(version);
    }
    return current;
  };
  return Object.freeze({ apply, size, fingerprint: hashText(parts.join('|')) });
}
