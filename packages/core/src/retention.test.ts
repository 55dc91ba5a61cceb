import { describe, expect, it } from 'vitest';
import type { EventRecord } from './model.js';
import {
  countBound,
  hasRetention,
  isExpired,
  retentionCutoff,
  visibilityAt,
  visibleEvents,
} from './retention.js';

const NOW = '2024-03-01T12:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(NOW) - ms).toISOString();

function event(stream: string, sequence: number, ageMs = 0): EventRecord {
  return {
    id: `${stream}-${sequence}`,
    instanceId: 'i',
    stream_id: stream,
    event_type: 't',
    payload: {},
    metadata: {},
    timestamp: at(ageMs),
    sequence_number: sequence,
    global_position: sequence,
  };
}

describe('retention: the reference rule', () => {
  it('given maxAgeMs, then an event exactly maxAgeMs old is visible and one a millisecond older is expired', () => {
    const rule = { maxAgeMs: 6000 };
    expect(isExpired(event('s', 1, 6000), rule, NOW, 1)).toBe(false);
    expect(isExpired(event('s', 1, 6001), rule, NOW, 1)).toBe(true);
    // An event stamped in the future is never too old.
    expect(isExpired(event('s', 1, -60_000), rule, NOW, 1)).toBe(false);
    expect(retentionCutoff(rule, NOW)).toBe(at(6000));
  });

  it('given a huge maxAgeMs, then nothing expires by age (the cutoff falls before year 0001)', () => {
    expect(retentionCutoff({ maxAgeMs: Number.MAX_SAFE_INTEGER }, NOW)).toBeUndefined();
    const oldest = { ...event('s', 1), timestamp: '0001-01-01T00:00:00.000Z' };
    expect(isExpired(oldest, { maxAgeMs: Number.MAX_SAFE_INTEGER }, NOW, 1)).toBe(false);
    expect(isExpired(oldest, { maxAgeMs: 1 }, NOW, 1)).toBe(true);
  });

  it('given maxEventsPerStream, then each stream keeps its last N sequence numbers, counted from its version', () => {
    const rule = { maxEventsPerStream: 3 };
    expect(countBound(rule, 10)).toBe(7);
    expect(countBound(rule, 2)).toBe(0);
    expect(isExpired(event('s', 7), rule, NOW, 10)).toBe(true);
    expect(isExpired(event('s', 8), rule, NOW, 10)).toBe(false);
    // The version, not what is stored: a truncated stream at version 10 still expires 7.
    expect(isExpired(event('s', 7), { maxEventsPerStream: 5 }, NOW, 12)).toBe(true);
  });

  it('given both rules, then either expires an event', () => {
    const rule = { maxAgeMs: 1000, maxEventsPerStream: 2 };
    expect(isExpired(event('s', 3, 5000), rule, NOW, 3)).toBe(true);
    expect(isExpired(event('s', 1, 0), rule, NOW, 3)).toBe(true);
    expect(isExpired(event('s', 2, 0), rule, NOW, 3)).toBe(false);
  });

  it('given no rules, then nothing expires and visibleEvents copies the list', () => {
    expect(hasRetention(undefined)).toBe(false);
    expect(hasRetention({})).toBe(false);
    expect(isExpired(event('s', 1, 1e12), {}, NOW, 100)).toBe(false);
    const events = [event('s', 1)];
    const visible = visibleEvents(events, undefined, NOW);
    expect(visible).toEqual(events);
    expect(visible).not.toBe(events);
  });

  it('given events of several streams, then visibleEvents uses each stream’s highest sequence unless versions are given', () => {
    const events = [event('a', 1), event('a', 2), event('a', 3), event('b', 1)];
    const rule = { maxEventsPerStream: 1 };
    expect(visibleEvents(events, rule, NOW).map((e) => e.id)).toEqual(['a-3', 'b-1']);
    expect(
      visibleEvents(
        events,
        rule,
        NOW,
        new Map([
          ['a', 5],
          ['b', 1],
        ]),
      ).map((e) => e.id),
    ).toEqual(['b-1']);
    const keep = visibilityAt(rule, NOW, () => 3);
    expect(keep(event('a', 3))).toBe(true);
    expect(keep(event('a', 2))).toBe(false);
  });
});
