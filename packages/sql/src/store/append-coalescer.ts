/**
 * Group commit for appends. Calls that arrive while a transaction for the same lane (instance
 * reference) is running wait and then go together in the next one, so N concurrent callers cost
 * about two commits instead of N. A lone call goes immediately: sequential appends pay no delay.
 *
 * The coalescer only queues and groups; the runner does the transaction and settles each call
 * with its own result or error. The runner may hand calls back ("deferred") when they cannot share
 * this transaction (an eventId already claimed by an earlier call of the group); they go first in
 * the next one.
 */

import { EventLogError } from '@eventlog/core';

/** One queued call. The runner settles it (exactly once; later settlements are ignored). */
export interface Pending<TRequest, TResult> {
  readonly request: TRequest;
  resolve(result: TResult): void;
  reject(error: unknown): void;
}

/**
 * Runs one group in one transaction: settles every call it does not return. Returns the deferred
 * calls. If it throws, every call of the group not yet settled is rejected with the error.
 */
export type GroupRunner<TRequest, TResult> = (
  lane: string,
  group: Array<Pending<TRequest, TResult>>,
) => Promise<Array<Pending<TRequest, TResult>>>;

/** Options of {@link AppendCoalescer}. */
export interface CoalescerOptions<TRequest> {
  /** When false, every call runs alone and at once (no lanes, no grouping). */
  enabled: boolean;
  /** The most weight (events) of a group; a single heavier call still runs, alone. */
  maxWeight: number;
  /** The weight of a call (its number of events). */
  weight(request: TRequest): number;
}

interface Lane<TRequest, TResult> {
  queue: Array<Pending<TRequest, TResult>>;
  running: boolean;
}

/** Queues calls per lane and runs them in groups. See the module comment. */
export class AppendCoalescer<TRequest, TResult> {
  readonly #run: GroupRunner<TRequest, TResult>;
  readonly #options: CoalescerOptions<TRequest>;
  readonly #lanes = new Map<string, Lane<TRequest, TResult>>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(run: GroupRunner<TRequest, TResult>, options: CoalescerOptions<TRequest>) {
    this.#run = run;
    this.#options = options;
  }

  /** Queues a call on `lane`; resolves or rejects with that call's own outcome. */
  submit(lane: string, request: TRequest): Promise<TResult> {
    if (this.#closed) {
      return Promise.reject(
        new EventLogError('STORAGE_ERROR', 'The adapter is closed; open a new one to append.'),
      );
    }
    return new Promise<TResult>((resolve, reject) => {
      const pending = settleOnce({ request, resolve, reject });
      if (!this.#options.enabled) {
        this.#track(this.#runGroup(lane, [pending]).then(() => undefined));
        return;
      }
      let state = this.#lanes.get(lane);
      if (state === undefined) {
        state = { queue: [], running: false };
        this.#lanes.set(lane, state);
      }
      state.queue.push(pending);
      if (!state.running) {
        state.running = true;
        this.#track(this.#drain(lane, state));
      }
    });
  }

  /** Refuses new calls and resolves when every queued call is settled. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #drain(lane: string, state: Lane<TRequest, TResult>): Promise<void> {
    // Let calls made in the same tick as the first one join its group.
    await Promise.resolve();
    try {
      while (state.queue.length > 0) {
        const group = this.#takeGroup(state.queue);
        const deferred = await this.#runGroup(lane, group);
        if (deferred.length > 0) state.queue.unshift(...deferred);
      }
    } finally {
      state.running = false;
      if (state.queue.length === 0) this.#lanes.delete(lane);
      // A call may have been queued after the loop ended and before `running` was reset.
      else {
        state.running = true;
        this.#track(this.#drain(lane, state));
      }
    }
  }

  #takeGroup(queue: Array<Pending<TRequest, TResult>>): Array<Pending<TRequest, TResult>> {
    let weight = 0;
    let count = 0;
    for (const pending of queue) {
      const w = this.#options.weight(pending.request);
      if (count > 0 && weight + w > this.#options.maxWeight) break;
      weight += w;
      count++;
    }
    return queue.splice(0, count);
  }

  async #runGroup(
    lane: string,
    group: Array<Pending<TRequest, TResult>>,
  ): Promise<Array<Pending<TRequest, TResult>>> {
    try {
      return await this.#run(lane, group);
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return [];
    }
  }
}

function settleOnce<TRequest, TResult>(pending: Pending<TRequest, TResult>): Pending<TRequest, TResult> {
  let settled = false;
  return {
    request: pending.request,
    resolve(result) {
      if (settled) return;
      settled = true;
      pending.resolve(result);
    },
    reject(error) {
      if (settled) return;
      settled = true;
      pending.reject(error);
    },
  };
}
