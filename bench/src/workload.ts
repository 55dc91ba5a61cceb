/**
 * The data every side writes and reads: deterministic events, the streams they go to, and the
 * queries run over them. Every side gets exactly the same events.
 */

/** One event as the benchmark holds it; Emmett's `{ type, data }` shape. */
export interface BenchEvent {
  type: string;
  data: {
    orderId: string;
    customerId: string;
    amount: number;
    sku: string;
    note: string;
  };
}

/** Five event types, each 1/5 of the events. */
export const EVENT_TYPES = ['OrderPlaced', 'ItemAdded', 'ItemRemoved', 'OrderPaid', 'OrderShipped'] as const;

/** Distinct `payload.customerId` values: each matches `events / CUSTOMERS` events. */
export const CUSTOMERS = 1000;

/** The instance every side writes to (an instance in our model, a stream prefix elsewhere). */
export const INSTANCE_NAME = 'bench';

/**
 * The stream of the k-th batch (`order-<k>`): every batch of the batch case goes to its own new
 * stream, so a stream holds `batchSize` events. Emmett derives its stream type from the prefix.
 */
export const batchStream = (k: number): string => `order-${k}`;

/** Streams used by single appends, round robin (`cart-<k>`). */
export const SINGLE_STREAMS = 100;
export const singleStream = (i: number): string => `cart-${i % SINGLE_STREAMS}`;

/** The i-th event (i from 0). About 150 bytes of JSON payload. */
export function makeEvent(i: number): BenchEvent {
  return {
    type: EVENT_TYPES[i % EVENT_TYPES.length] as string,
    data: {
      orderId: `o-${Math.floor(i / 10)}`,
      customerId: `c${i % CUSTOMERS}`,
      amount: (i * 37) % 500,
      sku: `sku-${(i * 7919) % 10_000}`,
      note: 'gift wrap, leave at the front door',
    },
  };
}

/** Events `[from, from + count)`. */
export function makeEvents(from: number, count: number): BenchEvent[] {
  const out: BenchEvent[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = makeEvent(from + i);
  return out;
}

/** The queries of the query cases, with the arguments every side uses. */
export const QUERY_ARGS = {
  /** `payload.customerId eq 'c42'`: no index, a scan of the instance's events (≈ events/1000 match). */
  customerId: 'c42',
  /** `event_type eq 'OrderShipped'`: indexed; 1/5 of the events match; a page of 100 plus the total. */
  eventType: 'OrderShipped',
  /** One stream of the batch case (`batchSize` events). */
  stream: batchStream(7),
} as const;

/** Page size of the indexed-filter query. */
export const TYPE_PAGE = 100;
/** Limit of the payload filter and the stream read: larger than their result, so no count runs. */
export const WIDE_LIMIT = 10_000;

/** The query cases, in table order. */
export type QueryName = 'payloadFilter' | 'typeFilter' | 'readStream' | 'countByType';

export const QUERY_LABELS: Record<QueryName, string> = {
  payloadFilter: "filter on a payload field (payload.customerId = 'c42', no index)",
  typeFilter: "indexed filter (event_type = 'OrderShipped'): page of 100 + total",
  readStream: 'read one stream (1000 events)',
  countByType: 'count grouped by event_type',
};

/** What a query returned, compared across sides to check they did the same work. */
export interface QueryOutcome {
  /** Events (or groups) returned. */
  returned: number;
  /** Matching events in all. */
  total: number;
}
