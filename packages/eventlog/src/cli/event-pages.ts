/**
 * Reading an instance's events in position order, page by page, through `queryEvents` (so it works
 * on a local store and through a server alike): each page asks for `global_position > last`. On a
 * store opened in this process the pages after the first come from `store.pageEvents`, which does
 * not count the matches: `queryEvents` counts every match after the page's start for its `total`,
 * which made an export of n events cost n²/pageSize counted rows.
 */

import type { RemoteEventLog } from '@eventlog/client';
import type { Condition, EventRecord, Query } from '@eventlog/core';
import { unwrap } from './output.js';

/** What the pages are read from: the nine methods, and pages without totals when local. */
export interface EventReader {
  /** The nine methods. */
  readonly eventLog: RemoteEventLog;
  /**
   * A query's page of events without its total (`store.pageEvents`): on a store opened in this
   * process; undefined for a server, whose `queryEvents` is all there is.
   */
  readonly pageEvents?: ((query: Query) => Promise<EventRecord[]>) | undefined;
}

/** The events of a query's page, without counting its matches when the reader can. */
function readPage(reader: EventReader, query: Query): Promise<EventRecord[]> {
  if (reader.pageEvents !== undefined) return reader.pageEvents(query);
  return reader.eventLog
    .queryEvents(query)
    .then((envelope) => unwrap<{ result: { events?: EventRecord[] } }>(envelope).result.events ?? []);
}

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
  reader: EventReader,
  params: PageParams,
): AsyncGenerator<{ events: EventRecord[]; total: number }> {
  const limit = params.pageSize ?? 1000;
  let after = params.after;
  let total: number | undefined;
  for (;;) {
    let events: EventRecord[];
    if (total === undefined) {
      const result = unwrap<{ result: { events?: EventRecord[]; total: number } }>(
        await reader.eventLog.queryEvents(pageQuery(params, after, limit)),
      ).result;
      events = result.events ?? [];
      total = result.total;
    } else {
      events = await readPage(reader, pageQuery(params, after, limit));
    }
    if (events.length > 0) {
      yield { events, total };
      after = (events[events.length - 1] as EventRecord).global_position;
    }
    if (events.length < limit) return;
  }
}

/** The last `count` matching events, oldest first. */
export async function lastEvents(
  reader: EventReader,
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
  return (await readPage(reader, query)).reverse();
}

/** The instance's highest global position (0 when empty). */
export async function headPosition(reader: EventReader, instance: string): Promise<number> {
  const events = await readPage(reader, {
    from: { instance },
    orderBy: { field: 'global_position', direction: 'desc' },
    select: ['global_position'],
    limit: 1,
  });
  return events[0]?.global_position ?? 0;
}
