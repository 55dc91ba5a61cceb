/**
 * A live subscriber from a position: `liveEvents` from `@eventlog/rx` when that package exports it,
 * else the primitives liveEvents is built on (`log.store.watch` wake-ups + `log.store.readAfter`
 * pages), read the same way: on every wake-up, read pages after the last position seen.
 */

import type { Condition, EventLog, EventRecord } from '@eventlog/core';

type LiveEvents = (
  log: EventLog,
  options: { instance: string; after?: number; where?: Condition[] },
) => {
  subscribe(observer: { next(e: EventRecord): void; error(e: unknown): void }): { unsubscribe(): void };
};

/** A subscription: `stop()` releases it. */
export interface Subscription {
  stop(): void;
}

/** How subscribers are made in this run: `liveEvents` or the primitives. */
export interface SubscriberFactory {
  readonly mechanism: string;
  subscribe(
    log: EventLog,
    instanceId: string,
    after: number,
    onEvent: (e: EventRecord) => void,
    onError: (error: unknown) => void,
    where?: Condition[],
  ): Subscription;
}

const PAGE = 500;

/** Subscribes with `watch` + `readAfter`. */
function primitives(
  log: EventLog,
  instanceId: string,
  after: number,
  onEvent: (e: EventRecord) => void,
  onError: (error: unknown) => void,
  where?: Condition[],
): Subscription {
  let position = after;
  let running = false;
  let again = false;
  let stopped = false;
  const pump = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        for (;;) {
          const page = await log.store.readAfter({
            instance: instanceId,
            after: position,
            limit: PAGE,
            ...(where === undefined ? {} : { where }),
          });
          for (const event of page) {
            position = event.global_position;
            if (!stopped) onEvent(event);
          }
          if (page.length < PAGE || stopped) break;
        }
      } while (again && !stopped);
    } catch (error) {
      if (!stopped) onError(error);
    } finally {
      running = false;
    }
  };
  const unwatch = log.store.watch((signal) => {
    if (signal.instanceId === null || signal.instanceId === instanceId) void pump();
  });
  void pump();
  return {
    stop() {
      stopped = true;
      unwatch();
    },
  };
}

/** The subscriber made of the primitives. */
export function primitivesFactory(why: string): SubscriberFactory {
  return {
    mechanism: `log.store.watch wake-ups + log.store.readAfter pages (the primitives liveEvents uses; ${why})`,
    subscribe: primitives,
  };
}

/**
 * `liveEvents` when `@eventlog/rx` exports it, else the primitives. `BENCH_SUBSCRIBER=primitives`
 * forces the primitives.
 */
export async function subscriberFactory(): Promise<SubscriberFactory> {
  if (process.env.BENCH_SUBSCRIBER === 'primitives') return primitivesFactory('BENCH_SUBSCRIBER=primitives');
  let liveEvents: LiveEvents | undefined;
  let why = '';
  try {
    const rx = (await import('@eventlog/rx')) as { liveEvents?: LiveEvents };
    liveEvents = typeof rx.liveEvents === 'function' ? rx.liveEvents : undefined;
    if (liveEvents === undefined) why = '@eventlog/rx does not export liveEvents yet';
  } catch (error) {
    why = `@eventlog/rx did not load: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (liveEvents !== undefined) {
    const live = liveEvents;
    return {
      mechanism: 'liveEvents(log, { instance, after }) from @eventlog/rx',
      subscribe(log, instanceId, after, onEvent, onError, where) {
        const subscription = live(log, {
          instance: instanceId,
          after,
          ...(where === undefined ? {} : { where }),
        }).subscribe({
          next: onEvent,
          error: onError,
        });
        return { stop: () => subscription.unsubscribe() };
      },
    };
  }
  return primitivesFactory(why);
}
