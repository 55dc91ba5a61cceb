import { describe, expect, it } from 'vitest';
import { timeBucketStart } from './time-bucket.js';

describe('timeBucketStart', () => {
  const ts = '2024-03-15T13:47:29.123Z'; // a Friday

  it('given a timestamp, when bucketing by minute, hour, day or month, then it truncates in UTC', () => {
    expect(timeBucketStart(ts, 'minute')).toBe('2024-03-15T13:47:00.000Z');
    expect(timeBucketStart(ts, 'hour')).toBe('2024-03-15T13:00:00.000Z');
    expect(timeBucketStart(ts, 'day')).toBe('2024-03-15T00:00:00.000Z');
    expect(timeBucketStart(ts, 'month')).toBe('2024-03-01T00:00:00.000Z');
  });

  it('given a Friday, when bucketing by week, then the bucket starts on the Monday before', () => {
    expect(timeBucketStart(ts, 'week')).toBe('2024-03-11T00:00:00.000Z');
  });

  it('given a Monday or a Sunday, when bucketing by week, then Monday starts its own week and Sunday ends it', () => {
    expect(timeBucketStart('2024-03-11T00:00:00.000Z', 'week')).toBe('2024-03-11T00:00:00.000Z');
    expect(timeBucketStart('2024-03-17T23:59:59.999Z', 'week')).toBe('2024-03-11T00:00:00.000Z');
    expect(timeBucketStart('2024-03-18T00:00:00.000Z', 'week')).toBe('2024-03-18T00:00:00.000Z');
  });

  it('given days early in January, when bucketing by week, then the week may start in the previous year', () => {
    expect(timeBucketStart('2021-01-02T10:00:00.000Z', 'week')).toBe('2020-12-28T00:00:00.000Z');
    expect(timeBucketStart('2025-01-01T00:00:00.000Z', 'week')).toBe('2024-12-30T00:00:00.000Z');
    expect(timeBucketStart('2024-03-01T08:00:00.000Z', 'week')).toBe('2024-02-26T00:00:00.000Z');
  });

  it('given the first and last days supported, when bucketing, then years 0001 and 9999 stay exact', () => {
    // 0001-01-01 is a Monday in the proleptic Gregorian calendar.
    expect(timeBucketStart('0001-01-01T05:06:07.008Z', 'week')).toBe('0001-01-01T00:00:00.000Z');
    expect(timeBucketStart('0001-01-07T23:00:00.000Z', 'week')).toBe('0001-01-01T00:00:00.000Z');
    expect(timeBucketStart('0001-01-08T00:00:00.000Z', 'week')).toBe('0001-01-08T00:00:00.000Z');
    expect(timeBucketStart('0001-01-01T05:06:07.008Z', 'month')).toBe('0001-01-01T00:00:00.000Z');
    expect(timeBucketStart('0099-03-01T00:00:00.000Z', 'week')).toBe('0099-02-23T00:00:00.000Z');
    expect(timeBucketStart('9999-12-31T23:59:59.999Z', 'week')).toBe('9999-12-27T00:00:00.000Z');
    expect(timeBucketStart('9999-12-31T23:59:59.999Z', 'day')).toBe('9999-12-31T00:00:00.000Z');
  });

  it('given every day across leap years and centuries, when bucketing by week, then it agrees with Date', () => {
    const day = 86_400_000;
    // Walk 1899-12-01 .. 2101-02-01 in steps of 7 days + 5 hours so every weekday is visited.
    for (let t = Date.UTC(1899, 11, 1); t < Date.UTC(2101, 1, 1); t += 7 * day + 5 * 3_600_000) {
      const d = new Date(t);
      const iso = d.toISOString();
      const back = (d.getUTCDay() + 6) % 7;
      const monday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back));
      expect(timeBucketStart(iso, 'week')).toBe(monday.toISOString());
    }
  });

  it('given days of the first centuries and the last one, when bucketing by week, then it agrees with Date', () => {
    const day = 86_400_000;
    const ranges: Array<[string, string]> = [
      ['0001-01-01T00:00:00.000Z', '0205-01-01T00:00:00.000Z'],
      ['9995-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
    ];
    for (const [from, to] of ranges) {
      for (let t = Date.parse(from) + 1234; t <= Date.parse(to); t += 7 * day + 7 * 3_600_000) {
        const d = new Date(t);
        const midnight = Math.floor(t / day) * day;
        const monday = new Date(midnight - ((d.getUTCDay() + 6) % 7) * day);
        expect(timeBucketStart(d.toISOString(), 'week')).toBe(monday.toISOString());
      }
    }
  });

  it('given a non-canonical timestamp, when bucketing, then it throws', () => {
    expect(() => timeBucketStart('2024-03-15T13:47:29Z', 'day')).toThrow(TypeError);
    expect(() => timeBucketStart('2024-03-15T13:47:29.123+01:00', 'day')).toThrow(TypeError);
  });
});
