/**
 * Test helpers of the core layers: a recording in-memory adapter and a log over it with a frozen
 * clock. (Under src/test/, which the build excludes.)
 */

import type {
  AppendOutcome,
  AppendRequest,
  CommitSignal,
  InstancePatch,
  NewInstance,
  ReadAfterRequest,
  ReadOptions,
  StorageAdapter,
} from '../adapter.js';
import { planAppend } from '../append-plan.js';
import type { QueryNode } from '../dsl/ast.js';
import { evaluateQuery } from '../dsl/evaluate.js';
import { createEventLog } from '../envelope-log.js';
import { EventLogError, instanceNotFound } from '../errors.js';
import type { Limits } from '../limits.js';
import type { EventRecord, Instance, InstanceStats, QueryResult } from '../model.js';

/** The frozen clock's time: 2024-01-19T10:00:00.000Z. */
export const T0 = Date.UTC(2024, 0, 19, 10, 0, 0);
/** A canonical ISO timestamp. */
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Call {
  method: string;
  args: unknown[];
}

/** A small in-memory adapter that records its calls; enough to test the core layers alone. */
export function fakeAdapter() {
  const instances: Instance[] = [];
  const events: EventRecord[] = [];
  const calls: Call[] = [];
  const listeners = new Set<(s: CommitSignal) => void>();
  let position = 0;
  let failWith: unknown;
  const record = (method: string, ...args: unknown[]) => {
    calls.push({ method, args });
    if (failWith !== undefined) throw failWith;
  };
  const byId = (id: string) => {
    const found = instances.find((i) => i.id === id);
    if (found === undefined) throw instanceNotFound(id);
    return found;
  };
  const adapter: StorageAdapter = {
    contract: 1,
    name: 'fake',
    capabilities: {},
    async createInstance(instance: NewInstance) {
      record('createInstance', instance);
      if (
        instances.some((i) => [i.id, i.name].includes(instance.name) || [i.id, i.name].includes(instance.id))
      ) {
        throw new EventLogError('ALREADY_EXISTS', `An instance named "${instance.name}" already exists.`);
      }
      const created: Instance = { ...instance, updatedAt: instance.createdAt };
      instances.push(created);
      return created;
    },
    async resolveInstance(ref: string) {
      record('resolveInstance', ref);
      return instances.find((i) => i.id === ref) ?? instances.find((i) => i.name === ref);
    },
    async listInstances() {
      record('listInstances');
      return [...instances];
    },
    async updateInstance(id: string, patch: InstancePatch) {
      record('updateInstance', id, patch);
      const instance = byId(id);
      if (patch.name !== undefined) instance.name = patch.name;
      if (patch.description === null) delete instance.description;
      else if (patch.description !== undefined) instance.description = patch.description;
      instance.updatedAt = patch.updatedAt;
      return { ...instance };
    },
    async deleteInstance(id: string) {
      record('deleteInstance', id);
      const instance = byId(id);
      instances.splice(instances.indexOf(instance), 1);
      const before = events.length;
      for (let i = events.length - 1; i >= 0; i--) if (events[i]?.instanceId === id) events.splice(i, 1);
      return { instance, deletedEvents: before - events.length };
    },
    async append(request: AppendRequest): Promise<AppendOutcome> {
      record('append', request);
      let instance =
        instances.find((i) => i.id === request.instance) ??
        instances.find((i) => i.name === request.instance);
      if (instance === undefined) {
        if (!request.autoCreate) throw instanceNotFound(request.instance);
        instance = {
          id: request.instance,
          name: request.instance,
          createdAt: request.now,
          updatedAt: request.now,
        };
        instances.push(instance);
      }
      const id = instance.id;
      const existing = new Map(
        events
          .filter((e) => e.instanceId === id && e.eventId !== undefined)
          .map((e) => [e.eventId as string, e]),
      );
      const held = new Map([...existing].filter(([k]) => request.events.some((e) => e.eventId === k)));
      const versions = new Map<string, number>();
      for (const e of events) if (e.instanceId === id) versions.set(e.stream_id, e.sequence_number);
      const plan = planAppend(request, held, versions);
      if (plan.kind === 'duplicate') return { events: plan.events, duplicate: true };
      const stored = plan.rows.map(({ event, sequence }) => {
        const rec: EventRecord = {
          id: event.id,
          instanceId: id,
          stream_id: event.streamId,
          event_type: event.eventType,
          payload: event.payload,
          metadata: event.metadata,
          timestamp: event.timestamp,
          sequence_number: sequence,
          global_position: ++position,
        };
        if (event.eventId !== undefined) rec.eventId = event.eventId;
        return rec;
      });
      events.push(...stored);
      for (const l of listeners) l({ kind: 'append', instanceId: id, position });
      return { events: stored, duplicate: false };
    },
    async query(
      instanceId: string,
      query: QueryNode,
      limits: Limits,
      options?: ReadOptions,
    ): Promise<QueryResult> {
      record('query', instanceId, query, limits, options);
      byId(instanceId); // NOT_FOUND for a missing instance, as every adapter
      // The evaluator the memory adapter runs: filters, order and paging as every adapter.
      return evaluateQuery(
        events.filter((e) => e.instanceId === instanceId),
        query,
        limits,
      );
    },
    async stats(instanceId: string, options?: ReadOptions): Promise<InstanceStats> {
      record('stats', instanceId, options);
      const instance = byId(instanceId);
      return {
        instanceId,
        name: instance.name,
        eventCount: 0,
        streamCount: 0,
        eventTypes: {},
        firstEventAt: null,
        lastEventAt: null,
        createdAt: instance.createdAt,
        updatedAt: instance.updatedAt,
      };
    },
    async readAfter(request: ReadAfterRequest) {
      record('readAfter', request);
      return events
        .filter((e) => e.instanceId === request.instanceId && e.global_position > request.after)
        .slice(0, request.limit);
    },
    async headPosition(instanceId: string) {
      record('headPosition', instanceId);
      return events
        .filter((e) => e.instanceId === instanceId)
        .reduce((m, e) => Math.max(m, e.global_position), 0);
    },
    watch(listener) {
      record('watch');
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    kv: {
      get: async () => undefined,
      put: async (_n, _k, value) => ({ value, version: 1 }),
      delete: async () => false,
      list: async () => [],
    },
    async close() {
      record('close');
    },
  };
  return {
    adapter,
    calls,
    methods: () => calls.map((c) => c.method),
    failNext(error: unknown) {
      failWith = error;
    },
    heal() {
      failWith = undefined;
    },
  };
}

/** A log over a fake adapter with a clock the test moves (`tick`) and request ids `req-1`, `req-2`… */
export function setup(options: { limits?: Partial<Limits> } = {}) {
  const fake = fakeAdapter();
  let clock = T0;
  let ids = 0;
  const log = createEventLog({
    adapter: fake.adapter,
    now: () => clock,
    requestId: () => `req-${++ids}`,
    ...options,
  });
  return { log, fake, tick: (ms: number) => (clock += ms) };
}
