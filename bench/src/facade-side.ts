/**
 * Ours, on any adapter: the public facade (`createEventLog`) — validation, instance resolution,
 * the adapter, envelopes — exactly what users call.
 */

import type { EventLog } from '@eventlog/core';
import { type BenchSide, expectSuccess } from './side.js';
import { type BenchEvent, INSTANCE_NAME, QUERY_ARGS, TYPE_PAGE, WIDE_LIMIT } from './workload.js';

/** Creates the bench instance and returns the side; `settings` describes the adapter's set-up. */
export async function facadeSide(log: EventLog, settings: string): Promise<BenchSide> {
  const created = expectSuccess(await log.createInstance(INSTANCE_NAME), 'createInstance');
  const instanceId = created.data.instance.id;
  const from = { instance: instanceId };

  const query = async (q: Parameters<EventLog['queryEvents']>[0]) => {
    const result = expectSuccess(await log.queryEvents(q), 'queryEvents').data.result;
    const groups = (result.aggregation as { groups?: unknown[] } | undefined)?.groups;
    return { returned: groups?.length ?? result.events?.length ?? 0, total: result.total };
  };

  return {
    name: 'ours',
    settings,
    async appendBatch(stream, events) {
      expectSuccess(
        await log.appendEvents({
          instanceId,
          streamId: stream,
          events: events.map((e: BenchEvent) => ({ eventType: e.type, payload: e.data })),
        }),
        'appendEvents',
      );
    },
    async appendOne(stream, event) {
      expectSuccess(
        await log.appendEvent({ instanceId, streamId: stream, eventType: event.type, payload: event.data }),
        'appendEvent',
      );
    },
    queries: {
      payloadFilter: () =>
        query({
          from,
          where: [{ field: 'payload.customerId', operator: 'eq', value: QUERY_ARGS.customerId }],
          limit: WIDE_LIMIT,
        }),
      typeFilter: () =>
        query({
          from,
          where: [{ field: 'event_type', operator: 'eq', value: QUERY_ARGS.eventType }],
          limit: TYPE_PAGE,
        }),
      readStream: () => query({ from: { ...from, stream: QUERY_ARGS.stream }, limit: WIDE_LIMIT }),
      countByType: () => query({ from, reduce: { type: 'count', groupBy: ['event_type'] } }),
    },
    close: () => log.close(),
  };
}
