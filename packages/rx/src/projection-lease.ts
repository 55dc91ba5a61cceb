/**
 * The lease that lets one process at a time run a projection, kept in the adapter's key-value
 * store with compare-and-set.
 *
 * The record is `{ owner, ttlMs, renewedAt }` at key `<name>` of namespace `eventlog.leases`. Its
 * holder renews it (a CAS write that bumps the version) every `renewIntervalMs`. A contender
 * takes it over when the record's **version has not changed for `ttlMs` by the contender's own
 * clock** — so expiry does not depend on clocks agreeing across machines, only on them running at
 * about the same rate. The holder gives up on its own once `ttlMs` has passed since the start of
 * its last successful renewal, which is before any contender can take over.
 *
 * A lease narrows who works; it does not fence writes by itself. Projections fence with the
 * checkpoint's compare-and-set (see `projection.ts`).
 */

import { EventLogError, type KeyValueStore, type StoredValue } from '@eventlog/core';

/** The key-value namespace of projection leases. */
export const LEASE_NAMESPACE = 'eventlog.leases';

/** What a lease record holds. */
export type LeaseRecord = {
  owner: string;
  ttlMs: number;
  renewedAt: string;
};

/** Options of {@link ProjectionLease}. */
export interface LeaseOptions {
  kv: KeyValueStore;
  /** The key: the projection's name. */
  name: string;
  /** Who we are (unique per running projection). */
  owner: string;
  ttlMs: number;
  /** A monotonic clock in ms. Default `performance.now()`. */
  now?: () => number;
}

function isConflict(error: unknown): boolean {
  return EventLogError.isInstance(error) && error.code === 'CONFLICT';
}

function asRecord(stored: StoredValue): Partial<LeaseRecord> {
  const value = stored.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Partial<LeaseRecord>)
    : {};
}

/**
 * One contender's view of a lease; see the module comment. Projections use it; use it directly to
 * run any singleton job over an event log's key-value store.
 *
 * @example
 * const lease = new ProjectionLease({ kv: adapter.kv, name: 'nightly-report', owner: hostname(), ttlMs: 10_000 });
 * if (await lease.tryAcquire()) {
 *   try { await runReport(); } finally { await lease.release(); }
 * }
 */
export class ProjectionLease {
  /** The record's version while we hold it. */
  private version: number | undefined;
  /** When the last successful write (acquire or renew) started, by our clock. */
  private writtenAt = 0;
  /** Another owner's record as first seen: its version and when we saw it. */
  private observed: { version: number; since: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: LeaseOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** True while we hold the lease and it has not run out by our clock. */
  get held(): boolean {
    return this.version !== undefined && this.now() - this.writtenAt < this.options.ttlMs;
  }

  /** The owner recorded in the store (undefined when nobody holds it). For status reports. */
  async currentOwner(): Promise<string | undefined> {
    const stored = await this.options.kv.get(LEASE_NAMESPACE, this.options.name);
    return stored === undefined ? undefined : asRecord(stored).owner;
  }

  private record(): LeaseRecord {
    return { owner: this.options.owner, ttlMs: this.options.ttlMs, renewedAt: new Date().toISOString() };
  }

  private async write(expectedVersion: number | null): Promise<boolean> {
    const started = this.now();
    try {
      const stored = await this.options.kv.put(LEASE_NAMESPACE, this.options.name, this.record(), {
        expectedVersion,
      });
      this.version = stored.version;
      this.writtenAt = started;
      this.observed = undefined;
      return true;
    } catch (error) {
      if (isConflict(error)) {
        this.version = undefined;
        return false;
      }
      throw error;
    }
  }

  /**
   * Takes the lease when it is free, ours, or stale (unchanged for its ttl since we first saw
   * it). Resolves true when we hold it. Storage errors reject.
   */
  async tryAcquire(): Promise<boolean> {
    const stored = await this.options.kv.get(LEASE_NAMESPACE, this.options.name);
    if (stored === undefined) return this.write(null);
    const record = asRecord(stored);
    if (record.owner === this.options.owner) return this.write(stored.version);
    const now = this.now();
    if (this.observed === undefined || this.observed.version !== stored.version) {
      this.observed = { version: stored.version, since: now };
      this.version = undefined;
      return false;
    }
    const ttl =
      typeof record.ttlMs === 'number' && Number.isFinite(record.ttlMs) && record.ttlMs > 0
        ? record.ttlMs
        : this.options.ttlMs;
    if (now - this.observed.since < ttl) return false;
    return this.write(stored.version);
  }

  /** Extends the lease. Resolves false when it was lost (someone else wrote it). */
  async renew(): Promise<boolean> {
    if (this.version === undefined) return false;
    return this.write(this.version);
  }

  /** Gives the lease up (when still ours), so a contender can take it at once. Never rejects. */
  async release(): Promise<void> {
    const version = this.version;
    this.version = undefined;
    if (version === undefined) return;
    try {
      await this.options.kv.delete(LEASE_NAMESPACE, this.options.name, { expectedVersion: version });
    } catch {
      // Taken over or unreachable: it expires on its own.
    }
  }
}
