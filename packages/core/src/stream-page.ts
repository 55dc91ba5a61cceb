/** How the stream readers (`foldStream`, `streamEvents`) page through one stream. Internal. */

import type { ReadAfterParams } from './event-log.js';

/**
 * The read of one page of a stream from sequence number `from` on. Pages go by sequence number,
 * which seeks in the (instance, stream, sequence) index; a position bound cannot.
 */
export function streamPage(instance: string, stream: string, from: number, limit: number): ReadAfterParams {
  return {
    instance,
    stream,
    limit,
    ...(from > 1 ? { where: [{ field: 'sequence_number', operator: 'gte', value: from }] } : {}),
  };
}
