/**
 * Reading an instance's events in position order, page by page (on a local store and through a
 * server alike): each page asks for `global_position > last`. The first page is a `queryEvents`,
 * whose `total` drives the progress line; the pages after it, and the reads of the last events and
 * of the head, are `pageEvents`, which does not count the matches: `queryEvents` counts every
 * match after the page's start for its `total`, which made an export of n events cost
 * n²/pageSize counted rows. A server from before `pageEvents` answers it as an unknown request
 * type; its pages then come from `queryEvents`.
 */

import type { RemoteEventLog } from '@eventlog/client';
import type { Condition, Envelope, EventRecord, Query } from '@eventlog/core';
import { unwrap } from './output.js';

/** What the pages are read from: the log's methods, in this process or through a server. */
export interface EventReader {
  readonly eventLog: RemoteEventLog;
}

/** Logs (servers) that answered `pageEvents` as an unknown request type. */
const withoutPageEvents = new WeakSet<object>();

/**
 * True for the answer of a server that does not serve `pageEvents`: a `VALIDATION_ERROR` about the
 * request's `type` (the client always sends a well-formed one, so only an unknown method is left).
 */
function unknownRequestType(envelope: Envelope<string, unknown>): boolean {
  if (envelope.success || envelope.code !== 'VALIDATION_ERROR') return false;
  const issues = envelope.details?.issues;
  return Array.isArray(issues) && issues.some((issue) => (issue as { path?: unknown }).path === 'type');
}

/** The events of a query's page, without counting its matches where the log can. */
async function readPage(reader: EventReader, query: Query): Promise<EventRecord[]> {
  const log = reader.eventLog;
  if (!withoutPageEvents.has(log)) {
    const envelope = await log.pageEvents(query);
    if (!unknownRequestType(envelope)) return unwrap<{ events: EventRecord[] }>(envelope).events;
    withoutPageEvents.add(log);
  }
  return unwrap<{ result: { events?: EventRecord[] } }>(await log.queryEvents(query)).result.events ?? [];
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
