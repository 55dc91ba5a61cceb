/**
 * Facts an event store keeps per instance id for a while, so that hot paths do not read them on
 * every call: the personal paths of an instance (payload queries) and its rollups (aggregations).
 * Each entry is trusted for `ttlMs` of the wall clock — never the log's own clock, which tests and
 * replays set anywhere — and all entries are forgotten at once past `max`. Another process's change
 * shows after at most `ttlMs`; this store's own changes replace or delete the entry at once.
 */
export class InstanceCache<T> {
  readonly #entries = new Map<string, { value: T; at: number }>();

  constructor(
    readonly ttlMs: number,
    readonly max: number,
  ) {}

  /** The value, however old, or undefined. */
  known(id: string): T | undefined {
    return this.#entries.get(id)?.value;
  }

  /** The value if it was set less than `ttlMs` ago, else undefined. */
  fresh(id: string): T | undefined {
    const entry = this.#entries.get(id);
    return entry !== undefined && Date.now() - entry.at < this.ttlMs ? entry.value : undefined;
  }

  /** The value if it was set less than `ttlMs` ago, else what `load` gives (then kept). */
  async get(id: string, load: () => Promise<T>): Promise<T> {
    const entry = this.#entries.get(id);
    if (entry !== undefined && Date.now() - entry.at < this.ttlMs) return entry.value;
    const value = await load();
    this.set(id, value);
    return value;
  }

  set(id: string, value: T): void {
    if (this.#entries.size >= this.max && !this.#entries.has(id)) this.#entries.clear();
    this.#entries.set(id, { value, at: Date.now() });
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }
}
