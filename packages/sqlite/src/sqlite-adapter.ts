/**
 * The SQLite StorageAdapter (better-sqlite3): the embedded default. One connection per adapter;
 * every write runs in `BEGIN IMMEDIATE`; queries are compiled to SQL by `@eventlog/sql`; commits
 * of other processes are noticed by polling `PRAGMA data_version` while something watches.
 */

import {
  type AdapterCapabilities,
  type AdapterTransaction,
  type AppendOutcome,
  type AppendRequest,
  type CommitSignal,
  EventLogError,
  type EventRecord,
  eventIdsOf,
  type Instance,
  type InstancePatch,
  type InstanceStats,
  instanceNotFound,
  type KeyValueStore,
  type Limits,
  type NewInstance,
  planAppend,
  type QueryNode,
  type QueryResult,
  type ReadAfterRequest,
  STORAGE_ADAPTER_CONTRACT,
  type StorageAdapter,
  storageError,
  type Unsubscribe,
  versionConflict,
} from '@eventlog/core';
import {
  type CompiledStatement,
  canonicalJsonText,
  createQueryCompiler,
  DEFAULT_EVENT_COLUMNS,
  decodeEvent,
  type EventTableLayout,
  eventSelectList,
  type QueryCompiler,
  qualifyColumns,
  type Row,
  SQLITE_CANONICAL_JSON_FUNCTION,
  type SqlDialect,
  sqliteDialect,
} from '@eventlog/sql';
import Database from 'better-sqlite3';
import { ConnectionLock, type TransactionScope } from './connection-lock.js';
import { migrate } from './migrator.js';
import { type ResolvedSqliteOptions, resolveOptions, type SqliteAdapterOptions } from './options.js';
import { keyValueStore, SqliteKvOperations } from './sqlite-kv.js';

/** The events table as the query compiler sees it: the instance column holds the private `pk`. */
export const SQLITE_EVENT_LAYOUT: Readonly<EventTableLayout> = Object.freeze({
  table: 'events',
  columns: { ...DEFAULT_EVENT_COLUMNS, instance: 'instance_pk' },
});

/** Rows per multi-row INSERT of a batch: fewer statement executions, one JSON-to-JSONB pass each. */
const INSERT_CHUNK = 64;
/** Prepared statements of compiled queries kept per connection. */
const STATEMENT_CACHE_SIZE = 256;

const EVENT_COLUMNS =
  '(instance_pk, stream_id, sequence_number, event_type, id, event_id, timestamp, payload, metadata)';
const EVENT_VALUES = '(?, ?, ?, ?, ?, ?, ?, jsonb(?), jsonb(?))';
const SEQUENCE_KEY_VIOLATION = 'events.instance_pk, events.stream_id, events.sequence_number';

interface InstanceRow {
  pk: number;
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

const INSTANCE_COLUMNS = 'pk, id, name, description, created_at, updated_at';

function toInstance(row: InstanceRow): Instance {
  const instance: Instance = {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.description !== null) instance.description = row.description;
  return instance;
}

function alreadyExists(message: string, details: Record<string, unknown>): EventLogError {
  return new EventLogError('ALREADY_EXISTS', message, { details });
}

function isEmptyObject(value: object): boolean {
  for (const _ in value) return false;
  return true;
}

/** The statements the adapter prepares once, when it opens. */
class Statements {
  readonly instanceById: Database.Statement;
  readonly instanceByName: Database.Statement;
  readonly instancePk: Database.Statement;
  readonly listInstances: Database.Statement;
  readonly insertInstance: Database.Statement;
  readonly autoCreateInstance: Database.Statement;
  readonly updateInstance: Database.Statement;
  readonly deleteEvents: Database.Statement;
  readonly deleteInstance: Database.Statement;
  readonly streamVersion: Database.Statement;
  readonly eventsByEventId: Database.Statement;
  readonly insertEvent: Database.Statement;
  readonly insertEvents: Database.Statement;
  readonly dataVersion: Database.Statement;

  constructor(db: Database.Database, dialect: SqlDialect) {
    this.instanceById = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE id = ?`);
    this.instanceByName = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances WHERE name = ?`);
    this.instancePk = db.prepare('SELECT pk FROM instances WHERE id = ?').pluck();
    this.listInstances = db.prepare(`SELECT ${INSTANCE_COLUMNS} FROM instances ORDER BY created_at, pk`);
    this.insertInstance = db.prepare(
      'INSERT INTO instances (id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.autoCreateInstance = db.prepare(
      'INSERT INTO instances (id, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.updateInstance = db.prepare(
      'UPDATE instances SET name = ?, description = ?, updated_at = ? WHERE pk = ?',
    );
    this.deleteEvents = db.prepare('DELETE FROM events WHERE instance_pk = ?');
    this.deleteInstance = db.prepare('DELETE FROM instances WHERE pk = ?');
    // ORDER BY … LIMIT 1 walks the (instance, stream, sequence) index backwards: one seek.
    this.streamVersion = db
      .prepare(
        'SELECT sequence_number FROM events WHERE instance_pk = ? AND stream_id = ? ORDER BY sequence_number DESC LIMIT 1',
      )
      .pluck();
    const columns = qualifyColumns(dialect, SQLITE_EVENT_LAYOUT);
    this.eventsByEventId = db.prepare(
      `SELECT ${eventSelectList(dialect, columns)} FROM events AS e WHERE e.instance_pk = ? AND e.event_id IN (SELECT value FROM json_each(?))`,
    );
    this.insertEvent = db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${EVENT_VALUES}`);
    this.insertEvents = db.prepare(
      `INSERT INTO events ${EVENT_COLUMNS} VALUES ${new Array(INSERT_CHUNK).fill(EVENT_VALUES).join(', ')}`,
    );
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }
}

/**
 * `PRAGMA journal_mode = WAL`, retried while another connection holds the lock. On a new file (still
 * in rollback mode) the switch reads first and then upgrades its lock, and SQLite answers a
 * contended upgrade with SQLITE_BUSY at once instead of calling the busy handler (waiting could
 * deadlock two upgraders). So several processes opening one new file together see "database is
 * locked" here unless someone retries: this waits (a few milliseconds, with jitter) and tries again,
 * for up to the busy timeout. It blocks the thread, but only while opening, and only under that race.
 */
function switchToWal(db: Database.Database, busyTimeoutMs: number): unknown {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return db.pragma('journal_mode = WAL', { simple: true });
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      sleepSync(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
    }
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (the constructor that opens the store is synchronous). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** Opens the database in the order that keeps concurrent openers of a new file safe. */
function openDatabase(options: ResolvedSqliteOptions): Database.Database {
  const db = new Database(options.file, { timeout: options.busyTimeoutMs });
  try {
    // 1. The busy timeout first, so everything after waits for other processes instead of failing.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
    if (!options.memory) {
      // 2. WAL: readers never block the writer. The switch is persistent and takes the lock.
      const mode = switchToWal(db, options.busyTimeoutMs);
      if (mode !== 'wal') {
        throw storageError(`SQLite refused WAL mode for ${options.file} (journal_mode is ${String(mode)}).`);
      }
    }
    // 3. Durability of each commit.
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.function(SQLITE_CANONICAL_JSON_FUNCTION, { deterministic: true }, canonicalJsonText);
    // 4. Migrations under BEGIN IMMEDIATE.
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

class SqliteAdapter implements StorageAdapter {
  readonly contract = STORAGE_ADAPTER_CONTRACT;
  readonly name = 'sqlite';
  readonly capabilities: Readonly<AdapterCapabilities>;
  readonly kv: KeyValueStore;

  private readonly options: ResolvedSqliteOptions;
  private readonly dialect = sqliteDialect({
    documents: 'jsonb',
    canonicalJsonFunction: SQLITE_CANONICAL_JSON_FUNCTION,
  });
  private readonly compiler: QueryCompiler = createQueryCompiler(this.dialect, {
    layout: SQLITE_EVENT_LAYOUT,
  });
  private readonly lock = new ConnectionLock<AdapterTransaction>();
  private readonly listeners = new Set<(signal: CommitSignal) => void>();
  private readonly prepared = new Map<string, Database.Statement>();

  private db: Database.Database | undefined;
  private statements!: Statements;
  private kvOps!: SqliteKvOperations;
  private openError: EventLogError | undefined;
  private writeTx!: Database.Transaction<(fn: () => unknown) => unknown>;
  private closing: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private dataVersion = 0;
  /** The statement being run, for STORAGE_ERROR details. */
  private statement: string | undefined;

  constructor(options: SqliteAdapterOptions) {
    this.options = resolveOptions(options);
    this.capabilities = Object.freeze({
      persistent: !this.options.memory,
      crossProcess: !this.options.memory,
      transactions: true,
      queryPushdown: true,
    });
    try {
      const db = openDatabase(this.options);
      this.db = db;
      this.statements = new Statements(db, this.dialect);
      this.kvOps = new SqliteKvOperations(db);
      this.writeTx = db.transaction((fn: () => unknown) => fn());
    } catch (error) {
      this.openError = this.wrap(error, `opening ${this.options.file}`);
    }
    this.kv = keyValueStore(
      this.kvOps,
      (fn) => this.run('reading the key-value store', fn),
      (fn) => this.write('writing the key-value store', fn),
    );
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** Turns anything thrown into an EventLogError (the sequence key violation into CONFLICT). */
  private wrap(error: unknown, action: string): EventLogError {
    if (EventLogError.isInstance(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return storageError(`SQLite failed while ${action}: ${message}`, error, this.statement);
  }

  private closedError(): EventLogError {
    return storageError('The SQLite adapter is closed: create a new sqliteAdapter() to use the store again.');
  }

  /** The connection, for work that is running now (queued work may still run during close()). */
  private connection(): Database.Database {
    if (this.openError !== undefined) throw this.openError;
    const db = this.db;
    if (db === undefined) throw this.closedError();
    return db;
  }

  /** Checks a new call: refused once close() was called, except from inside a running transaction. */
  private admit(): void {
    if (this.openError !== undefined) throw this.openError;
    if (this.db === undefined || (this.closing !== undefined && this.lock.current() === undefined)) {
      throw this.closedError();
    }
  }

  /** Runs an operation on the connection (after a transaction in flight, if any). */
  private run<R>(action: string, fn: () => R): Promise<R> {
    try {
      this.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lock.run(() => {
      try {
        this.connection();
        return fn();
      } catch (error) {
        throw this.wrap(error, action);
      }
    });
  }

  /** Runs a write in `BEGIN IMMEDIATE` (a savepoint inside `transaction(fn)`). */
  private write<R>(action: string, fn: () => R): Promise<R> {
    return this.run(action, () => this.writeTx.immediate(fn) as R);
  }

  /** All rows of a compiled statement, through the statement cache. */
  private readonly all = (statement: CompiledStatement): Row[] => {
    this.statement = statement.sql;
    let prepared = this.prepared.get(statement.sql);
    if (prepared === undefined) {
      prepared = this.connection().prepare(statement.sql);
      if (this.prepared.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.prepared.keys().next().value as string;
        this.prepared.delete(oldest);
      }
      this.prepared.set(statement.sql, prepared);
    }
    return prepared.all(...statement.params) as Row[];
  };

  /** Runs several reads in one snapshot. */
  private snapshot<R>(fn: () => R): R {
    const db = this.connection();
    if (db.inTransaction) return fn();
    db.exec('BEGIN');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * The private key of an instance id; `NOT_FOUND` when there is none. Not cached: another process
   * may delete an instance and auto-create one with the same id, and the lookup is one index seek.
   */
  private pkOf(instanceId: string): number {
    this.statement = this.statements.instancePk.source;
    const pk = this.statements.instancePk.get(instanceId) as number | undefined;
    if (pk === undefined) throw instanceNotFound(instanceId);
    return pk;
  }

  private instanceRow(ref: string, byName: boolean): InstanceRow | undefined {
    const s = this.statements;
    this.statement = s.instanceById.source;
    const row = s.instanceById.get(ref) as InstanceRow | undefined;
    if (row !== undefined || !byName) return row;
    this.statement = s.instanceByName.source;
    return s.instanceByName.get(ref) as InstanceRow | undefined;
  }

  private emit(signal: CommitSignal): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(signal);
      } catch (error) {
        try {
          this.options.onListenerError?.(error, signal);
        } catch {
          // A failing reporter must not fail a commit that already happened.
        }
      }
    }
  }

  /** Signals a commit: now, or after the enclosing `transaction(fn)` commits. */
  private signal(signal: CommitSignal): void {
    if (this.listeners.size === 0) return;
    const scope = this.lock.current();
    if (scope !== undefined) scope.afterCommit.push(() => this.emit(signal));
    else this.emit(signal);
  }

  private startPolling(): void {
    if (this.poller !== undefined || !this.capabilities.crossProcess || this.db === undefined) return;
    try {
      this.dataVersion = this.statements.dataVersion.get() as number;
    } catch {
      return;
    }
    this.poller = setInterval(() => {
      if (this.db === undefined || this.closing !== undefined) return;
      let version: number;
      try {
        version = this.statements.dataVersion.get() as number;
      } catch {
        return;
      }
      if (version !== this.dataVersion) {
        this.dataVersion = version;
        this.emit({ kind: 'unknown', instanceId: null });
      }
    }, this.options.pollIntervalMs);
    // Not unref'd: like a socket, an active watcher (a live subscription, `tail -f`) keeps the
    // process running until it is released or the adapter is closed.
  }

  private stopPolling(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
  }

  // ── StorageAdapter ──────────────────────────────────────────────────────────────────────────

  async ready(): Promise<void> {
    this.admit();
  }

  createInstance(input: NewInstance): Promise<Instance> {
    return this.write('creating an instance', () => {
      const { id, name } = input;
      const s = this.statements;
      this.statement = s.instanceByName.source;
      if (s.instanceByName.get(name) !== undefined) {
        throw alreadyExists(
          `An instance named "${name}" already exists. Choose another name, or use the existing instance.`,
          { name },
        );
      }
      if (this.instanceRow(name, false) !== undefined) {
        throw alreadyExists(
          `An instance whose id is "${name}" already exists, so "${name}" cannot name another instance (references accept ids and names). Choose another name.`,
          { name },
        );
      }
      if (this.instanceRow(id, true) !== undefined) {
        throw alreadyExists(`An instance with id or name "${id}" already exists. Choose another id.`, { id });
      }
      this.statement = this.statements.insertInstance.source;
      this.statements.insertInstance.run(
        id,
        name,
        input.description ?? null,
        input.createdAt,
        input.createdAt,
      );
      const instance: Instance = { id, name, createdAt: input.createdAt, updatedAt: input.createdAt };
      if (input.description !== undefined) instance.description = input.description;
      return instance;
    });
  }

  resolveInstance(ref: string): Promise<Instance | undefined> {
    return this.run('resolving an instance', () => {
      const row = this.instanceRow(ref, true);
      return row === undefined ? undefined : toInstance(row);
    });
  }

  listInstances(): Promise<Instance[]> {
    return this.run('listing instances', () => {
      this.statement = this.statements.listInstances.source;
      return (this.statements.listInstances.all() as InstanceRow[]).map(toInstance);
    });
  }

  updateInstance(id: string, patch: InstancePatch): Promise<Instance> {
    return this.write('updating an instance', () => {
      const row = this.instanceRow(id, false);
      if (row === undefined) throw instanceNotFound(id);
      const name = patch.name;
      if (name !== undefined && name !== row.name) {
        if (this.statements.instanceByName.get(name) !== undefined) {
          throw alreadyExists(`An instance named "${name}" already exists. Choose another name.`, { name });
        }
        const owner = this.statements.instanceById.get(name) as InstanceRow | undefined;
        if (owner !== undefined && owner.pk !== row.pk) {
          throw alreadyExists(
            `An instance whose id is "${name}" already exists, so "${name}" cannot name another instance (references accept ids and names). Choose another name.`,
            { name },
          );
        }
      }
      const next: InstanceRow = {
        ...row,
        name: name ?? row.name,
        description: patch.description === null ? null : (patch.description ?? row.description),
        updated_at: patch.updatedAt,
      };
      this.statement = this.statements.updateInstance.source;
      this.statements.updateInstance.run(next.name, next.description, next.updated_at, row.pk);
      return toInstance(next);
    });
  }

  deleteInstance(id: string): Promise<{ instance: Instance; deletedEvents: number }> {
    return this.write('deleting an instance', () => {
      const row = this.instanceRow(id, false);
      if (row === undefined) throw instanceNotFound(id);
      this.statement = this.statements.deleteEvents.source;
      const deletedEvents = this.statements.deleteEvents.run(row.pk).changes;
      this.statement = this.statements.deleteInstance.source;
      this.statements.deleteInstance.run(row.pk);
      this.signal({ kind: 'delete', instanceId: id });
      return { instance: toInstance(row), deletedEvents };
    });
  }

  append(request: AppendRequest): Promise<AppendOutcome> {
    return this.run('appending events', () => {
      let outcome: AppendOutcome;
      try {
        outcome = this.writeTx.immediate(() => this.appendInTransaction(request)) as AppendOutcome;
      } catch (error) {
        throw this.appendError(error, request);
      }
      const events = outcome.events;
      if (!outcome.duplicate && events.length > 0) {
        const last = events[events.length - 1] as EventRecord;
        this.signal({ kind: 'append', instanceId: last.instanceId, position: last.global_position });
      }
      return outcome;
    });
  }

  /** The append itself; runs inside `BEGIN IMMEDIATE`. */
  private appendInTransaction(request: AppendRequest): AppendOutcome {
    const s = this.statements;
    let row = this.instanceRow(request.instance, true);
    if (row === undefined) {
      if (!request.autoCreate) throw instanceNotFound(request.instance);
      this.statement = s.autoCreateInstance.source;
      s.autoCreateInstance.run(request.instance, request.instance, request.now, request.now);
      row = this.instanceRow(request.instance, true);
      if (row === undefined) throw storageError(`Could not create instance "${request.instance}".`);
    }
    const pk = row.pk;
    const instanceId = row.id;
    const input = request.events;

    let existing: Map<string, EventRecord> | undefined;
    const eventIds = eventIdsOf(request);
    if (eventIds.length > 0) {
      this.statement = s.eventsByEventId.source;
      const rows = s.eventsByEventId.all(pk, JSON.stringify(eventIds)) as Row[];
      if (rows.length > 0) {
        existing = new Map();
        for (const r of rows) {
          const record = decodeEvent(r, instanceId, this.dialect);
          existing.set(record.eventId as string, record);
        }
      }
    }

    const versions = new Map<string, number>();
    this.statement = s.streamVersion.source;
    for (let i = 0; i < input.length; i++) {
      const stream = (input[i] as (typeof input)[number]).streamId;
      if (!versions.has(stream))
        versions.set(stream, (s.streamVersion.get(pk, stream) as number | undefined) ?? 0);
    }

    const plan = planAppend(request, existing ?? new Map(), versions);
    if (plan.kind === 'duplicate') return { events: plan.events, duplicate: true };

    const rows = plan.rows;
    const n = rows.length;
    const out: EventRecord[] = new Array(n);
    let i = 0;
    if (n >= INSERT_CHUNK) {
      this.statement = s.insertEvents.source;
      const params: unknown[] = new Array(INSERT_CHUNK * 9);
      while (n - i >= INSERT_CHUNK) {
        for (let j = 0; j < INSERT_CHUNK; j++) {
          const { event, sequence } = rows[i + j] as (typeof rows)[number];
          const o = j * 9;
          params[o] = pk;
          params[o + 1] = event.streamId;
          params[o + 2] = sequence;
          params[o + 3] = event.eventType;
          params[o + 4] = event.id;
          params[o + 5] = event.eventId ?? null;
          params[o + 6] = event.timestamp;
          params[o + 7] = JSON.stringify(event.payload);
          params[o + 8] = isEmptyObject(event.metadata) ? '{}' : JSON.stringify(event.metadata);
        }
        // Under the write lock AUTOINCREMENT hands out consecutive rowids, in VALUES order.
        const last = Number(s.insertEvents.run(params).lastInsertRowid);
        for (let j = 0; j < INSERT_CHUNK; j++) {
          out[i + j] = this.record(
            rows[i + j] as (typeof rows)[number],
            instanceId,
            last - INSERT_CHUNK + 1 + j,
          );
        }
        i += INSERT_CHUNK;
      }
    }
    this.statement = s.insertEvent.source;
    for (; i < n; i++) {
      const planned = rows[i] as (typeof rows)[number];
      const { event, sequence } = planned;
      const position = s.insertEvent.run(
        pk,
        event.streamId,
        sequence,
        event.eventType,
        event.id,
        event.eventId ?? null,
        event.timestamp,
        JSON.stringify(event.payload),
        isEmptyObject(event.metadata) ? '{}' : JSON.stringify(event.metadata),
      ).lastInsertRowid;
      out[i] = this.record(planned, instanceId, Number(position));
    }
    return { events: out, duplicate: false };
  }

  private record(
    planned: { event: AppendRequest['events'][number]; sequence: number },
    instanceId: string,
    position: number,
  ): EventRecord {
    const { event } = planned;
    const record: EventRecord = {
      id: event.id,
      instanceId,
      stream_id: event.streamId,
      event_type: event.eventType,
      payload: event.payload,
      metadata: event.metadata,
      timestamp: event.timestamp,
      sequence_number: planned.sequence,
      global_position: position,
    };
    if (event.eventId !== undefined) record.eventId = event.eventId;
    return record;
  }

  /** Only the stream-sequence key is a CONFLICT; every other failure is a STORAGE_ERROR. */
  private appendError(error: unknown, request: AppendRequest): EventLogError {
    if (
      !EventLogError.isInstance(error) &&
      error instanceof Database.SqliteError &&
      error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
      error.message.includes(SEQUENCE_KEY_VIOLATION)
    ) {
      // Unreachable while every writer holds the write lock; kept so a broken invariant reads as a conflict.
      const streamId = request.events[0]?.streamId ?? 'default';
      let actualVersion = 0;
      try {
        const row = this.instanceRow(request.instance, true);
        if (row !== undefined)
          actualVersion = (this.statements.streamVersion.get(row.pk, streamId) as number | undefined) ?? 0;
      } catch {
        // Report the conflict with what is known.
      }
      const conflict = versionConflict({
        streamId,
        expectedVersion: request.expectedVersion?.raw ?? 'any',
        actualVersion,
      });
      return new EventLogError('CONFLICT', conflict.message, { cause: error, details: conflict.details });
    }
    return this.wrap(error, 'appending events');
  }

  query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
    return this.run('querying events', () =>
      this.snapshot(() =>
        this.compiler
          .compileQuery({ id: instanceId, key: this.pkOf(instanceId) }, query, limits)
          .executeSync(this.all),
      ),
    );
  }

  stats(instanceId: string): Promise<InstanceStats> {
    return this.run('computing statistics', () =>
      this.snapshot(() => {
        const row = this.instanceRow(instanceId, false);
        if (row === undefined) throw instanceNotFound(instanceId);
        const summary = this.compiler.compileStats({ id: row.id, key: row.pk }).executeSync(this.all);
        return {
          instanceId: row.id,
          name: row.name,
          ...summary,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
        };
      }),
    );
  }

  readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    return this.run('reading events', () => {
      const read = this.compiler.compileReadAfter(
        { id: request.instanceId, key: this.pkOf(request.instanceId) },
        { after: request.after, stream: request.stream, where: request.where, limit: request.limit },
      );
      return read.decode(this.all(read.statement));
    });
  }

  headPosition(instanceId: string): Promise<number> {
    return this.run('reading the head position', () =>
      this.compiler.compileHeadPosition({ id: instanceId, key: this.pkOf(instanceId) }).executeSync(this.all),
    );
  }

  watch(listener: (signal: CommitSignal) => void): Unsubscribe {
    this.admit();
    // A wrapper, so the same function watched twice is two subscriptions, each removed once.
    const entry = (signal: CommitSignal) => listener(signal);
    this.listeners.add(entry);
    this.startPolling();
    return () => {
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  transaction<T>(fn: (tx: AdapterTransaction) => Promise<T>): Promise<T> {
    const outer = this.lock.current();
    // Inside another transaction's callback: join it (its commit covers these writes too).
    if (outer !== undefined) return fn(outer.value);
    try {
      this.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.lock.exclusive(async () => {
      const db = this.connection();
      const scope: TransactionScope<AdapterTransaction> = {
        active: true,
        afterCommit: [],
        value: { kv: this.transactionKv(() => scope.active), driver: db },
      };
      try {
        this.statement = 'BEGIN IMMEDIATE';
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        scope.active = false;
        throw this.wrap(error, 'starting a transaction');
      }
      let result: T;
      try {
        result = await this.lock.within(scope, () => fn(scope.value));
        this.statement = 'COMMIT';
        db.exec('COMMIT');
      } catch (error) {
        scope.active = false;
        if (db.inTransaction) {
          try {
            db.exec('ROLLBACK');
          } catch {
            // The original error says more than a failed rollback.
          }
        }
        throw EventLogError.isInstance(error) || !(error instanceof Database.SqliteError)
          ? error
          : this.wrap(error, 'running a transaction');
      }
      scope.active = false;
      for (const after of scope.afterCommit) after();
      return result;
    });
  }

  /** The key-value store handed to a transaction: direct calls on the open transaction. */
  private transactionKv(active: () => boolean): KeyValueStore {
    const guarded = <R>(fn: () => R): Promise<R> => {
      if (!active()) {
        return Promise.reject(
          storageError('This transaction has finished: use its key-value store inside its callback only.'),
        );
      }
      try {
        return Promise.resolve(fn());
      } catch (error) {
        return Promise.reject(this.wrap(error, 'using the key-value store in a transaction'));
      }
    };
    return keyValueStore(this.kvOps, guarded, guarded);
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.stopPolling();
    this.listeners.clear();
    // Behind any transaction in flight, so it can finish (or fail) before the connection goes.
    this.closing = this.lock.exclusive(async () => {
      const db = this.db;
      this.db = undefined;
      this.prepared.clear();
      if (db?.open) db.close();
    });
    return this.closing;
  }
}

/**
 * Creates the SQLite storage adapter (better-sqlite3), the embedded default: a file (or
 * `':memory:'`) holding instances, events and the key-value store, shared safely by several
 * processes.
 *
 * On open it sets the busy timeout, switches to WAL, sets `synchronous` (FULL by default) and applies
 * the bundled drizzle migrations under `BEGIN IMMEDIATE`. Opening never throws for a store problem:
 * `ready()` and every method then reject with `STORAGE_ERROR` (for example, a store written by a
 * newer version). Invalid options throw a TypeError at once.
 *
 * Capabilities: `persistent` and `crossProcess` (both false for `':memory:'`), `transactions`
 * (`tx.driver` is the better-sqlite3 `Database`, inside `BEGIN IMMEDIATE`), `queryPushdown`.
 *
 * @example
 * import { createEventLog } from '@eventlog/core';
 * import { sqliteAdapter } from '@eventlog/sqlite';
 *
 * const log = createEventLog({ adapter: sqliteAdapter({ file: './events.db' }) });
 * const fast = sqliteAdapter({ file: './events.db', durability: 'normal', busyTimeoutMs: 10_000 });
 */
export function sqliteAdapter(options: SqliteAdapterOptions): StorageAdapter {
  return new SqliteAdapter(options);
}
