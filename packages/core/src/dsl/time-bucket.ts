/**
 * Time buckets of `groupBy: [{ field: 'timestamp', interval }]`: the UTC start of the minute, hour,
 * day, ISO week (Monday) or month that contains a timestamp.
 *
 * Works on canonical ISO strings with plain integer calendar arithmetic (proleptic Gregorian), so it
 * is exact for years 0001–9999, where `Date.UTC` would map years 0–99 to 1900–1999.
 */

import type { TimeInterval } from '../model.js';

/** The time bucket sizes, smallest first. */
export const TIME_INTERVALS: readonly TimeInterval[] = Object.freeze([
  'minute',
  'hour',
  'day',
  'week',
  'month',
]);

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The UTC start of the bucket of `interval` that contains `iso`, as a canonical ISO string.
 *
 * - `minute`, `hour`, `day`, `month` truncate in UTC (`month` starts on the 1st);
 * - `week` is the ISO week: it starts on Monday 00:00 UTC, possibly in the previous month or year.
 *
 * @param iso a canonical timestamp `YYYY-MM-DDTHH:mm:ss.sssZ` (as stored on every event)
 * @throws TypeError when `iso` is not canonical
 *
 * @example
 * timeBucketStart('2024-01-03T10:20:30.400Z', 'hour'); // '2024-01-03T10:00:00.000Z'
 * timeBucketStart('2021-01-02T10:00:00.000Z', 'week'); // '2020-12-28T00:00:00.000Z' (a Monday)
 */
export function timeBucketStart(iso: string, interval: TimeInterval): string {
  if (!CANONICAL.test(iso)) {
    throw new TypeError(
      `Expected a canonical timestamp YYYY-MM-DDTHH:mm:ss.sssZ, got ${JSON.stringify(iso)}.`,
    );
  }
  switch (interval) {
    case 'minute':
      return `${iso.slice(0, 16)}:00.000Z`;
    case 'hour':
      return `${iso.slice(0, 13)}:00:00.000Z`;
    case 'day':
      return `${iso.slice(0, 10)}T00:00:00.000Z`;
    case 'month':
      return `${iso.slice(0, 7)}-01T00:00:00.000Z`;
    case 'week': {
      const days = daysFromCivil(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), Number(iso.slice(8, 10)));
      // 1970-01-01 was a Thursday: (days + 3) mod 7 is the ISO weekday counted from Monday = 0.
      const monday = days - mod(days + 3, 7);
      return `${formatDate(monday)}T00:00:00.000Z`;
    }
    default:
      throw new TypeError(`Unknown time interval ${JSON.stringify(interval)}.`);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** `YYYY-MM-DD` of a day count since 1970-01-01 (inverse of {@link daysFromCivil}). */
function formatDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
