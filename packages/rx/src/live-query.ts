/**
 * `liveQuery`: a query's result now, and again after each commit that changes what it matches.
 */

import type { EventMap, EventStore, Query, QueryNode, QueryResult } from '@eventlog/core';
import { Observable } from 'rxjs';
import { isIncremental, mergeNewEvents } from './incremental-aggregation.js';
import { isNotFound } from './live-reader.js';
import { type LogSource, toEventStore } from './log-source.js';
import { pageSizeOf } from './page-size.js';

/** Options of {@link liveQuery}. */
export interface LiveQueryOptions {
  /**
   * Keep `count`, `sum` (of integers), `min`, `max` and their `groupBy` up to date by folding the
   * new matching events into the last result instead of running the query again (see
   * `mergeNewEvents`). Default true. Bursts of more than `pageSize` new events always re-run the
   * query.
   */
  incremental?: boolean;
  /** New events read per refresh before a full query is preferred. Default 500. */
  pageSize?: number;
}

/** The query restricted to events at or below `head`, on the instance's id. */
function queryAt(query: Query, instanceId: string, head: number): Query {
  return {
    ...query,
    from: { ...query.from, instance: instanceId },
    where: [...(query.where ?? []), { field: 'global_position', operator: 'lte', value: head }],
  };
}

/**
 * The result of `query` (the DSL of `queryEvents`) now, then again each time events that match
 * its instance, stream and `where` commit — in this process or another one on the same database.
 * Use it for live counts, sums and group-bys on dashboards.
 *
 * - **Consistent snapshots**: every result covers exactly the events up to a head position (the
 *   query runs with `global_position ≤ head`), so results never go backwards or double count.
 * - **Coalesced**: at most one refresh runs at a time and at most one more is pending, so a burst
 *   of 10,000 appends costs a handful of queries, not 10,000. A refresh first reads the new
 *   matching events: when there are none (a commit elsewhere in the instance), nothing is emitted.
 * - **Incremental** (default): `count`, integer `sum`, `min`, `max` and their groupBy fold the new
 *   events into the last result; everything else (event lists, `avg`, `collect`, large bursts)
 *   runs the query again.
 * - **Completes** when the instance is deleted; **errors** with the query's `VALIDATION_ERROR`,
 *   `LIMIT_EXCEEDED` or `NOT_FOUND`, or a `STORAGE_ERROR`.
 *
 * @param log an EventLog or its `store`
 * @example
 * import { liveQuery } from '@eventlog/rx';
 *
 * liveQuery(log, {
 *   from: { instance: 'user-activity' },
 *   reduce: { type: 'count', groupBy: ['event_type'] },
 * }).subscribe((result) => render(result.aggregation?.groups));
 */
export function liveQuery<E extends EventMap = EventMap>(
  log: LogSource<E>,
  query: Query,
  options: LiveQueryOptions = {},
): Observable<QueryResult> {
  return new Observable<QueryResult>((subscriber) => {
    let store: EventStore<E>;
    let ast: QueryNode;
    let pageSize: number;
    try {
      store = toEventStore(log);
      ast = store.parseQuery(query);
      pageSize = pageSizeOf(options.pageSize, store.limits.maxQueryLimit);
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    const incremental = options.incremental !== false && isIncremental(ast.reduce);
    let instanceId: string | undefined;
    /** The head position the last emitted result covers. */
    let head = 0;
    let result: QueryResult | undefined;
    let running = false;
    let pending = false;
    let stopped = false;
    let unwatch: (() => void) | undefined;

    const finish = (error?: unknown) => {
      if (stopped) return;
      stopped = true;
      unwatch?.();
      if (error === undefined) subscriber.complete();
      else subscriber.error(error);
    };

    const fullQuery = async (id: string): Promise<void> => {
      const next = await store.headPosition(id);
      const answer = await store.queryEvents(queryAt(query, id, next));
      if (stopped) return;
      head = next;
      result = answer;
      subscriber.next(answer);
    };

    const refresh = async (): Promise<void> => {
      if (instanceId === undefined || result === undefined) {
        const instance = await store.getInstance(ast.instance);
        if (stopped) return;
        instanceId = instance.id;
        await fullQuery(instance.id);
        return;
      }
      const id = instanceId;
      const fresh = await store.readAfter({
        instance: id,
        after: head,
        limit: incremental ? pageSize : 1,
        ...(ast.stream === undefined ? {} : { stream: ast.stream }),
        ...(query.where === undefined ? {} : { where: query.where }),
      });
      if (stopped || fresh.length === 0) return;
      if (incremental && fresh.length < pageSize && ast.reduce !== undefined) {
        const merged = mergeNewEvents(result, ast.reduce, fresh, store.limits);
        if (merged !== undefined) {
          head = (fresh[fresh.length - 1] as { global_position: number }).global_position;
          result = merged;
          subscriber.next(merged);
          return;
        }
      }
      await fullQuery(id);
    };

    const run = async (): Promise<void> => {
      running = true;
      try {
        do {
          pending = false;
          await refresh();
        } while (pending && !stopped);
      } catch (error) {
        // Found once and gone now: deleted, which completes the query.
        finish(isNotFound(error) && instanceId !== undefined ? undefined : error);
      } finally {
        running = false;
      }
    };

    try {
      unwatch = store.watch((signal) => {
        if (stopped) return;
        if (instanceId !== undefined && signal.instanceId !== null && signal.instanceId !== instanceId)
          return;
        if (instanceId !== undefined && signal.kind === 'delete' && signal.instanceId === instanceId) {
          finish();
          return;
        }
        // Already covered: the last result's head includes this commit.
        if (signal.instanceId === instanceId && signal.position !== undefined && signal.position <= head)
          return;
        if (running) pending = true;
        else void run();
      });
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    void run();
    return () => {
      stopped = true;
      unwatch?.();
    };
  });
}
