/**
 * Reading an instance's events in position order, page by page, through `queryEvents` (so it works
 * on a local store and through a server alike): each page asks for `global_position > last`.
 */

import type { RemoteEventLog } from '@eventlog/client';
import type { Condition, EventRecord, Query } from '@eventlog/core';
import { unwrap } from './output.js';

/** What to read. */
export interface PageParams {
  instance: string;
  stream?: string | undefined;
  where?: Condition[] | undefined;
  /** Events after this position. */
  after: number;
  /** Events per page. Default 1000. */
  pageSize?: number;
}

/** The query for the page after `after`. */
export function pageQuery(params: PageParams, after: number, limit: number): Query {
  return {
    from: { instance: params.instance, ...(params.stream === undefined ? {} : { stream: params.stream }) },
    where: [...(params.where ?? []), { field: 'global_position', operator: 'gt', value: after }],
    orderBy: { field: 'global_position', direction: 'asc' },
    limit,
  };
}

/**
 * Yields pages of matching events in position order until the end of the log; `total` is the
 * number of matching events after `after` when the first page was read.
 */
export async function* eventPages(
  eventLog: RemoteEventLog,
  params: PageParams,
): AsyncGenerator<{ events: EventRecord[]; total: number }> {
  const limit = params.pageSize ?? 1000;
  let after = params.after;
  let total: number | undefined;
  for (;;) {
    const result = unwrap<{ result: { events?: EventRecord[]; total: number } }>(
      await eventLog.queryEvents(pageQuery(params, after, limit)),
    ).result;
    const events = result.events ?? [];
    total ??= result.total;
    if (events.length > 0) {
      yield { events, total };
      after = (events[events.length - 1] as EventRecord).global_position;
    }
    if (events.length < limit) return;
  }
}

/** The last `count` matching events, oldest first. */
export async function lastEvents(
  eventLog: RemoteEventLog,
  params: Omit<PageParams, 'after' | 'pageSize'>,
  count: number,
): Promise<EventRecord[]> {
  if (count === 0) return [];
  const query: Query = {
    from: { instance: params.instance, ...(params.stream === undefined ? {} : { stream: params.stream }) },
    ...(params.where === undefined ? {} : { where: params.where }),
    orderBy: { field: 'global_position', direction: 'desc' },
    limit: count,
  };
  const result = unwrap<{ result: { events?: EventRecord[] } }>(await eventLog.queryEvents(query)).result;
  return (result.events ?? []).reverse();
}

/** The instance's highest global position (0 when empty). */
export async function headPosition(eventLog: RemoteEventLog, instance: string): Promise<number> {
  const result = unwrap<{ result: { events?: EventRecord[] } }>(
    await eventLog.queryEvents({
      from: { instance },
      orderBy: { field: 'global_position', direction: 'desc' },
      select: ['global_position'],
      limit: 1,
    }),
  ).result;
  return result.events?.[0]?.global_position ?? 0;
}
