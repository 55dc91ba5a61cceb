/**
 * Partitioned projections (SPEC §12): `projection({ …, partitions: N })` splits a projection into N
 * partitions by a hash of `stream_id`, and any number of processes running it share them.
 *
 * - **Partitions**: partition k is an ordinary projection named `<name>#k/N` (its own checkpoint and
 *   lease) whose handler sees only the events of the streams that hash to k. Every event of a
 *   stream is in one partition, handled in order, by one process at a time (the partition's lease),
 *   exactly once with the transactional handler (the checkpoint commits with the handler's writes).
 * - **Members**: each process running the projection keeps a member record at key
 *   `<name>/<owner>` of namespace `eventlog.projection-members`, renewed like a lease (its version
 *   bumps). A member whose record's version has not changed for the lease's `ttlMs`, by the
 *   observer's own clock, is gone.
 * - **Assignment**: the live members, sorted, take the partitions in turn (partition k → member
 *   k mod M). Each process starts the partitions assigned to it and stops the others, releasing
 *   their leases, so a process that joins gets its share and one that dies loses its partitions to
 *   the others once its lease expires. A partition's lease still decides who runs it: during a
 *   rebalance, the new holder waits until the old one released it.
 */

import {
  EventLogError,
  type EventMap,
  type EventRecord,
  type EventStore,
  type KeyValueStore,
} from '@eventlog/core';
import { BehaviorSubject, merge, type Observable } from 'rxjs';
import { toEventStore } from './log-source.js';
import {
  CHECKPOINT_NAMESPACE,
  DefaultProjection,
  type Projection,
  type ProjectionError,
  type ProjectionOptions,
  type ProjectionState,
  type ProjectionStatus,
} from './projection.js';

/** The key-value namespace of the members of partitioned projections. */
export const MEMBER_NAMESPACE = 'eventlog.projection-members';

/**
 * The partition of a stream: a 32-bit FNV-1a hash of its id's UTF-16 code units, modulo the
 * number of partitions. Stable across processes, versions and platforms.
 *
 * @example partitionOf('order-42', 4) // a number in 0..3, the same everywhere
 */
export function partitionOf(streamId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The name of partition `k` of `partitions` of projection `name`. */
export function partitionName(name: string, k: number, partitions: number): string {
  return `${name}#${k}/${partitions}`;
}

interface Member {
  version: number;
  /** When its version last changed, by our clock. */
  changedAt: number;
}

/** A projection shared by processes through its partitions; see the module comment. */
export class PartitionedProjection<E extends EventMap, TDriver> implements Projection {
  readonly name: string;
  readonly status$: Observable<ProjectionStatus>;
  readonly errors$: Observable<ProjectionError>;
  private readonly partitions: Array<DefaultProjection<E, TDriver>>;
  private readonly store: EventStore<E>;
  private readonly instance: string;
  private readonly kv: KeyValueStore;
  private readonly owner: string;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly statusSubject: BehaviorSubject<ProjectionStatus>;
  private readonly members = new Map<string, Member>();
  private memberVersion: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private ticking: Promise<void> = Promise.resolve();
  /** The partitions this process should run, as of the last assignment. */
  private assigned = new Set<number>();

  constructor(options: ProjectionOptions<E, TDriver>, count: number) {
    if (!Number.isSafeInteger(count) || count < 1 || count > 1024) {
      throw new TypeError(`projection: partitions must be an integer from 1 to 1024, got ${String(count)}.`);
    }
    this.name = options.name;
    this.store = toEventStore(options.log);
    this.instance = options.instance;
    this.kv = this.store.adapter.kv;
    this.owner = options.lease?.owner ?? `projection-${globalThis.crypto.randomUUID()}`;
    this.ttlMs = options.lease?.ttlMs ?? 10_000;
    this.intervalMs = options.lease?.retryIntervalMs ?? Math.min(1000, this.ttlMs / 3);
    const handler = options.handler;
    this.partitions = Array.from({ length: count }, (_, k) => {
      return new DefaultProjection<E, TDriver>({
        ...options,
        name: partitionName(options.name, k, count),
        lease: { ...options.lease, owner: this.owner },
        // Events of other partitions are passed over; the checkpoint still moves past them.
        handler: (event, context) =>
          partitionOf(event.stream_id, count) === k ? handler(event, context) : undefined,
        // The read model is cleared once, by partition 0's reset.
        ...(options.onReset === undefined || k === 0 ? {} : { onReset: undefined }),
      });
    });
    this.statusSubject = new BehaviorSubject<ProjectionStatus>(this.aggregate());
    this.status$ = this.statusSubject.asObservable();
    this.errors$ = merge(...this.partitions.map((p) => p.errors$));
    for (const partition of this.partitions) {
      partition.status$.subscribe(() => this.statusSubject.next(this.aggregate()));
    }
  }

  get status(): ProjectionStatus {
    return this.statusSubject.getValue();
  }

  /** Running when any partition of this process runs; the lowest checkpoint of those it runs. */
  private aggregate(): ProjectionStatus {
    const statuses = this.partitions?.map((p) => p.status) ?? [];
    const failed = statuses.find((s) => s.state === 'failed');
    if (failed !== undefined)
      return {
        name: this.name,
        state: 'failed',
        position: failed.position,
        ...(failed.error === undefined ? {} : { error: failed.error }),
      };
    const order: ProjectionState[] = ['running', 'starting', 'standby', 'completed', 'stopped'];
    const state = order.find((s) => statuses.some((st) => st.state === s)) ?? 'stopped';
    const mine = statuses.filter((s) => s.state === 'running');
    const position = mine.length === 0 ? 0 : Math.min(...mine.map((s) => s.position));
    return { name: this.name, state: this.started && state === 'stopped' ? 'standby' : state, position };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.statusSubject.next(this.aggregate());
    this.ticking = this.tick();
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.all(this.partitions.map((p) => p.stop()));
    this.assigned.clear();
    // Leave: the others take our partitions at once instead of after our record expires.
    try {
      const key = this.memberKey();
      const current = await this.kv.get(MEMBER_NAMESPACE, key);
      if (current !== undefined)
        await this.kv.delete(MEMBER_NAMESPACE, key, { expectedVersion: current.version });
    } catch {
      // Our record then expires on its own.
    }
    this.memberVersion = null;
    this.statusSubject.next(this.aggregate());
  }

  /**
   * Resolves once every partition — whichever process runs it — has processed everything
   * committed when it was called (its checkpoint reached the instance's head then).
   */
  async caughtUp(): Promise<number> {
    const head = await this.store.headPosition(this.instance);
    for (;;) {
      if (this.status.state === 'failed') throw this.status.error;
      if (!this.started)
        throw new Error(
          `Projection "${this.name}" is stopped; call start() before waiting for it to catch up.`,
        );
      const positions = await Promise.all(
        this.partitions.map(async (p) => {
          const stored = await this.kv.get(CHECKPOINT_NAMESPACE, p.name);
          const value = stored?.value as { position?: unknown } | undefined;
          return typeof value?.position === 'number' ? value.position : 0;
        }),
      );
      if (positions.every((position) => position >= head)) return head;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async reset(): Promise<void> {
    const wasStarted = this.started;
    await this.stop();
    for (const partition of this.partitions) await partition.reset();
    if (wasStarted) this.start();
  }

  private memberKey(): string {
    return `${this.name}/${this.owner}`;
  }

  /** Renews our member record, reads the others', and starts or stops partitions to match. */
  private async tick(): Promise<void> {
    if (!this.started) return;
    try {
      const written = await this.kv.put(
        MEMBER_NAMESPACE,
        this.memberKey(),
        { owner: this.owner, ttlMs: this.ttlMs, renewedAt: new Date().toISOString() },
        this.memberVersion === null ? {} : { expectedVersion: this.memberVersion },
      );
      this.memberVersion = written.version;
    } catch (error) {
      // Our record was removed (we were taken for dead): write it again next time.
      if (EventLogError.isInstance(error) && error.code === 'CONFLICT') this.memberVersion = null;
      return;
    }
    let records: Array<{ key: string; version: number }>;
    try {
      records = await this.kv.list(MEMBER_NAMESPACE);
    } catch {
      return;
    }
    const now = performance.now();
    const prefix = `${this.name}/`;
    const alive: string[] = [];
    const seen = new Set<string>();
    for (const record of records) {
      if (!record.key.startsWith(prefix)) continue;
      const owner = record.key.slice(prefix.length);
      seen.add(owner);
      const known = this.members.get(owner);
      if (known === undefined || known.version !== record.version) {
        this.members.set(owner, { version: record.version, changedAt: now });
      }
      const member = this.members.get(owner) as Member;
      if (owner === this.owner || now - member.changedAt < this.ttlMs) alive.push(owner);
    }
    for (const owner of this.members.keys()) if (!seen.has(owner)) this.members.delete(owner);
    if (!alive.includes(this.owner)) alive.push(this.owner);
    alive.sort();
    const me = alive.indexOf(this.owner);
    const next = new Set<number>();
    for (let k = 0; k < this.partitions.length; k++) if (k % alive.length === me) next.add(k);
    if (!this.started) return;
    for (let k = 0; k < this.partitions.length; k++) {
      const partition = this.partitions[k] as DefaultProjection<E, TDriver>;
      if (next.has(k) && !this.assigned.has(k)) partition.start();
      if (!next.has(k) && this.assigned.has(k)) await partition.stop();
    }
    this.assigned = next;
  }
}

/** The events of a partition, for tests and tools. */
export function inPartition(event: EventRecord, k: number, partitions: number): boolean {
  return partitionOf(event.stream_id, partitions) === k;
}
