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
  EventLogError,
  type EventRecord,
  type ImportOutcome,
  type ImportRequest,
  type Instance,
  type InstancePatch,
  type InstanceStats,
  instanceNotFound,
  type KeyValueStore,
  type Limits,
  type LoadedStream,
  type LoadStreamRequest,
  type NewInstance,
  type QueryNode,
  type QueryResult,
  type ReadAfterRequest,
  type ReadOptions,
  type RemoveEventsRequest,
  type Retention,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  type StreamRemoval,
  type StreamRemovalOutcome,
  type Unsubscribe,
} from '@eventlog/core';
import type { InstanceScope, ReadAfterSpec } from '../compiler/query-compiler.js';
import type { StatementProgram } from '../compiler/query-program.js';
import { importEventsProgram, removeEventsProgram } from './archive-programs.js';
import {
  createInstanceProgram,
  deleteInstanceProgram,
  listInstancesProgram,
  resolveInstanceProgram,
  retentionOf,
  toInstance,
  updateInstanceProgram,
} from './instance-programs.js';
import { createSqlKvStore } from './kv-store.js';
import { pruneBatchProgram, removeStreamProgram, visibilityAt } from './lifecycle-programs.js';
import type { AnnouncedProgram, SqlDriver, WriteLock } from './sql-driver.js';
import type { InstanceRow, StoreStatements } from './store-statements.js';

const CATALOG: WriteLock = { kind: 'catalog' };

/** The moment of a read, in epoch ms: the caller's, else the system clock's. */
function nowOf(options: ReadOptions | undefined): number {
  return options?.now === undefined ? Date.now() : Date.parse(options.now);
}

function sameRetention(a: Retention | undefined, b: Retention | undefined): boolean {
  return a?.maxAgeMs === b?.maxAgeMs && a?.maxEventsPerStream === b?.maxEventsPerStream;
}

/** Thrown by a read compiled ahead with rules that turned out stale: it runs again with `rules`. */
class RetentionChanged extends EventLogError {
  constructor(readonly rules: Retention | undefined) {
    super('STORAGE_ERROR', 'The retention rules of the instance changed while reading; read again.');
  }
}

/** The shared SQL event store. Drivers may extend it to expose their own handles. */
export class SqlStore<D extends SqlDriver = SqlDriver> implements StorageAdapter {
  readonly contract = STORAGE_ADAPTER_CONTRACT;
  readonly name: string;
  readonly capabilities;
  readonly kv: KeyValueStore;
  protected readonly driver: D;
  private readonly S: StoreStatements;
  /** See core's `StorageAdapter.scrub`: present when the driver can make deletions unrecoverable. */
  readonly scrub?: () => Promise<void>;
  /** The retention rules last seen per instance id (what reads are compiled with ahead). */
  private readonly retention = new Map<string, Retention | undefined>();

  constructor(driver: D) {
    this.driver = driver;
    this.name = driver.name;
    this.capabilities = driver.capabilities;
    if (driver.scrub !== undefined) this.scrub = () => (driver.scrub as () => Promise<void>).call(driver);
    this.S = driver.statements;
    this.kv = createSqlKvStore(driver.statements, driver.compiler.dialect, (doing, program) =>
      driver.run(doing, program),
    );
  }

  /**
   * Runs a read of one instance's events under its retention rules at `now`: the instance's row is
   * read first, in the same snapshot (its key and rules: the guard), and the read is compiled for
   * what the row says. On a driver whose events reference instances by id, the read is compiled
   * ahead with the rules last seen for the instance, so the driver can send it with the guard in
   * one round trip; when the guard shows other rules, the read runs again with them.
   *
   * With `ref` (core's `ReadOptions.ref`), the guard reads the instance by that reference instead,
   * and the read answers NOT_FOUND unless the reference names `instanceId` now.
   */
  private guarded<T>(
    doing: string,
    instanceId: string,
    options: ReadOptions | undefined,
    compile: (scope: InstanceScope, guard: { row?: InstanceRow }) => AnnouncedProgram<T>,
    replica = false,
  ): Promise<T> {
    const S = this.S;
    const ahead = this.driver.keyedById;
    const now = nowOf(options);
    const ref = options?.ref;
    return this.underAssumedRules(doing, instanceId, replica, (assumed) => {
      const guard = ref === undefined ? S.instanceById(instanceId) : S.instanceByRef(ref, ref, ref);
      const seen: { row?: InstanceRow } = {};
      // The texts are exact; on a keyed driver only the key parameter will differ.
      const speculative = compile({ id: instanceId, visibility: visibilityAt(assumed, now) }, seen);
      const first = speculative.program().next();
      return {
        statements: { guard, ...speculative.statements },
        ...(ahead && !first.done ? { prefetch: [first.value] } : {}),
        program: function* () {
          const [row] = (yield guard) as readonly InstanceRow[];
          if (row === undefined || row.id !== instanceId) throw instanceNotFound(ref ?? instanceId);
          seen.row = row;
          const rules = retentionOf(row);
          if (ahead) {
            if (!sameRetention(rules, assumed)) throw new RetentionChanged(rules);
            return yield* speculative.program();
          }
          const scope = { id: instanceId, key: row.key, visibility: visibilityAt(rules, now) };
          return yield* compile(scope, seen).program();
        },
      };
    });
  }

  /**
   * Runs the read `build` makes with the retention rules last seen under `key` (an instance id, or
   * the reference a read was made by). When its guard finds other rules (it throws
   * RetentionChanged), they are remembered and the read is built and run once more with them.
   */
  private async underAssumedRules<T>(
    doing: string,
    key: string,
    replica: boolean,
    build: (assumed: Retention | undefined) => AnnouncedProgram<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.driver.read(doing, build(this.retention.get(key)), { replica });
      } catch (error) {
        if (!(error instanceof RetentionChanged) || attempt > 0) throw error;
        this.retention.set(key, error.rules);
      }
    }
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

  async updateInstance(id: string, patch: InstancePatch): Promise<Instance> {
    const instance = await this.driver.write(
      'updating an instance',
      CATALOG,
      updateInstanceProgram(this.S, id, patch),
    );
    this.retention.set(id, instance.retention);
    return instance;
  }

  async deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    const result = await this.driver.write(
      'deleting an instance',
      { kind: 'instance', id },
      deleteInstanceProgram(this.S, id, (key) => this.beforeInstanceEventsGo(key)),
    );
    this.driver.committed({ kind: 'delete', instanceId: id });
    return result;
  }

  /**
   * Runs in `deleteInstance`'s transaction before the instance's events are deleted (by its key):
   * a subclass drops there what would react to each deleted row (SQLite's rollup triggers).
   */
  protected *beforeInstanceEventsGo(_key: string | number): StatementProgram<void> {}

  append(request: AppendRequest): Promise<AppendOutcome> {
    return this.driver.append(request);
  }

  query(instanceId: string, query: QueryNode, limits: Limits, options?: ReadOptions): Promise<QueryResult> {
    const compiler = this.driver.compiler;
    return this.guarded(
      'running a query',
      instanceId,
      options,
      (scope) => compiler.compileQuery(scope, query, limits, options),
      true,
    );
  }

  stats(instanceId: string, options?: ReadOptions): Promise<InstanceStats> {
    const compiler = this.driver.compiler;
    return this.guarded(
      'computing statistics',
      instanceId,
      options,
      (scope, guard) => {
        const summary = compiler.compileStats(scope);
        return {
          statements: summary.statements,
          program: function* (): StatementProgram<InstanceStats> {
            const stats = yield* summary.program();
            const row = guard.row as InstanceRow;
            return {
              instanceId: row.id,
              name: row.name,
              ...stats,
              createdAt: row.created_at,
              updatedAt: row.updated_at,
            };
          },
        };
      },
      true,
    );
  }

  readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    const compiler = this.driver.compiler;
    const spec: ReadAfterSpec = { after: request.after, limit: request.limit };
    if (request.stream !== undefined) spec.stream = request.stream;
    if (request.where !== undefined) spec.where = request.where;
    return this.guarded('reading events after a position', request.instanceId, request, (scope) => {
      const compiled = compiler.compileReadAfter(scope, spec);
      return {
        statements: { read: compiled.statement },
        program: function* () {
          return compiled.decode(yield compiled.statement);
        },
      };
    });
  }

  /**
   * The start of a stream's fold in one statement program whose statements are all sent at once
   * (one round trip on PostgreSQL): the instance's row (the guard), the snapshot entry with its
   * anchor, and the stream's page from that anchor, the instance key and the anchor written into
   * the page as subqueries. The page is compiled with the retention rules last seen for this
   * reference; when the row shows other rules, it runs again with them (as `guarded`).
   */
  loadStream(request: LoadStreamRequest): Promise<LoadedStream> {
    const S = this.S;
    const compiler = this.driver.compiler;
    const dialect = compiler.dialect;
    const { ref, anchor: entry } = request;
    const start = request.from ?? 1;
    const now = nowOf(request);
    return this.underAssumedRules(
      'loading a stream',
      ref,
      false,
      (assumed): AnnouncedProgram<LoadedStream> => {
        const guard = S.instanceByRef(ref, ref, ref);
        // A key lookup: the plan never depends on the values.
        const anchor =
          entry === undefined
            ? undefined
            : { ...S.kvAnchored(entry.namespace, entry.key), planStable: true as const };
        const page = compiler.compileStreamStart({
          instanceKey: (bind) => S.instanceKeyOf(bind, ref),
          from: (bind) =>
            entry === undefined ? bind(start) : S.kvAnchorOf(bind, entry.namespace, entry.key, bind(start)),
          stream: request.stream,
          limit: request.limit,
          visibility: visibilityAt(assumed, now),
        });
        return {
          statements:
            anchor === undefined ? { guard, page: page.statement } : { guard, anchor, page: page.statement },
          prefetch: anchor === undefined ? [page.statement] : [anchor, page.statement],
          program: function* () {
            const [row] = (yield guard) as readonly InstanceRow[];
            if (row === undefined) return { instance: undefined, anchor: undefined, from: start, events: [] };
            const rules = retentionOf(row);
            if (!sameRetention(rules, assumed)) throw new RetentionChanged(rules);
            let stored: LoadedStream['anchor'];
            let from = start;
            if (anchor !== undefined) {
              const [found] = yield anchor;
              if (found !== undefined) {
                stored = { value: dialect.decodeJson(found.value), version: Number(found.version) };
                if (found.anchor !== null && found.anchor !== undefined) from = Number(found.anchor);
              }
            }
            const events = page.decode(yield page.statement, row.id);
            return { instance: toInstance(row), anchor: stored, from, events };
          },
        };
      },
    );
  }

  headPosition(instanceId: string): Promise<number> {
    const compiler = this.driver.compiler;
    if (this.driver.keyedById) {
      return this.driver.run('reading the head position', compiler.compileHeadPosition(instanceId).program());
    }
    const S = this.S;
    return this.driver.run(
      'reading the head position',
      (function* (): StatementProgram<number> {
        const [row] = yield S.instanceKeyById(instanceId);
        if (row === undefined) throw instanceNotFound(instanceId);
        return yield* compiler
          .compileHeadPosition({ id: instanceId, key: row.key as string | number })
          .program();
      })(),
    );
  }

  async deleteStream(removal: StreamRemoval): Promise<StreamRemovalOutcome> {
    return this.removeStream('deleting a stream', removal);
  }

  async truncateStream(removal: StreamRemoval & { before: number }): Promise<StreamRemovalOutcome> {
    return this.removeStream('truncating a stream', removal);
  }

  private async removeStream(doing: string, removal: StreamRemoval): Promise<StreamRemovalOutcome> {
    const outcome = await this.driver.write(
      doing,
      { kind: 'instance', id: removal.instanceId },
      removeStreamProgram(this.S, removal),
    );
    this.driver.committed({
      kind: 'append',
      instanceId: removal.instanceId,
      position: outcome.event.global_position,
    });
    return outcome;
  }

  async pruneExpired(request: {
    instanceId?: string;
    now: string;
    batchSize: number;
  }): Promise<{ deletedEvents: number }> {
    const S = this.S;
    const now = Date.parse(request.now);
    const rows =
      request.instanceId === undefined
        ? ((await this.driver.run(
            'finding instances with retention',
            (function* () {
              return (yield S.instancesWithRetention()) as readonly InstanceRow[];
            })(),
          )) as readonly InstanceRow[])
        : await this.driver.run(
            'pruning expired events',
            (function* () {
              const [row] = (yield S.instanceById(request.instanceId as string)) as readonly InstanceRow[];
              if (row === undefined) throw instanceNotFound(request.instanceId as string);
              return [row];
            })(),
          );
    let deletedEvents = 0;
    for (const row of rows) {
      // Batches of their own transactions: appends to the instance wait at most one batch.
      for (;;) {
        const removed = await this.driver.write(
          'pruning expired events',
          { kind: 'instance', id: row.id },
          pruneBatchProgram(S, row, now, request.batchSize),
        );
        deletedEvents += removed;
        if (removed === 0) break;
        // A synchronous driver (better-sqlite3) settles each batch at once: without a turn of the
        // event loop here, the process's appends, requests and timers would wait for the whole
        // prune instead of at most one batch.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { deletedEvents };
  }

  async importEvents(request: ImportRequest): Promise<ImportOutcome> {
    const outcome = await this.driver.write(
      'importing events',
      { kind: 'instance', id: request.instanceId },
      importEventsProgram(this.S, request),
    );
    const last = request.events[request.events.length - 1];
    if (outcome.imported > 0 && last !== undefined) {
      // Without `committed`: restored events may lie below positions readers have passed.
      this.driver.committed({
        kind: 'append',
        instanceId: request.instanceId,
        position: last.global_position,
      });
    }
    return outcome;
  }

  removeEvents(request: RemoveEventsRequest): Promise<{ deletedEvents: number }> {
    return this.driver.write(
      'removing events',
      { kind: 'instance', id: request.instanceId },
      removeEventsProgram(this.S, request),
    );
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
