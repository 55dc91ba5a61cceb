/**
 * The one reference rule of retention (SPEC §9): which events are expired at a moment. The memory
 * adapter reads through it, the conformance suite uses it as the oracle, and the SQL adapters
 * push the same two comparisons down ({@link retentionCutoff} gives the timestamp bound).
 *
 * An event is expired at `now` when
 * - `maxAgeMs` is set and `timestamp < now - maxAgeMs` (strictly more than `maxAgeMs` old; an event
 *   stamped in the future is never too old), or
 * - `maxEventsPerStream` is set and `sequence_number <= version - maxEventsPerStream`, where
 *   `version` is the stream's last sequence number ever written (deletions never lower it): each
 *   stream keeps its last `maxEventsPerStream` sequence numbers.
 *
 * Expiry depends only on the event, the rules, the clock and the stream's version — never on
 * which other events are still stored — so pruning (which removes expired events) never changes
 * what is visible, and an expired event never comes back.
 */

import type { EventRecord, Retention } from './model.js';
import { MIN_TIMESTAMP_MS, nowIso } from './timestamp.js';

/** What the rule reads of an event. */
export type RetainedEvent = Pick<EventRecord, 'stream_id' | 'timestamp' | 'sequence_number'>;

/** True when the retention has at least one rule. */
export function hasRetention(retention: Retention | undefined | null): retention is Retention {
  return (
    retention !== undefined &&
    retention !== null &&
    (retention.maxAgeMs !== undefined || retention.maxEventsPerStream !== undefined)
  );
}

/**
 * The timestamp bound of `maxAgeMs` at `now`: events with `timestamp < cutoff` are expired by age.
 * Undefined when there is no age rule, or when the bound falls before year 0001 (no storable
 * timestamp is that old, so nothing expires by age). Canonical ISO strings compare as instants, so
 * a SQL adapter can compare its text column with it.
 *
 * @example retentionCutoff({ maxAgeMs: 60_000 }, '2024-01-01T00:01:00.000Z') // '2024-01-01T00:00:00.000Z'
 */
export function retentionCutoff(retention: Retention | undefined, now: string): string | undefined {
  const maxAgeMs = retention?.maxAgeMs;
  if (maxAgeMs === undefined) return undefined;
  const bound = Date.parse(now) - maxAgeMs;
  if (!Number.isFinite(bound) || bound <= MIN_TIMESTAMP_MS) return undefined;
  return nowIso(bound);
}

/**
 * The highest sequence number of a stream at `version` that `maxEventsPerStream` expires (events
 * with `sequence_number <=` it are expired), or 0 when none.
 *
 * @example countBound({ maxEventsPerStream: 3 }, 10) // 7: sequences 1–7 are expired, 8–10 kept
 */
export function countBound(retention: Retention | undefined, version: number): number {
  const max = retention?.maxEventsPerStream;
  if (max === undefined) return 0;
  return Math.max(0, version - max);
}

/**
 * The reference rule: true when `event` is expired at `now` under `retention`, given its
 * stream's version (last sequence number ever written).
 *
 * @param now canonical ISO (`YYYY-MM-DDTHH:mm:ss.sssZ`)
 * @example isExpired(event, { maxEventsPerStream: 1 }, now, 2) // true for sequence 1
 */
export function isExpired(
  event: RetainedEvent,
  retention: Retention | undefined,
  now: string,
  streamVersion: number,
): boolean {
  if (!hasRetention(retention)) return false;
  const cutoff = retentionCutoff(retention, now);
  if (cutoff !== undefined && event.timestamp < cutoff) return true;
  return event.sequence_number <= countBound(retention, streamVersion);
}

/**
 * A predicate "still visible at `now`" over events of one instance, for adapters that filter in
 * JavaScript. `versionOf` gives a stream's version; by default the highest sequence number among
 * `events` of that stream (right whenever each stream's last event is among them — true for a
 * store without deletions; an adapter that deletes passes its own versions).
 */
export function visibilityAt(
  retention: Retention | undefined,
  now: string,
  versionOf: (streamId: string) => number,
): (event: RetainedEvent) => boolean {
  if (!hasRetention(retention)) return () => true;
  const cutoff = retentionCutoff(retention, now);
  const max = retention.maxEventsPerStream;
  return (event) => {
    if (cutoff !== undefined && event.timestamp < cutoff) return false;
    return max === undefined || event.sequence_number > versionOf(event.stream_id) - max;
  };
}

/**
 * The events of one instance still visible at `now`, in their order: the oracle of the
 * conformance suite's retention tests (compare an adapter with `evaluateQuery(visibleEvents(…))`).
 *
 * @param versions each stream's version; by default the highest sequence number per stream among
 *   `events` (see {@link visibilityAt})
 */
export function visibleEvents<T extends RetainedEvent>(
  events: readonly T[],
  retention: Retention | undefined,
  now: string,
  versions?: ReadonlyMap<string, number>,
): T[] {
  if (!hasRetention(retention)) return [...events];
  let known = versions;
  if (known === undefined) {
    const max = new Map<string, number>();
    for (const e of events) {
      if (e.sequence_number > (max.get(e.stream_id) ?? 0)) max.set(e.stream_id, e.sequence_number);
    }
    known = max;
  }
  const versionOf = (stream: string) => known.get(stream) ?? 0;
  return events.filter(visibilityAt(retention, now, versionOf));
}
