/**
 * How readers page through one stream: by sequence number, which seeks in the (instance, stream,
 * sequence) index; a position bound cannot. Used by `foldStream`, `streamEvents` and the live
 * stream reader of `@eventlog/rx`.
 */

import type { ReadAfterParams } from './event-log.js';
import type { Condition } from './model.js';

/** The DSL condition `sequence_number <operator> value`. */
export function sequenceCondition(operator: 'gt' | 'gte' | 'lt' | 'lte', value: number): Condition {
  return { field: 'sequence_number', operator, value };
}

/** The read of one page of a stream from sequence number `from` on. Internal. */
export function streamPage(instance: string, stream: string, from: number, limit: number): ReadAfterParams {
  return {
    instance,
    stream,
    limit,
    ...(from > 1 ? { where: [sequenceCondition('gte', from)] } : {}),
  };
}
