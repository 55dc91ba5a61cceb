import { describe, expect, it } from 'vitest';
import { EventLogError } from './errors.js';
import {
  daysInMonth,
  isCanonicalTimestamp,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  normalizeTimestamp,
  nowIso,
  timestampToMs,
} from './timestamp.js';

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('normalizeTimestamp', () => {
  it.each([
    ['2024-01-19T10:00:00Z', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T10:00:00.000Z', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T10:00Z', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T10:00:00.5Z', '2024-01-19T10:00:00.500Z'],
    ['2024-01-19T10:00:00.12Z', '2024-01-19T10:00:00.120Z'],
    ['2024-01-19T10:00:00.123456789Z', '2024-01-19T10:00:00.123Z'],
    ['2024-01-19T10:00:00.9999Z', '2024-01-19T10:00:00.999Z'],
    ['2024-01-19T12:00:00+02:00', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T12:00:00+0200', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T05:30:00-04:30', '2024-01-19T10:00:00.000Z'],
    ['2024-01-19T10:00:00-00:00', '2024-01-19T10:00:00.000Z'],
    ['2024-01-01T01:00:00+02:00', '2023-12-31T23:00:00.000Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0050-06-15T12:00:00Z', '0050-06-15T12:00:00.000Z'],
    ['0099-12-31T23:59:59.999Z', '0099-12-31T23:59:59.999Z'],
    ['0001-01-01T01:00:00+01:00', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T23:59:59.999+05:00', '9999-12-31T18:59:59.999Z'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z'],
    ['2024-01-19T23:59:59+23:59', '2024-01-19T00:00:59.000Z'],
    [0, '1970-01-01T00:00:00.000Z'],
    [-0, '1970-01-01T00:00:00.000Z'],
    [1705658400000, '2024-01-19T10:00:00.000Z'],
    [-1, '1969-12-31T23:59:59.999Z'],
    [MIN_TIMESTAMP_MS, '0001-01-01T00:00:00.000Z'],
    [MAX_TIMESTAMP_MS, '9999-12-31T23:59:59.999Z'],
  ])('given %j, when normalized, then %s', (input, expected) => {
    expect(normalizeTimestamp(input, 'timestamp')).toBe(expected);
  });

  it('given an ISO string and its epoch milliseconds, when normalized, then both give the same instant', () => {
    const ms = Date.UTC(2023, 6, 4, 3, 2, 1, 987);
    expect(normalizeTimestamp(ms, 't')).toBe(normalizeTimestamp('2023-07-04T03:02:01.987Z', 't'));
    expect(timestampToMs('2023-07-04T05:02:01.987+02:00', 't')).toBe(ms);
  });

  it('given every day of a leap and a common year, when normalized, then the result round-trips', () => {
    for (const year of [1900, 2000, 2023, 2024]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= daysInMonth(year, month); day++) {
          const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T00:00:00.000Z`;
          expect(normalizeTimestamp(`${iso.slice(0, 19)}+00:00`, 't')).toBe(iso);
          expect(timestampToMs(iso, 't')).toBe(Date.parse(iso));
        }
      }
    }
  });

  it.each([
    ['2024-02-30T00:00:00Z', 'February 2024 has 29 days'],
    ['2023-02-29T00:00:00Z', 'February 2023 has 28 days'],
    ['1900-02-29T00:00:00Z', 'February 1900 has 28 days'],
    ['2024-04-31T00:00:00Z', 'April 2024 has 30 days'],
    ['2024-01-00T00:00:00Z', 'has day 00'],
    ['2024-13-01T00:00:00Z', 'month 13'],
    ['2024-00-01T00:00:00Z', 'month 00'],
    ['2024-01-01T24:00:00Z', 'hour 24'],
    ['2024-01-01T10:60:00Z', 'minute 60'],
    ['2024-01-01T10:00:60Z', 'second 60'],
    ['2024-01-01T10:00:00+24:00', 'offset +24:00'],
    ['2024-01-01T10:00:00+01:60', 'offset +01:60'],
    ['0000-12-31T23:59:59Z', 'outside years 0001–9999'],
    ['0001-01-01T00:30:00+01:00', 'outside years 0001–9999'],
    ['9999-12-31T23:30:00-01:00', 'outside years 0001–9999'],
    ['2024-01-19T10:00:00', 'is not an ISO 8601 timestamp with a time zone'],
    ['2024-01-19', 'is not an ISO 8601 timestamp'],
    ['2024-01-19 10:00:00Z', 'is not an ISO 8601 timestamp'],
    ['2024-01-19t10:00:00z', 'is not an ISO 8601 timestamp'],
    ['2024-1-19T10:00:00Z', 'is not an ISO 8601 timestamp'],
    ['+002024-01-19T10:00:00Z', 'is not an ISO 8601 timestamp'],
    ['2024-01-19T10:00:00.Z', 'is not an ISO 8601 timestamp'],
    ['2024-01-19T10Z', 'is not an ISO 8601 timestamp'],
    ['2024-01-19T10:00:00+2', 'is not an ISO 8601 timestamp'],
    ['Fri, 19 Jan 2024 10:00:00 GMT', 'is not an ISO 8601 timestamp'],
    ['', 'an empty string is not an ISO 8601 timestamp'],
    ['1705658400000', 'is not an ISO 8601 timestamp'],
    [1.5, 'must be an integer'],
    [NaN, 'must be an integer'],
    [Infinity, 'must be an integer'],
    [MIN_TIMESTAMP_MS - 1, 'outside years 0001–9999'],
    [MAX_TIMESTAMP_MS + 1, 'outside years 0001–9999'],
    [8.64e15, 'outside years 0001–9999'],
    [null, 'expected a timestamp, got null'],
    [true, 'expected a timestamp, got true'],
    [{}, 'expected a timestamp, got an object'],
    [new Date(0), 'Pass date.toISOString()'],
    [10n, 'expected a timestamp, got the BigInt 10n'],
  ])('given %s, when normalized, then VALIDATION_ERROR mentions %s', (input, text) => {
    const error = errorOf(() => normalizeTimestamp(input, 'events[1].timestamp'));
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.message.startsWith('events[1].timestamp: ')).toBe(true);
    expect(error.message).toContain(text);
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: 'events[1].timestamp' })]);
  });

  it('given an invalid format, when rejected, then the message says what is allowed', () => {
    expect(errorOf(() => normalizeTimestamp('yesterday', 'timestamp')).message).toMatch(
      /ending in Z or an offset .*epoch milliseconds, for years 0001–9999/,
    );
  });
});

describe('isCanonicalTimestamp', () => {
  it.each([
    ['2024-01-19T10:00:00.000Z', true],
    ['0001-01-01T00:00:00.000Z', true],
    ['0000-01-01T00:00:00.000Z', false],
    ['2024-02-30T10:00:00.000Z', false],
    ['2024-01-19T10:00:00Z', false],
    ['2024-01-19T10:00:00.000+00:00', false],
    ['2024-01-19T24:00:00.000Z', false],
  ])('given %s, then %s', (value, ok) => {
    expect(isCanonicalTimestamp(value)).toBe(ok);
  });
});

describe('nowIso', () => {
  it('given epoch milliseconds, when formatted, then it is canonical', () => {
    expect(nowIso(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(nowIso(1705658400123)).toBe('2024-01-19T10:00:00.123Z');
  });

  it('given no argument, when formatted, then it is the current time', () => {
    const before = Date.now();
    const ms = Date.parse(nowIso());
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});
