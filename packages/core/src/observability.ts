/**
 * OpenTelemetry spans and metrics of the store's operations, through `@opentelemetry/api` only:
 * without an SDK installed by the application they cost a no-op span and nothing is recorded.
 * With one (`@opentelemetry/sdk-node`, …), every append and query is a span — `eventlog.appendEvent`,
 * `eventlog.appendEvents`, `eventlog.queryEvents` — as is each batch a projection hands to its
 * handler (`eventlog.projection.handle`), and two instruments are recorded:
 *
 * - `eventlog.operation.duration` (histogram, seconds) by `eventlog.operation` and
 *   `eventlog.outcome` (`ok` or the error code);
 * - `eventlog.events.appended` (counter) by `eventlog.operation`, duplicates not counted.
 */

import {
  type Attributes,
  type Counter,
  type Histogram,
  metrics,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const SCOPE = '@eventlog/core';

/** The operations observed (`projection.handle`: one batch of a projection, see `@eventlog/rx`). */
export type ObservedOperation = 'appendEvent' | 'appendEvents' | 'queryEvents' | 'projection.handle';

interface Instruments {
  provider: unknown;
  duration: Histogram;
  appended: Counter;
}

let instruments: Instruments | undefined;

/**
 * The instruments of the current meter provider. The API has no proxy for meters (unlike
 * tracers), so instruments made before the application installed its SDK would stay no-ops:
 * they are made again when the provider changes.
 */
function meters(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider !== provider) {
    const meter = provider.getMeter(SCOPE);
    instruments = {
      provider,
      duration: meter.createHistogram('eventlog.operation.duration', {
        description: 'Duration of Event Log store operations (validation, adapter and result).',
        unit: 's',
      }),
      appended: meter.createCounter('eventlog.events.appended', {
        description: 'Events appended (duplicates not counted).',
        unit: '{event}',
      }),
    };
  }
  return instruments;
}

/**
 * Runs one operation inside a span, recording its duration and outcome. Exported for the packages
 * built on core (`@eventlog/rx` observes projection batches with it).
 *
 * @param attributes known before it runs (the instance reference, the number of events)
 * @param describe what the result adds (events appended, the query's total)
 */
export async function observe<T>(
  operation: ObservedOperation,
  attributes: Attributes,
  run: () => Promise<T>,
  describe: (result: T) => { attributes?: Attributes; appended?: number },
): Promise<T> {
  const span = trace.getTracer(SCOPE).startSpan(`eventlog.${operation}`, { attributes });
  const started = performance.now();
  let outcome = 'ok';
  try {
    const result = await run();
    const described = describe(result);
    if (described.attributes !== undefined) span.setAttributes(described.attributes);
    if (described.appended !== undefined && described.appended > 0) {
      meters().appended.add(described.appended, { 'eventlog.operation': operation });
    }
    return result;
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    outcome = typeof code === 'string' ? code : 'STORAGE_ERROR';
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
    span.setAttribute('eventlog.error_code', outcome);
    throw error;
  } finally {
    meters().duration.record((performance.now() - started) / 1000, {
      'eventlog.operation': operation,
      'eventlog.outcome': outcome,
    });
    span.end();
  }
}

/** An instance reference for span attributes: the string given, or '' (never the input itself). */
function instanceAttribute(holder: unknown, key: string): string {
  const value =
    typeof holder === 'object' && holder !== null ? (holder as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value.slice(0, 200) : '';
}

/** The store methods observed, as the store implements them. */
interface ObservedMethods {
  appendEvent(params: unknown): Promise<{ duplicate?: boolean }>;
  appendEvents(params: unknown, options?: unknown): Promise<{ count: number; duplicate?: boolean }>;
  queryEvents(query: unknown): Promise<{ total: number; events?: readonly unknown[] }>;
}

/**
 * Wraps a store class's `appendEvent`, `appendEvents` and `queryEvents` in {@link observe}, once,
 * on its prototype (so the methods' own code stays as it is, and nothing is added per call beyond
 * the span and the two instruments).
 */
export function observeStoreOperations(prototype: ObservedMethods): void {
  const { appendEvent, appendEvents, queryEvents } = prototype;
  prototype.appendEvent = function (this: ObservedMethods, params) {
    return observe(
      'appendEvent',
      { 'eventlog.instance': instanceAttribute(params, 'instanceId'), 'eventlog.event_count': 1 },
      () => appendEvent.call(this, params),
      (data) => ({ appended: data.duplicate === true ? 0 : 1 }),
    );
  };
  // Every argument is passed on: appendEvents takes options (kvWrites) besides its params.
  prototype.appendEvents = function (this: ObservedMethods, params, options) {
    const events = (params as { events?: unknown } | null)?.events;
    return observe(
      'appendEvents',
      {
        'eventlog.instance': instanceAttribute(params, 'instanceId'),
        'eventlog.event_count': Array.isArray(events) ? events.length : 0,
      },
      () => appendEvents.call(this, params, options),
      (data) => ({ appended: data.duplicate === true ? 0 : data.count }),
    );
  };
  prototype.queryEvents = function (this: ObservedMethods, query) {
    return observe(
      'queryEvents',
      { 'eventlog.instance': instanceAttribute((query as { from?: unknown } | null)?.from, 'instance') },
      () => queryEvents.call(this, query),
      (result) => ({
        attributes: {
          'eventlog.result.total': result.total,
          'eventlog.result.events': result.events?.length ?? 0,
        },
      }),
    );
  };
}
