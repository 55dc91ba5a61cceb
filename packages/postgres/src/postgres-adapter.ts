/**
 * The PostgreSQL storage adapter: the shared SQL store of `@eventlog/sql` over the PostgreSQL
 * driver (`postgres-driver.ts`). See README.md for ordering and coalescing.
 */

import type {
  AdapterTransaction,
  Instance,
  LoadedStream,
  LoadStreamRequest,
  RollupCell,
  RollupInfo,
  RollupSpec,
  StorageAdapter,
} from '@eventlog/core';
import { SqlStore, type StatementProgram } from '@eventlog/sql';
import type postgres from 'postgres';
import { type PostgresAdapterOptions, resolveOptions } from './options.js';
import {
  defineRollupProgram,
  dropOrphanRollupsProgram,
  dropRollupProgram,
  listRollupsProgram,
  PgRollupSql,
  readRollupProgram,
} from './pg-rollups.js';
import { PostgresDriver } from './postgres-driver.js';

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
  /** The start of a stream's fold in one round trip (see `StorageAdapter.loadStream`). */
  loadStream(request: LoadStreamRequest): Promise<LoadedStream>;
}

class PostgresStore extends SqlStore<PostgresDriver> implements PostgresAdapter {
  declare readonly name: 'postgres';

  get schema(): string {
    return this.driver.schema;
  }

  get sql(): postgres.Sql {
    return this.driver.sql;
  }

  override transaction<T>(fn: (tx: PostgresTransaction) => Promise<T>): Promise<T> {
    return this.driver.transaction((tx) => fn(tx as PostgresTransaction));
  }

  #rollupSql: PgRollupSql | undefined;
  get #R(): PgRollupSql {
    this.#rollupSql ??= new PgRollupSql(this.driver.schema);
    return this.#rollupSql;
  }

  defineRollup(instanceId: string, spec: RollupSpec, createdAt: string): Promise<RollupInfo> {
    return this.driver.write(
      'defining a rollup',
      { kind: 'instance', id: instanceId },
      defineRollupProgram(this.#R, instanceId, spec, createdAt),
    );
  }

  listRollups(instanceId: string): Promise<RollupInfo[]> {
    return this.driver.run('listing rollups', listRollupsProgram(this.#R, instanceId));
  }

  dropRollup(instanceId: string, name: string): Promise<boolean> {
    return this.driver.write(
      'dropping a rollup',
      { kind: 'instance', id: instanceId },
      dropRollupProgram(this.#R, instanceId, name),
    );
  }

  readRollup(
    instanceId: string,
    name: string,
  ): Promise<{ rollup: RollupSpec; cells: RollupCell[] } | undefined> {
    return this.driver.run('reading a rollup', readRollupProgram(this.#R, instanceId, name));
  }

  /** The instance's rollups go first, in the delete's transaction (see `PgRollupSql.forgetInstance`). */
  protected override *beforeInstanceEventsGo(key: string | number): StatementProgram<void> {
    const [has] = yield this.#R.hasTables();
    if (has?.ok !== true) return;
    for (const s of this.#R.forgetInstance(String(key))) yield s;
  }

  override async deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    const result = await super.deleteInstance(id);
    // Its rollups' rows went with it; their triggers and functions (DDL) go now, in a short
    // transaction of their own.
    await this.driver.write(
      'dropping the rollups of a deleted instance',
      { kind: 'instance', id },
      dropOrphanRollupsProgram(this.#R),
    );
    return result;
  }
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
  return new PostgresStore(new PostgresDriver(resolveOptions(options)));
}
