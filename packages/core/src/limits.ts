/**
 * Configurable caps. Passing one gives `LIMIT_EXCEEDED` and writes nothing.
 * Pass overrides to `createEventLog({ adapter, limits: { … } })`.
 */
export interface Limits {
  /** Bytes of UTF-8 JSON of `payload` + `metadata` of one event. Default 1 MiB. */
  maxEventBytes: number;
  /** Events in one `appendEvents`. Default 10,000. */
  maxBatchEvents: number;
  /** Bytes of UTF-8 JSON of all payloads and metadata of one `appendEvents`. Default 16 MiB. */
  maxBatchBytes: number;
  /** The largest query `limit`. Default 10,000. */
  maxQueryLimit: number;
  /** The `limit` of a query that gives none. Default 100. */
  defaultQueryLimit: number;
  /** Values in one `in` list. Default 1,000. */
  maxInValues: number;
  /** Groups of one grouped aggregation. Default 10,000. */
  maxGroups: number;
  /** Values one `collect` may return (over all groups). Default 100,000. */
  maxCollectValues: number;
}

/** The default {@link Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxEventBytes: 1024 * 1024,
  maxBatchEvents: 10_000,
  maxBatchBytes: 16 * 1024 * 1024,
  maxQueryLimit: 10_000,
  defaultQueryLimit: 100,
  maxInValues: 1000,
  maxGroups: 10_000,
  maxCollectValues: 100_000,
});

/** Fixed (not configurable) shape rules. */
export const RULES = Object.freeze({
  /** Characters (code points) of instance names, stream ids, event types and eventIds. */
  maxNameLength: 200,
  /** Characters of an instance description. */
  maxDescriptionLength: 2000,
  /** Segments of a field path below `payload` / `metadata`. */
  maxPathDepth: 16,
  /** Nesting depth of payload and metadata values. */
  maxJsonDepth: 100,
  /** Tags of one event (SPEC §8); also the most tags one condition item may require. */
  maxTags: 32,
  /** Items of one append condition's `failIfEventsMatch`. */
  maxConditionItems: 100,
  /** Event types of one condition item. */
  maxConditionTypes: 100,
});

/** Merges overrides into the defaults, checking each is a positive integer. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_LIMITS)) {
      throw new TypeError(`Unknown limit "${key}". Known limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}.`);
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(`Limit "${key}" must be a non-negative integer, got ${String(value)}.`);
    }
    limits[key as keyof Limits] = value;
  }
  if (limits.defaultQueryLimit > limits.maxQueryLimit) limits.defaultQueryLimit = limits.maxQueryLimit;
  return limits;
}
