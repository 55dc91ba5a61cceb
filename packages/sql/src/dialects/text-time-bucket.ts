/**
 * Time buckets over canonical timestamp text (`YYYY-MM-DDTHH:mm:ss.sssZ`): minutes, hours, days and
 * months are prefixes of the text, the same SQL on every dialect; only the ISO week (Monday) needs
 * the database's date functions.
 */

import type { TimeInterval } from '@eventlog/core';

/**
 * The SQL of a bucket's canonical ISO start.
 *
 * @param timestamp the SQL expression of the timestamp text
 * @param week the dialect's expression of the Monday on or before the day, as `YYYY-MM-DD`
 */
export function textTimeBucket(
  timestamp: string,
  interval: TimeInterval,
  week: (timestamp: string) => string,
): string {
  switch (interval) {
    case 'minute':
      return `substr(${timestamp}, 1, 16) || ':00.000Z'`;
    case 'hour':
      return `substr(${timestamp}, 1, 13) || ':00:00.000Z'`;
    case 'day':
      return `substr(${timestamp}, 1, 10) || 'T00:00:00.000Z'`;
    case 'month':
      return `substr(${timestamp}, 1, 7) || '-01T00:00:00.000Z'`;
    case 'week':
      return `${week(timestamp)} || 'T00:00:00.000Z'`;
    default:
      throw new TypeError(`Unknown time interval ${JSON.stringify(interval)}.`);
  }
}
