/**
 * The envelope layer: {@link createEventLog} builds an {@link EventLog}, the nine methods of the API
 * document, each running the matching {@link EventStore} call and wrapping its outcome in an
 * envelope. It never rejects.
 */

import { failureEnvelope, successEnvelope } from './envelope.js';
import type { EventLog, EventLogOptions, EventStore } from './event-log.js';
import { createEventStore } from './event-store.js';
import type {
  AppendEventParams,
  AppendEventsParams,
  DeleteStreamParams,
  Envelope,
  EventMap,
  InstanceUpdate,
  MethodName,
  PruneExpiredParams,
  Query,
  SetRetentionParams,
  TruncateStreamParams,
} from './model.js';
import type { DefineRollupParams, DropRollupParams, ListRollupsParams } from './rollup.js';

const randomId = () => globalThis.crypto.randomUUID();

class EnvelopeLog {
  readonly store: EventStore<EventMap>;
  private readonly makeRequestId: () => string;

  constructor(store: EventStore<EventMap>, makeRequestId: (() => string) | undefined) {
    this.store = store;
    this.makeRequestId = makeRequestId ?? randomId;
  }

  private requestId(): string {
    try {
      const id = this.makeRequestId();
      if (typeof id === 'string') return id;
    } catch {
      // a broken generator must not make the envelope reject
    }
    return randomId();
  }

  /** Runs a store call and wraps the outcome in an envelope; never rejects. */
  private async run<M extends MethodName, D>(method: M, fn: () => Promise<D>): Promise<Envelope<M, D>> {
    const requestId = this.requestId();
    const type = `eventLog.${method}` as const;
    try {
      const data = await fn();
      return successEnvelope(type, data, requestId, this.store.now());
    } catch (thrown) {
      return failureEnvelope(type, thrown, requestId, this.store.now());
    }
  }

  // The params are `unknown`: the store validates every input, whatever a caller's types said.

  createInstance(name: unknown, description?: unknown) {
    return this.run('createInstance', async () => ({
      instance: await this.store.createInstance(name as string, description as string | undefined),
    }));
  }

  getInstance(instanceId: unknown) {
    return this.run('getInstance', async () => ({
      instance: await this.store.getInstance(instanceId as string),
    }));
  }

  listInstances() {
    return this.run('listInstances', async () => ({ instances: await this.store.listInstances() }));
  }

  updateInstance(instanceId: unknown, updates: unknown) {
    return this.run('updateInstance', async () => ({
      instance: await this.store.updateInstance(instanceId as string, updates as InstanceUpdate),
    }));
  }

  deleteInstance(instanceId: unknown) {
    return this.run('deleteInstance', () => this.store.deleteInstance(instanceId as string));
  }

  appendEvent(params: unknown) {
    return this.run('appendEvent', () => this.store.appendEvent(params as AppendEventParams));
  }

  appendEvents(params: unknown) {
    return this.run('appendEvents', () => this.store.appendEvents(params as AppendEventsParams));
  }

  queryEvents<Q extends Query>(query: Q) {
    return this.run('queryEvents', async () => ({ result: await this.store.queryEvents(query) }));
  }

  pageEvents<Q extends Query>(query: Q) {
    return this.run('pageEvents', async () => ({ events: await this.store.pageEvents(query) }));
  }

  getInstanceStats(instanceId: unknown) {
    return this.run('getInstanceStats', () => this.store.getInstanceStats(instanceId as string));
  }

  deleteStream(params: unknown) {
    return this.run('deleteStream', () => this.store.deleteStream(params as DeleteStreamParams));
  }

  truncateStream(params: unknown) {
    return this.run('truncateStream', () => this.store.truncateStream(params as TruncateStreamParams));
  }

  setRetention(params: unknown) {
    return this.run('setRetention', async () => ({
      instance: await this.store.setRetention(params as SetRetentionParams),
    }));
  }

  pruneExpired(params?: unknown) {
    return this.run('pruneExpired', () => this.store.pruneExpired(params as PruneExpiredParams));
  }

  defineRollup(params: unknown) {
    return this.run('defineRollup', async () => ({
      rollup: await this.store.defineRollup(params as DefineRollupParams),
    }));
  }

  listRollups(params: unknown) {
    return this.run('listRollups', async () => ({
      rollups: await this.store.listRollups(params as ListRollupsParams),
    }));
  }

  dropRollup(params: unknown) {
    return this.run('dropRollup', () => this.store.dropRollup(params as DropRollupParams));
  }

  forgetSubject(subject: unknown) {
    return this.run('forgetSubject', () => this.store.forgetSubject(subject as string));
  }

  async close(): Promise<void> {
    try {
      await this.store.close();
    } catch {
      // close() resolves whatever happens; the adapter has released what it could
    }
  }
}

/**
 * Creates an event log over a storage adapter. Every method resolves to an envelope
 * `{ type: 'eventLog.<method>', success, data | error + code (+ details), timestamp, requestId }`
 * and never rejects — not for bad input, a missing instance, a conflict, a failing backend, or a
 * closed log (`STORAGE_ERROR`).
 *
 * Options: `adapter` (required), `limits` (overrides of {@link DEFAULT_LIMITS}), `now` (the clock,
 * default `Date.now`), `requestId` (default random UUIDs). `log.store` is the typed, throwing layer.
 *
 * @throws TypeError when the options are unusable (no adapter, a wrong contract, bad limits)
 * @example
 * const log = createEventLog({ adapter: memoryAdapter() });
 * const created = await log.createInstance('user-activity', 'Logs user actions');
 * if (created.success) {
 *   await log.appendEvent({ instanceId: 'user-activity', streamId: 'user-1', eventType: 'login' });
 * }
 */
export function createEventLog<E extends EventMap = EventMap>(options: EventLogOptions<E>): EventLog<E> {
  const log: EventLog<EventMap> = new EnvelopeLog(
    createEventStore(options as EventLogOptions),
    options.requestId,
  );
  // The same object serves any event map: E only narrows the types callers see.
  return log as unknown as EventLog<E>;
}
