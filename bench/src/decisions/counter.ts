/**
 * The fold `handleCommand` is measured with (the decisions section and the profiles of a command
 * on a long stream): a counter, one `Counted` event per command.
 */

import type { Decider, EventLog } from '@eventlog/core';
import { expectSuccess } from '../side.js';

export interface Counter {
  n: number;
}

export const counter: Decider<Counter, { by: number }> = {
  initialState: () => ({ n: 0 }),
  evolve: (state, event) => ({ n: state.n + ((event.payload as { by: number }).by ?? 0) }),
  decide: (command) => ({ eventType: 'Counted', payload: { by: command.by } }),
};

/** Appends `count` `Counted` events to a stream (a multiple of 1,000: that many per batch). */
export async function appendCounted(
  log: EventLog,
  instanceId: string,
  streamId: string,
  count: number,
): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const events = Array.from({ length: 1000 }, () => ({ eventType: 'Counted', payload: { by: 1 } }));
    expectSuccess(await log.appendEvents({ instanceId, streamId, events }), 'appendEvents');
  }
}
