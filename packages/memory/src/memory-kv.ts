/**
 * The memory adapter's key-value store (projection checkpoints, leases) and its transactional
 * overlay. Values are deep-copied in and out, so callers never share objects with the store.
 */

import {
  type AdapterTransaction,
  compareCodePoints,
  copyJson,
  EventLogError,
  type JsonValue,
  type KeyValueStore,
  kvConflict,
  type StoredValue,
  storageError,
} from '@eventlog/core';

/** Where a key-value store reads and writes: the committed maps, or a transaction's overlay. */
interface KvView {
  read(namespace: string, key: string): StoredValue | undefined;
  write(namespace: string, key: string, entry: StoredValue | undefined): void;
  /** Current entries of a namespace (unordered). */
  entries(namespace: string): Map<string, StoredValue>;
}

/** The compare-and-set rules of {@link KeyValueStore}, over any view. */
function keyValueStore(view: KvView, guard: () => void): KeyValueStore {
  return {
    async get(namespace, key) {
      guard();
      const entry = view.read(namespace, key);
      return entry === undefined ? undefined : { value: copyJson(entry.value), version: entry.version };
    },
    async put(namespace, key, value, options) {
      guard();
      const current = view.read(namespace, key);
      const expected = options?.expectedVersion;
      if (
        expected !== undefined &&
        (expected === null ? current !== undefined : current?.version !== expected)
      ) {
        throw kvConflict(namespace, key, expected, current?.version ?? null);
      }
      const entry: StoredValue = { value: copyJson(value), version: (current?.version ?? 0) + 1 };
      view.write(namespace, key, entry);
      return { value: copyJson(entry.value), version: entry.version };
    },
    async delete(namespace, key, options) {
      guard();
      const current = view.read(namespace, key);
      const expected = options?.expectedVersion;
      if (expected !== undefined && current?.version !== expected) {
        throw kvConflict(namespace, key, expected, current?.version ?? null);
      }
      if (current === undefined) return false;
      view.write(namespace, key, undefined);
      return true;
    },
    async list(namespace) {
      guard();
      const out: Array<{ key: string } & StoredValue> = [];
      for (const [key, entry] of view.entries(namespace)) {
        out.push({ key, value: copyJson(entry.value), version: entry.version });
      }
      // Code-point order, as SQL `BINARY`/`C` collations sort keys.
      return out.sort((a, b) => compareCodePoints(a.key, b.key));
    },
  };
}

/**
 * The committed key-value data of one memory adapter, and transactions over it.
 *
 * Transactions buffer their writes in an overlay and commit optimistically: when `fn` resolves,
 * every key the transaction touched must still have the version it first saw there (else
 * `CONFLICT`, nothing applied); the overlay is then applied in one synchronous step.
 */
export class MemoryKv {
  private readonly data = new Map<string, Map<string, StoredValue>>();
  /** The store that writes straight to the committed data. */
  readonly store: KeyValueStore;

  constructor(private readonly guard: () => void) {
    const committed: KvView = {
      read: (ns, key) => this.data.get(ns)?.get(key),
      write: (ns, key, entry) => this.set(ns, key, entry),
      entries: (ns) => this.data.get(ns) ?? new Map(),
    };
    this.store = keyValueStore(committed, guard);
  }

  private set(namespace: string, key: string, entry: StoredValue | undefined): void {
    let keys = this.data.get(namespace);
    if (entry === undefined) {
      keys?.delete(key);
      if (keys?.size === 0) this.data.delete(namespace);
      return;
    }
    if (keys === undefined) {
      keys = new Map();
      this.data.set(namespace, keys);
    }
    keys.set(key, entry);
  }

  /**
   * Puts values without a version check, synchronously (an append's `kvWrites`, committed in the
   * same step as its events). Each write bumps the key's version, so a transaction that touched
   * the key conflicts.
   */
  applyWrites(writes: ReadonlyArray<{ namespace: string; key: string; value: JsonValue }>): void {
    for (const { namespace, key, value } of writes) {
      const version = (this.data.get(namespace)?.get(key)?.version ?? 0) + 1;
      this.set(namespace, key, { value, version });
    }
  }

  /** Drops every key (on close). */
  clear(): void {
    this.data.clear();
  }

  /**
   * Runs `fn` with a transactional key-value store: its writes are visible to itself at once and
   * to everyone else only if `fn` resolves. `driver` is undefined (there is no native handle).
   *
   * @throws whatever `fn` throws (nothing is applied), or `CONFLICT` when a key the transaction
   *   touched was changed by someone else meanwhile
   */
  async transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    this.guard();
    const overlay = new Map<string, Map<string, StoredValue | undefined>>();
    /** The committed version of each touched key when the transaction first touched it (0: missing). */
    const seen = new Map<string, Map<string, number>>();
    let finished = false;

    const touch = (ns: string, key: string): void => {
      let keys = seen.get(ns);
      if (keys === undefined) {
        keys = new Map();
        seen.set(ns, keys);
      }
      if (!keys.has(key)) keys.set(key, this.data.get(ns)?.get(key)?.version ?? 0);
    };
    const view: KvView = {
      read: (ns, key) => {
        touch(ns, key);
        const pending = overlay.get(ns);
        if (pending?.has(key)) return pending.get(key);
        return this.data.get(ns)?.get(key);
      },
      write: (ns, key, entry) => {
        touch(ns, key);
        let pending = overlay.get(ns);
        if (pending === undefined) {
          pending = new Map();
          overlay.set(ns, pending);
        }
        pending.set(key, entry);
      },
      entries: (ns) => {
        const merged = new Map(this.data.get(ns));
        for (const [key, entry] of overlay.get(ns) ?? []) {
          if (entry === undefined) merged.delete(key);
          else merged.set(key, entry);
        }
        return merged;
      },
    };
    const kv = keyValueStore(view, () => {
      if (finished) {
        throw storageError(
          'This transaction has finished: use the key-value store inside its callback only.',
        );
      }
      this.guard();
    });

    let result: T;
    try {
      result = await fn({ kv, driver: undefined });
    } finally {
      finished = true;
    }
    this.guard();
    for (const [ns, keys] of seen) {
      for (const [key, version] of keys) {
        const now = this.data.get(ns)?.get(key)?.version ?? 0;
        if (now !== version) {
          throw new EventLogError(
            'CONFLICT',
            `The transaction was not applied: key "${key}" in namespace "${ns}" was changed by another writer while it ran. Retry the transaction.`,
            { details: { namespace: ns, key, expectedVersion: version || null, actualVersion: now || null } },
          );
        }
      }
    }
    for (const [ns, keys] of overlay) for (const [key, entry] of keys) this.set(ns, key, entry);
    return result;
  }
}
