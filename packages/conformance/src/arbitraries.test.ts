import { createEventLog, DEFAULT_LIMITS, EventLogError, type EventRecord, parseQuery } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { arbEvents, arbQuery, isoWithOffset, queryFeatures, REQUIRED_FEATURES } from './arbitraries.js';

describe('arbEvents', () => {
  test('given a seed, then datasets hold 60–150 events with unique eventIds and fixed payload key order', () => {
    const order = ['s', 'n', 'b', 'm', 'k-dash', '_u', 'nested', 'arr', 'tags', 'obj', 'deep', 't'];
    for (const events of fc.sample(arbEvents(), { seed: 7, numRuns: 10 })) {
      expect(events.length).toBeGreaterThanOrEqual(60);
      expect(events.length).toBeLessThanOrEqual(150);
      const ids = events.flatMap((e) => (e.eventId === undefined ? [] : [e.eventId]));
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of events) {
        const keys = Object.keys(e.payload ?? {});
        expect(keys).toEqual(order.filter((k) => keys.includes(k)));
      }
    }
  });

  test('given the same seed twice, then the same data', () => {
    expect(fc.sample(arbEvents(), { seed: 3, numRuns: 2 })).toEqual(
      fc.sample(arbEvents(), { seed: 3, numRuns: 2 }),
    );
  });
});

describe('isoWithOffset', () => {
  test('given an instant and an offset, then local time with the offset names the same instant', () => {
    const ms = Date.UTC(2024, 0, 1, 0, 30);
    expect(isoWithOffset(ms, 330)).toBe('2024-01-01T06:00:00.000+05:30');
    expect(isoWithOffset(ms, -480, false)).toBe('2023-12-31T16:30:00.000-0800');
    expect(Date.parse(isoWithOffset(ms, -570))).toBe(ms);
  });
});

describe('arbQuery', () => {
  let stored: EventRecord[] = [];
  beforeAll(async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const [events] = fc.sample(arbEvents(), { seed: 11, numRuns: 1 });
    const res = await log.appendEvents({ instanceId: 'arb', events: events ?? [], autoCreateInstance: true });
    if (!res.success) throw new Error(res.error);
    stored = res.data.events;
  });

  test('given generated queries, then every one is valid for the parser', () => {
    const queries = fc.sample(arbQuery(stored, 'arb'), { seed: 5, numRuns: 500 });
    const rejected: string[] = [];
    for (const q of queries) {
      try {
        parseQuery(q, DEFAULT_LIMITS);
      } catch (error) {
        if (!EventLogError.isInstance(error)) throw error;
        rejected.push(`${error.message} ${JSON.stringify(q)}`);
      }
    }
    expect(rejected).toEqual([]);
  });

  test('given 500 generated queries, then they cover every required DSL feature', () => {
    const seen = new Set(
      fc.sample(arbQuery(stored, 'arb'), { seed: 9, numRuns: 500 }).flatMap(queryFeatures),
    );
    expect(REQUIRED_FEATURES.filter((f) => !seen.has(f))).toEqual([]);
  });
});
