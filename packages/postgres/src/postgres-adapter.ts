/**
 * The PostgreSQL storage adapter: postgres.js for the connections, drizzle for the schema and its
 * migrations, `@eventlog/sql` for the query DSL. See README.md for ordering and coalescing.
 */

import {
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  type CommitSignal,
  EventLogError,
  type EventRecord,
  type Instance,
  type InstancePatch,
  type InstanceStats,
  type KeyValueStore,
  type Limits,
  type NewInstance,
  type QueryNode,
  type QueryResult,
  type ReadAfterRequest,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  storageError,
  type Unsubscribe,
} from '@eventlog/core';
import type postgres from 'postgres';
import { AppendCoalescer } from './append-coalescer.js';
import { AppendWriter } from './append-writer.js';
import { CommitNotifier } from './commit-notifier.js';
import { CommitWatcher } from './commit-watcher.js';
import { createKvStore, type StatementRunner } from './kv-store.js';
import { loadMigrations, migrate } from './migrator.js';
import { type PostgresAdapterOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { createPgClient, type PgClient, PREPARED } from './pg-client.js';
import { findPgError, wrapDriverError } from './pg-errors.js';
import { PostgresQueryRunner } from './postgres-query-runner.js';
import { type InstanceRow, toInstance } from './rows.js';
import { buildStatements, type Statements } from './statements.js';

/** A transaction of {@link PostgresAdapter.transaction}: `driver` is the postgres.js transaction. */
export interface PostgresTransaction extends AdapterTransaction {
  driver: postgres.TransactionSql;
}

/** The PostgreSQL adapter: a {@link StorageAdapter} plus its driver handles. */
export interface PostgresAdapter extends StorageAdapter {
  readonly name: 'postgres';
  /** The schema holding the tables. */
  readonly schema: string;
  /** The postgres.js client (the adapter's pool), e.g. for read models or benchmarks. */
  readonly sql: postgres.Sql;
  /** Resolves once connected and migrated; rejects with `STORAGE_ERROR` when that fails. */
  ready(): Promise<void>;
  /**
   * Runs `fn` in one PostgreSQL transaction: `tx.kv` writes and the caller's writes through
   * `tx.driver` (a postgres.js `TransactionSql`) commit together or not at all.
   */
  transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T>;
}

/**
 * Creates the PostgreSQL adapter. It connects lazily: the first call (or `ready()`) connects,
 * creates the schema and applies pending migrations under an advisory lock.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { postgresAdapter } from '@eventlog/postgres';
 * const log = createEventLog({ adapter: postgresAdapter({ url: 'postgres://app:secret@localhost:5432/app' }) });
 */
export function postgresAdapter(options: PostgresAdapterOptions): PostgresAdapter {
  return new PostgresStorageAdapter(resolveOptions(options));
}

/** Name of the NOTIFY channel of a schema (a channel name is at most 63 bytes, like schema names). */
function channelOf(schema: string): string {
  const channel = `eventlog_${schema}`;
  return channel.length <= 63 ? channel : `eventlog_${schema.slice(0, 40)}_${schema.length}`;
}

class PostgresStorageAdapter implements PostgresAdapter {
  readonly contract = STORAGE_ADAPTER_CONTRACT;
  readonly name = 'postgres' as const;
  readonly capabilities = { persistent: true, crossProcess: true, transactions: true, queryPushdown: true };
  readonly schema: string;
  readonly sql: postgres.Sql;
  readonly kv: KeyValueStore;

  readonly #options: ResolvedOptions;
  readonly #S: Statements;
  readonly #pool: PgClient;
  readonly #channel: string;
  readonly #watcher: CommitWatcher;
  readonly #notifier: CommitNotifier;
  readonly #coalescer: AppendCoalescer<AppendRequest, AppendOutcome>;
  readonly #queries: PostgresQueryRunner;
  #lockSeed = 0;
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
    this.schema = options.schema;
    this.#S = buildStatements(options.schema);
    this.#pool = createPgClient(options);
    this.sql = this.#pool;
    this.#channel = channelOf(options.schema);
    this.#watcher = new CommitWatcher({
      options,
      sql: this.#pool,
      channel: this.#channel,
      snapshotStatement: this.#S.snapshot,
      registerStatements: [this.#S.listenerLock, this.#S.listenerBarrier],
    });
    this.#notifier = new CommitNotifier({
      options,
      channel: this.#channel,
      notifyStatement: this.#S.notifyMany,
    });
    const writer = new AppendWriter({
      sql: this.#pool,
      statements: this.#S,
      schema: options.schema,
      lockSeed: () => this.#lockSeed,
      hooks: options.hooks,
      onCommitted: (instanceId, listened, committed) => {
        const position = (committed.events[committed.events.length - 1] as EventRecord).global_position;
        this.#watcher.committed({ kind: 'append', instanceId, position, committed });
        if (listened) this.#notifier.append(instanceId, position);
      },
    });
    this.#coalescer = new AppendCoalescer(writer.run, {
      enabled: options.coalesce,
      maxWeight: options.maxCoalescedEvents,
      weight: (request) => request.events.length,
    });
    this.#queries = new PostgresQueryRunner(this.#pool, options.schema);
    const kv = createKvStore(this.#pool as unknown as StatementRunner, this.#S);
    this.kv = guardKv(kv, () => this.#open());
  }

  ready(): Promise<void> {
    return this.#open();
  }

  #open(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(storageError('The PostgreSQL adapter is closed; create a new one.'));
    }
    this.#opening ??= this.#connect().catch((error: unknown) => {
      // Let a later call try again (the database may come back).
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #connect(): Promise<void> {
    const migrations = await loadMigrations().catch((error: unknown) => {
      throw storageError(`Could not read the migrations of @eventlog/postgres: ${String(error)}`, error);
    });
    await migrate(this.#pool, {
      schema: this.schema,
      apply: this.#options.migrate,
      migrations,
    });
    try {
      const [row] = await this.#pool.unsafe<Array<{ seed: number }>>(
        this.#S.lockSeed,
        [this.schema],
        PREPARED,
      );
      this.#lockSeed = row?.seed ?? 0;
    } catch (error) {
      throw wrapDriverError(error, 'opening the adapter');
    }
  }

  async #run<T extends readonly object[]>(
    doing: string,
    statement: string,
    params: unknown[] = [],
  ): Promise<T> {
    try {
      return await this.#pool.unsafe<T & postgres.Row[]>(
        statement,
        params as postgres.ParameterOrJSON<never>[],
        PREPARED,
      );
    } catch (error) {
      throw wrapDriverError(error, doing, statement);
    }
  }

  async #inTransaction<T>(doing: string, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    try {
      return (await this.#pool.begin((tx) => fn(tx))) as T;
    } catch (error) {
      throw wrapDriverError(error, doing);
    }
  }

  async createInstance(instance: NewInstance): Promise<Instance> {
    await this.#open();
    const S = this.#S;
    return this.#inTransaction('creating an instance', async (tx) => {
      await tx.unsafe(S.lockCatalog, [this.schema], PREPARED);
      const taken = await tx.unsafe<InstanceRow[]>(S.instanceTaken, [instance.name, instance.id], PREPARED);
      for (const row of taken) {
        if (row.name === instance.name) {
          throw alreadyExists(
            `An instance named "${instance.name}" already exists. Choose another name, or use the existing instance.`,
            { name: instance.name },
          );
        }
      }
      if (taken.some((row) => row.id === instance.name)) {
        throw alreadyExists(
          `An instance whose id is "${instance.name}" already exists, so "${instance.name}" cannot name another instance (references accept ids and names). Choose another name.`,
          { name: instance.name },
        );
      }
      if (taken.length > 0) {
        throw alreadyExists(
          `An instance with id or name "${instance.id}" already exists. Choose another id.`,
          {
            id: instance.id,
          },
        );
      }
      const [row] = await tx.unsafe<InstanceRow[]>(
        S.insertInstance,
        [instance.id, instance.name, instance.description ?? null, instance.createdAt],
        PREPARED,
      );
      return toInstance(row as InstanceRow);
    });
  }

  async resolveInstance(ref: string): Promise<Instance | undefined> {
    await this.#open();
    const [row] = await this.#run<InstanceRow[]>('finding an instance', this.#S.resolveInstance, [ref]);
    return row === undefined ? undefined : toInstance(row);
  }

  async listInstances(): Promise<Instance[]> {
    await this.#open();
    const rows = await this.#run<InstanceRow[]>('listing instances', this.#S.listInstances);
    return rows.map(toInstance);
  }

  async updateInstance(id: string, patch: InstancePatch): Promise<Instance> {
    await this.#open();
    const S = this.#S;
    return this.#inTransaction('updating an instance', async (tx) => {
      if (patch.name !== undefined) {
        await tx.unsafe(S.lockCatalog, [this.schema], PREPARED);
        const others = await tx.unsafe<Array<{ id: string; name: string }>>(
          S.nameTakenByOther,
          [patch.name, id],
          PREPARED,
        );
        const other = others[0];
        if (other !== undefined) {
          throw alreadyExists(
            other.name === patch.name
              ? `An instance named "${patch.name}" already exists. Choose another name.`
              : `An instance whose id is "${patch.name}" already exists, so "${patch.name}" cannot name another instance (references accept ids and names). Choose another name.`,
            { name: patch.name },
          );
        }
      }
      const [row] = await tx.unsafe<InstanceRow[]>(
        S.updateInstance,
        [
          id,
          patch.name !== undefined,
          patch.name ?? null,
          patch.description !== undefined,
          patch.description ?? null,
          patch.updatedAt,
        ],
        PREPARED,
      );
      if (row === undefined) throw notFoundById(id);
      return toInstance(row);
    });
  }

  async deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    await this.#open();
    const S = this.#S;
    const result = await this.#inTransaction('deleting an instance', async (tx) => {
      // The instance's append lock: no append of it is between its checks and its commit.
      await tx.unsafe(S.lockInstanceId, [id, this.#lockSeed], PREPARED);
      const [instance] = await tx.unsafe<InstanceRow[]>(S.deleteInstance, [id], PREPARED);
      if (instance === undefined) throw notFoundById(id);
      const [count] = await tx.unsafe<Array<{ n: number }>>(S.deleteEvents, [id], PREPARED);
      return { instance: toInstance(instance), deletedEvents: count?.n ?? 0 };
    });
    this.#watcher.committed({ kind: 'delete', instanceId: id });
    this.#notifier.delete(id);
    return result;
  }

  async append(request: AppendRequest): Promise<AppendOutcome> {
    await this.#open();
    return this.#coalescer.submit(request.instance, request);
  }

  async query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
    await this.#open();
    return this.#queries.query(instanceId, query, limits);
  }

  async stats(instanceId: string): Promise<InstanceStats> {
    await this.#open();
    const S = this.#S;
    const [instanceRows, totals, types] = await Promise.all([
      this.#run<InstanceRow[]>('reading instance statistics', S.selectInstanceById, [instanceId]),
      this.#run<Array<{ events: number; streams: number; first: string | null; last: string | null }>>(
        'reading instance statistics',
        S.statsTotals,
        [instanceId],
      ),
      this.#run<Array<{ event_type: string; n: number }>>('reading instance statistics', S.statsTypes, [
        instanceId,
      ]),
    ]);
    const instance = instanceRows[0];
    if (instance === undefined) throw notFoundById(instanceId);
    const total = totals[0];
    const eventTypes: Record<string, number> = {};
    for (const row of types) {
      Object.defineProperty(eventTypes, row.event_type, {
        value: row.n,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return {
      instanceId: instance.id,
      name: instance.name,
      eventCount: total?.events ?? 0,
      streamCount: total?.streams ?? 0,
      eventTypes,
      firstEventAt: total?.first ?? null,
      lastEventAt: total?.last ?? null,
      createdAt: instance.created_at,
      updatedAt: instance.updated_at,
    };
  }

  async readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    await this.#open();
    return this.#queries.readAfter(request);
  }

  async headPosition(instanceId: string): Promise<number> {
    await this.#open();
    const [row] = await this.#run<Array<{ head: number }>>(
      'reading the head position',
      this.#S.headPosition,
      [instanceId],
    );
    return row?.head ?? 0;
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    if (this.#closing !== undefined) return () => {};
    return this.#watcher.watch(listener);
  }

  async transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    await this.#open();
    const S = this.#S;
    try {
      return (await this.#pool.begin(async (driver) =>
        fn({ kv: createKvStore(driver as unknown as StatementRunner, S), driver }),
      )) as T;
    } catch (error) {
      // The caller's own errors pass through; driver errors become STORAGE_ERROR.
      if (EventLogError.isInstance(error) || !isDriverError(error)) throw error;
      throw wrapDriverError(error, 'running a transaction');
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Appends already queued finish; new ones are refused.
      await this.#coalescer.close();
      await this.#notifier.close();
      await this.#watcher.close();
      await this.#pool.end({ timeout: 5 });
    })();
    return this.#closing;
  }
}

/** A PostgreSQL error, or a postgres.js connection error (`CONNECTION_CLOSED`, `CONNECT_TIMEOUT`, …). */
function isDriverError(error: unknown): boolean {
  if (findPgError(error) !== undefined) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^CONNECT/.test(code);
}

function alreadyExists(message: string, details: Record<string, unknown>): EventLogError {
  return new EventLogError('ALREADY_EXISTS', message, { details });
}

function notFoundById(id: string): EventLogError {
  return new EventLogError('NOT_FOUND', `Instance "${id}" was not found: no instance has this id.`, {
    details: { instance: id },
  });
}

/** The key-value store, opening the adapter before its first statement. */
function guardKv(kv: KeyValueStore, open: () => Promise<void>): KeyValueStore {
  return {
    get: async (namespace, key) => {
      await open();
      return kv.get(namespace, key);
    },
    put: async (namespace, key, value, options) => {
      await open();
      return kv.put(namespace, key, value, options);
    },
    delete: async (namespace, key, options) => {
      await open();
      return kv.delete(namespace, key, options);
    },
    list: async (namespace) => {
      await open();
      return kv.list(namespace);
    },
  };
}
