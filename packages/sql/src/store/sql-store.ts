/**
 * The event store on any SQL database: a {@link StorageAdapter} over a {@link SqlDriver}. What an
 * event store does is here, once — the instance catalog, queries, statistics, live reads and the
 * key-value store, as statement programs — and each driver runs them on its database (and makes
 * appends atomic its own way).
 */

import {
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  type CommitSignal,
  type EventRecord,
  type Instance,
  type InstancePatch,
  type InstanceStats,
  instanceNotFound,
  type KeyValueStore,
  type Limits,
  type NewInstance,
  type QueryNode,
  type QueryResult,
  type ReadAfterRequest,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  type Unsubscribe,
} from '@eventlog/core';
import type { CompiledStatement } from '../compiler/params.js';
import type { InstanceScope, ReadAfterSpec } from '../compiler/query-compiler.js';
import type { StatementProgram } from '../compiler/query-program.js';
import {
  createInstanceProgram,
  deleteInstanceProgram,
  listInstancesProgram,
  resolveInstanceProgram,
  updateInstanceProgram,
} from './instance-programs.js';
import { createSqlKvStore } from './kv-store.js';
import type { AnnouncedProgram, SqlDriver, WriteLock } from './sql-driver.js';
import type { InstanceRow, StoreStatements } from './store-statements.js';

const CATALOG: WriteLock = { kind: 'catalog' };

/** The key an instance's events are stored under; `NOT_FOUND` when the instance does not exist. */
function* instanceKey(S: StoreStatements, instanceId: string): StatementProgram<string | number> {
  const [row] = yield S.instanceKeyById(instanceId);
  if (row === undefined) throw instanceNotFound(instanceId);
  return row.key as string | number;
}

/** The shared SQL event store. Drivers may extend it to expose their own handles. */
export class SqlStore<D extends SqlDriver = SqlDriver> implements StorageAdapter {
  readonly contract = STORAGE_ADAPTER_CONTRACT;
  readonly name: string;
  readonly capabilities;
  readonly kv: KeyValueStore;
  protected readonly driver: D;
  private readonly S: StoreStatements;

  constructor(driver: D) {
    this.driver = driver;
    this.name = driver.name;
    this.capabilities = driver.capabilities;
    this.S = driver.statements;
    this.kv = createSqlKvStore(driver.statements, driver.compiler.dialect, (doing, program) =>
      driver.run(doing, program),
    );
  }

  /**
   * A program over one instance's events, compiled for its scope: directly when events reference
   * instances by id, else after reading the instance's key in the same run.
   */
  private scoped<T>(
    instanceId: string,
    compile: (scope: InstanceScope) => AnnouncedProgram<T>,
  ): AnnouncedProgram<T> {
    if (this.driver.keyedById) return compile({ id: instanceId });
    const S = this.S;
    // The announced texts are exact; only the key parameter differs.
    const announced: Record<string, CompiledStatement> = {
      key: S.instanceKeyById(instanceId),
      ...compile({ id: instanceId, key: instanceId }).statements,
    };
    return {
      statements: announced,
      program: function* () {
        const key = yield* instanceKey(S, instanceId);
        return yield* compile({ id: instanceId, key }).program();
      },
    };
  }

  ready(): Promise<void> {
    return this.driver.ready();
  }

  createInstance(instance: NewInstance): Promise<Instance> {
    return this.driver.write('creating an instance', CATALOG, createInstanceProgram(this.S, instance));
  }

  resolveInstance(ref: string): Promise<Instance | undefined> {
    return this.driver.run('finding an instance', resolveInstanceProgram(this.S, ref));
  }

  listInstances(): Promise<Instance[]> {
    return this.driver.run('listing instances', listInstancesProgram(this.S));
  }

  updateInstance(id: string, patch: InstancePatch): Promise<Instance> {
    return this.driver.write('updating an instance', CATALOG, updateInstanceProgram(this.S, id, patch));
  }

  async deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    const result = await this.driver.write(
      'deleting an instance',
      { kind: 'instance', id },
      deleteInstanceProgram(this.S, id),
    );
    this.driver.committed({ kind: 'delete', instanceId: id });
    return result;
  }

  append(request: AppendRequest): Promise<AppendOutcome> {
    return this.driver.append(request);
  }

  query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
    const compiler = this.driver.compiler;
    return this.driver.read(
      'running a query',
      this.scoped(instanceId, (scope) => compiler.compileQuery(scope, query, limits)),
    );
  }

  stats(instanceId: string): Promise<InstanceStats> {
    const S = this.S;
    const compiler = this.driver.compiler;
    return this.driver.read('computing statistics', {
      statements: { instance: S.instanceById(instanceId), ...compiler.compileStats(instanceId).statements },
      program: function* () {
        const [row] = (yield S.instanceById(instanceId)) as readonly InstanceRow[];
        if (row === undefined) throw instanceNotFound(instanceId);
        const summary = yield* compiler.compileStats({ id: row.id, key: row.key }).program();
        return {
          instanceId: row.id,
          name: row.name,
          ...summary,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        };
      },
    });
  }

  readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    const compiler = this.driver.compiler;
    const spec: ReadAfterSpec = { after: request.after, limit: request.limit };
    if (request.stream !== undefined) spec.stream = request.stream;
    if (request.where !== undefined) spec.where = request.where;
    const read = this.scoped(request.instanceId, (scope) => {
      const compiled = compiler.compileReadAfter(scope, spec);
      return {
        statements: { read: compiled.statement },
        program: function* () {
          return compiled.decode(yield compiled.statement);
        },
      };
    });
    return this.driver.run('reading events after a position', read.program());
  }

  headPosition(instanceId: string): Promise<number> {
    const compiler = this.driver.compiler;
    const head = this.scoped(instanceId, (scope) => compiler.compileHeadPosition(scope));
    return this.driver.run('reading the head position', head.program());
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    return this.driver.watch(listener);
  }

  transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    return this.driver.transaction(fn);
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
