/**
 * Timestamps: parsing the accepted input forms strictly and normalizing them to the one canonical
 * form `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, milliseconds), for years 0001–9999.
 */

import { describeValue, invalid } from './validation/issues.js';

/** Epoch milliseconds of 0001-01-01T00:00:00.000Z, the earliest accepted instant. */
export const MIN_TIMESTAMP_MS = -62_135_596_800_000;

/** Epoch milliseconds of 9999-12-31T23:59:59.999Z, the latest accepted instant. */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

const MS_PER_DAY = 86_400_000;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const ALLOWED =
  'Use an ISO 8601 string YYYY-MM-DDTHH:mm[:ss[.sss]] ending in Z or an offset like +02:00 (e.g. "2024-01-19T10:00:00Z"), or integer epoch milliseconds, for years 0001–9999';

/** True for leap years of the proleptic Gregorian calendar. */
function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (1–12) of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, by arithmetic (H. Hinnant's
 * days_from_civil), because `Date.UTC` maps years 0–99 to 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Formats epoch milliseconds (within years 0001–9999) as `YYYY-MM-DDTHH:mm:ss.sssZ`.
 *
 * @example nowIso(0) // '1970-01-01T00:00:00.000Z'
 * @example nowIso() // the current time
 */
export function nowIso(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}

/** The digits at `value[start..start+count)` as a number, or -1 when one is not a digit. */
function digitsAt(value: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * True when `value` is already a canonical timestamp string (`YYYY-MM-DDTHH:mm:ss.sssZ`, a valid
 * date, year ≥ 1). Checked by character codes, without allocating: it runs for every appended and
 * queried timestamp.
 */
export function isCanonicalTimestamp(value: string): boolean {
  if (
    value.length !== 24 ||
    value.charCodeAt(4) !== 45 || // -
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 || // T
    value.charCodeAt(13) !== 58 || // :
    value.charCodeAt(16) !== 58 ||
    value.charCodeAt(19) !== 46 || // .
    value.charCodeAt(23) !== 90 // Z
  ) {
    return false;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    digitsAt(value, 20, 3) >= 0
  );
}

/**
 * Epoch milliseconds of a timestamp input (see {@link normalizeTimestamp}), validated strictly.
 *
 * @throws EventLogError `VALIDATION_ERROR` naming `where` when the input is not a valid timestamp
 */
export function timestampToMs(input: unknown, where: string): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) {
      throw invalid(where, `epoch milliseconds must be an integer, got ${describeValue(input)}. ${ALLOWED}`);
    }
    if (input < MIN_TIMESTAMP_MS || input > MAX_TIMESTAMP_MS) {
      throw invalid(
        where,
        `epoch milliseconds ${input} is outside years 0001–9999 (${MIN_TIMESTAMP_MS} to ${MAX_TIMESTAMP_MS})`,
      );
    }
    return input === 0 ? 0 : input;
  }
  if (typeof input !== 'string') {
    const hint = input instanceof Date ? ' Pass date.toISOString() or date.getTime() instead of a Date.' : '';
    throw invalid(where, `expected a timestamp, got ${describeValue(input)}.${hint} ${ALLOWED}`);
  }
  const m = ISO.exec(input);
  if (m === null) {
    throw invalid(where, `${describeValue(input)} is not an ISO 8601 timestamp with a time zone. ${ALLOWED}`);
  }
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  // Sub-millisecond digits are truncated, never rounded (rounding could move to the next second).
  const fraction = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const shown = JSON.stringify(input);
  if (month < 1 || month > 12) throw invalid(where, `${shown} has month ${m[2]}; months are 01–12`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    throw invalid(where, `${shown} has day ${m[3]}, but ${MONTHS[month - 1]} ${m[1]} has ${days} days`);
  }
  if (hour > 23) throw invalid(where, `${shown} has hour ${m[4]}; hours are 00–23`);
  if (minute > 59) throw invalid(where, `${shown} has minute ${m[5]}; minutes are 00–59`);
  if (second > 59) throw invalid(where, `${shown} has second ${m[6]}; seconds are 00–59 (no leap seconds)`);
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) {
      throw invalid(where, `${shown} has the offset ${m[9]}${m[10]}:${m[11]}; offsets are -23:59 to +23:59`);
    }
    offsetMinutes = (offsetHours * 60 + offsetMins) * (m[9] === '-' ? -1 : 1);
  }
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    fraction;
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) {
    throw invalid(where, `${shown} is, in UTC, outside years 0001–9999`);
  }
  return ms;
}

/**
 * Normalizes a timestamp input to the canonical `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, milliseconds).
 *
 * Accepted: ISO 8601 `YYYY-MM-DDTHH:mm[:ss[.fraction]]` followed by `Z`, `±HH:MM` or `±HHMM`
 * (months, days, leap years, hours, minutes and seconds checked strictly; digits below a
 * millisecond truncated), or integer epoch milliseconds. The instant must be within years
 * 0001–9999 in UTC. `Date` objects are rejected: pass `date.toISOString()`.
 *
 * @param where the location of the input, used in messages (`events[3].timestamp`)
 * @throws EventLogError `VALIDATION_ERROR`
 * @example
 * normalizeTimestamp('2024-01-19T12:00:00+02:00', 'timestamp') // '2024-01-19T10:00:00.000Z'
 * normalizeTimestamp(0, 'timestamp') // '1970-01-01T00:00:00.000Z'
 */
export function normalizeTimestamp(input: unknown, where: string): string {
  // Fast path: most stored and queried timestamps are already canonical.
  if (typeof input === 'string' && isCanonicalTimestamp(input)) return input;
  return new Date(timestampToMs(input, where)).toISOString();
}
