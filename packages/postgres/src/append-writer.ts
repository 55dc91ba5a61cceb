/**
 * One append transaction for a group of calls to one instance reference.
 *
 * **A lone call** (the coalescer's group holds one call: sequential appends) is one statement and
 * one round trip: `select * from append_events(...)`, a plpgsql function of migration 0005, sent
 * on the pool outside an explicit transaction, so the statement is its own (implicit) transaction
 * — no reserved connection, no `begin` or `commit`. Inside, it takes the instance's advisory lock
 * and then, each statement of the function taking a new READ COMMITTED snapshot, reads what the
 * previous holder of the lock committed: the stream versions (checking `expectedVersion`), the
 * eventIds (a stored one sends the call to the general path, which returns the duplicate), the
 * condition (its probe, compiled here by `functionProbe`, prepared once per connection and shape
 * since migration 0008), the head;
 * it writes the key-value writes and inserts the events, their tags, type counts and new streams
 * (0006's version of the function). The lock is held until the implicit commit. A failed check
 * comes back as the versions read and the first position matching the condition, and core's
 * `planAppend` names the CONFLICT. A missing or renamed instance, or a unique violation, writes
 * nothing and takes the general path. (Not with a `beforeAppendCommit` hook or replicas: both need
 * the transaction open around the insert.)
 *
 * **Unconditional groups** (no call has eventIds or a version check, the common case) need no
 * facts from the database before their insert, so the whole transaction goes in one round trip:
 * `begin`; resolve the reference and take the instance's advisory lock; insert every call's
 * events, numbering each stream on from its last sequence number (a separate statement after the
 * lock, so, READ COMMITTED, its snapshot includes everything the previous holder of the lock
 * committed); `commit`. When the insert finds nothing to write into (the instance is missing, must
 * be auto-created, or was renamed meanwhile) it writes nothing and the group takes the general
 * path.
 *
 * **A single call without eventIds** (version checks, a condition, key-value writes) that cannot
 * take the one-statement path (a hook or replicas, see above) goes in one round trip too:
 * `appendChecked` reads the stream versions and probes the condition in CTEs after the lock and
 * inserts only when they hold (writing the key-value writes with the events); when they do not,
 * nothing is written and core's `planAppend`, over what the statement read, names the same
 * CONFLICT as the general path would.
 *
 * **The general path**, two round trips pipelined on one reserved connection:
 * 1. `begin`; resolve the reference and take the instance's advisory lock; read the last sequence
 *    number of every stream of the group and the stored events holding the group's eventIds
 *    (separate statements after the lock, as above).
 * 2. The insert of every accepted call's events (one statement) and `commit`.
 * Between the two, each call is decided on its own with core's `planAppend` against the versions
 * left by the calls before it, so a conflicting call fails alone.
 *
 * **Large transactions** (at least `copyMinEvents` events, default 5000, one call or a group) take
 * the general path and write their rows with `COPY ... FROM STDIN` instead of the insert (see
 * `copy-rows.ts`); one more statement then adds their tags and type counts and returns their
 * positions (every row of the instance past the head read under the lock is one the COPY wrote,
 * in event order). Same checks, same decisions, same lock: only the way the rows travel differs.
 *
 * Otherwise the events travel as one JSON parameter (see `event-rows.ts`), positions come from an
 * uncached sequence inside the lock, and the lock is held until commit: within an instance,
 * positions become visible in increasing order. Then the adapter signals the commit (local
 * watchers at once, other processes by NOTIFY).
 */

import {
  type CommittedEvents,
  type EventRecord,
  instanceNotFound,
  isUnconditionalAppend,
  planAppend,
  storageError,
  versionChecksOf,
  versionConflict,
} from '@eventlog/core';
import {
  type AppendDecision,
  conditionProbe,
  decideAppends,
  decodeEvent,
  type EventTableLayout,
  eventIdsOfGroup,
  insertedRecords,
  kvWritesOf,
  type PendingAppend,
  type PlannedRow,
  type Row,
  type SqlDialect,
  type StoreStatements,
  settleAppends,
  streamsOfGroup,
} from '@eventlog/sql';
import { copyRows } from './copy-rows.js';
import { encodeEvents } from './event-rows.js';
import type { AppendTransactionInfo, PostgresAdapterHooks } from './options.js';
import { type PgClient, PREPARED } from './pg-client.js';
import { findPgError, isServerError, isUniqueViolation, wrapDriverError } from './pg-errors.js';
import { STREAM_SEQUENCE_KEY } from './schema.js';
import type { Statements } from './statements.js';

/** What the writer needs from the adapter. */
export interface AppendWriterContext {
  sql: PgClient;
  statements: Statements;
  /** The shared statements of the store (auto-creating an instance). */
  store: StoreStatements;
  /** Decodes stored events; builds condition probes. */
  dialect: SqlDialect;
  /** The events table (and its tag table) as the condition probes read them. */
  layout: EventTableLayout;
  schema: string;
  /** The seed of instance lock keys (known once the adapter is open). */
  lockSeed(): number;
  hooks: PostgresAdapterHooks;
  /** Transactions inserting at least this many events write them with COPY (see `copy-rows.ts`). */
  copyMinEvents: number;
  /**
   * Called after a commit with what it wrote (in position order) and the instance's head before it,
   * before the calls are settled; `listened` tells whether some process was listening when the
   * transaction looked (a NOTIFY is due then, see `CommitNotifier`).
   */
  onCommitted(
    instanceId: string,
    listened: boolean,
    committed: CommittedEvents & { withheld?: boolean },
  ): void;
  /** With replicas: told the primary's WAL position after each commit (see `#commit`). */
  onLsn?: ((lsn: string) => void) | undefined;
}

type Reserved = Awaited<ReturnType<PgClient['reserve']>>;

/** The primary's current WAL position, as text (`0/16B3748`). */
export const WAL_POSITION = 'select pg_current_wal_insert_lsn()::text as lsn';

/** The instance a transaction locked (`lockInstanceRef` notes it in this setting). */
const LOCKED_INSTANCE = `current_setting('eventlog.append_instance')`;

const RETRY = Symbol('retry');
const FALLBACK = Symbol('fallback');
/** The unconditional path wrote nothing: take the general path. */
const GENERAL = Symbol('general');
/** Renames and deletes racing with an append make it start over; this many times at most. */
const MAX_ATTEMPTS = 100;

/** What `appendChecked` returns besides the inserted rows: what its checks found. */
interface CheckedRow extends InsertedRow {
  found: number | string;
  versions_ok: boolean;
  actual: Record<string, number> | null;
  conflict: number | string | null;
}

type AppendRequestOf = PendingAppend['request'];

/** A call's version checks as the checked statements read them (jsonb `[{ s, k, v }]`). */
function checkRows(request: AppendRequestOf): Array<{ s: string; k: string; v: number }> {
  return versionChecksOf(request).map((c) => ({
    s: c.streamId,
    k: c.check.kind,
    v: c.check.kind === 'exact' ? c.check.version : 0,
  }));
}

/** A call's key-value writes as the checked statements write them (jsonb `[{ n, k, v }]`). */
function kvRows(request: AppendRequestOf): Array<{ n: string; k: string; v: unknown }> {
  return (request.kvWrites ?? []).map((w) => ({ n: w.namespace, k: w.key, v: w.value }));
}

/**
 * A condition's probe as `append_events` runs it (`EXECUTE probe USING instance, texts, numbers`):
 * `$1` the locked instance's id, each string parameter (a tag, a type) an element of the text array
 * `$2`, each number (`after`) one of the bigint array `$3`. Values are bound, never spliced.
 */
export function functionProbe(
  ctx: Pick<AppendWriterContext, 'dialect' | 'layout'>,
  condition: NonNullable<AppendRequestOf['condition']>,
): { sql: string; texts: string[]; numbers: number[] } {
  const texts: string[] = [];
  const numbers: number[] = [];
  const probe = conditionProbe(
    ctx.dialect,
    ctx.layout,
    condition,
    () => '$1',
    (_, value) =>
      typeof value === 'number' ? `$3[${numbers.push(value)}]` : `$2[${texts.push(String(value))}]`,
  );
  return { sql: probe.sql, texts, numbers };
}

/**
 * The error of a checked call whose in-statement checks failed: the same decision as the general
 * path's (core's `planAppend`, over the versions and the condition match the statement read).
 */
function checkFailure(pending: PendingAppend, facts: Pick<CheckedRow, 'actual' | 'conflict'>): unknown {
  const versions = new Map(Object.entries(facts.actual ?? {}).map(([stream, v]) => [stream, Number(v)]));
  const conflict = facts.conflict === null ? null : Number(facts.conflict);
  try {
    planAppend(
      pending.request,
      new Map(),
      versions,
      pending.request.condition === undefined ? undefined : conflict,
    );
  } catch (error) {
    return error;
  }
  return storageError('The append was refused by its checks, but they hold when checked again; retry.');
}

/** What `lockInstanceRef` returns: the locked id, and whether anyone listens. */
interface LockRow {
  id: string;
  listened: boolean;
  /** The instance has retention rules: its commits carry no events (readers read, and filter). */
  retained: boolean;
}

/** A row the inserts return: positions (and, from the one-round-trip insert, sequence numbers). */
interface InsertedRow {
  global_position: number;
  sequence_number?: number;
  /** From the one-round-trip insert: the instance's highest position before it. */
  previous?: number;
}

/** What `append_events` (the one-statement path) returns: see migrations 0004 and 0005. */
interface OneRow {
  /** 1 inserted, 2 a version check failed or the condition matched, 0 take the general path. */
  r_outcome: number;
  r_instance: string | null;
  r_listened: boolean | null;
  r_retained: boolean | null;
  r_previous: number | null;
  r_actual: Record<string, number> | null;
  r_position: number | null;
  r_sequence: number | null;
  /** With outcome 2: the first position matching the condition, or null. */
  r_conflict: number | string | null;
}

/** postgres.js error codes of a connection that could not be made: nothing was sent. */
const NOT_CONNECTED = new Set(['CONNECT_TIMEOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

interface VersionRow {
  id: string;
  stream: string;
  version: number | null;
}

/** Runs groups of appends; its {@link AppendWriter.run} is the coalescer's runner. */
export class AppendWriter {
  readonly #ctx: AppendWriterContext;

  constructor(context: AppendWriterContext) {
    this.#ctx = context;
  }

  /**
   * Sends `commit`, and right behind it on the same connection (when replicas are configured) the
   * primary's WAL position, which is at or past the commit's record: reads on replicas wait for
   * it (read-your-writes). Both in the round trip the commit is in.
   */
  #commit(conn: Reserved): Promise<unknown> {
    const commit = conn.unsafe('commit').execute();
    const track = this.#ctx.onLsn;
    if (track === undefined) return commit;
    const lsn = conn.unsafe<Array<{ lsn: string }>>(WAL_POSITION).execute();
    lsn.then(
      (rows) => {
        const value = rows[0]?.lsn;
        if (value !== undefined) track(value);
      },
      () => {},
    );
    return Promise.all([commit, lsn.catch(() => undefined)]);
  }

  /** Appends the group in one transaction, settling every call it does not return (deferred). */
  run = async (ref: string, group: PendingAppend[]): Promise<PendingAppend[]> => {
    const single = group.length === 1 ? group[0] : undefined;
    if (
      single !== undefined &&
      single.request.events.length < this.#ctx.copyMinEvents &&
      this.#oneStatementFits()
    ) {
      const outcome = await this.#appendOne(ref, single);
      if (outcome !== GENERAL) return outcome;
    }
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let conn: Reserved;
      try {
        conn = await this.#ctx.sql.reserve();
      } catch (error) {
        throw wrapDriverError(error, 'getting a connection to append');
      }
      let outcome: PendingAppend[] | typeof RETRY | typeof FALLBACK;
      try {
        outcome = await this.#attempt(conn, ref, group);
      } catch (error) {
        // Never hand a connection back to the pool inside a transaction (a hook may have thrown).
        await rollback(conn);
        throw error;
      } finally {
        conn.release();
      }
      if (outcome === FALLBACK) {
        // The group's insert failed: retry each call alone, so one call's failure stays its own.
        for (const pending of group) {
          try {
            // Alone, a call is never deferred: no earlier call of its group claimed its eventIds.
            await this.run(ref, [pending]);
          } catch (error) {
            pending.reject(error);
          }
        }
        return [];
      }
      if (outcome !== RETRY) return outcome;
    }
    throw storageError(
      `Appending to "${ref}" kept racing with renames or deletes of the instance (${MAX_ATTEMPTS} attempts); retry later.`,
    );
  };

  /**
   * Whether a lone call can take the one-statement path: nothing must run inside the transaction
   * besides the statement (a `beforeAppendCommit` hook, the WAL position read for replicas).
   */
  #oneStatementFits(): boolean {
    return this.#ctx.hooks.beforeAppendCommit === undefined && this.#ctx.onLsn === undefined;
  }

  /**
   * A lone call in one statement and one round trip: `append_events` (migration 0004), sent on the
   * pool outside an explicit transaction, so the statement is its own transaction (see the module
   * comment). GENERAL when it wrote nothing the general path must decide instead.
   */
  async #appendOne(ref: string, pending: PendingAppend): Promise<PendingAppend[] | typeof GENERAL> {
    const S = this.#ctx.statements;
    const { request } = pending;
    const { events } = request;
    const encoded = encodeEvents(events);
    const checks = checkRows(request);
    const eventIds = eventIdsOfGroup([pending]);
    const probe = request.condition === undefined ? undefined : functionProbe(this.#ctx, request.condition);
    const kv = kvRows(request);
    let rows: OneRow[];
    try {
      rows = await this.#ctx.sql
        .unsafe<OneRow[]>(
          S.appendOne,
          [
            ref,
            this.#ctx.lockSeed(),
            this.#ctx.schema,
            encoded.rows,
            encoded.stream,
            encoded.timestamp,
            encoded.streams,
            checks.length === 0 ? null : checks,
            eventIds.length === 0 ? null : eventIds,
            probe?.sql ?? null,
            probe?.texts ?? null,
            probe?.numbers ?? null,
            kv.length === 0 ? null : kv,
          ] as never[],
          PREPARED,
        )
        .execute();
    } catch (error) {
      if (!isServerError(error)) {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && NOT_CONNECTED.has(code)) {
          throw wrapDriverError(error, 'getting a connection to append');
        }
        throw unknownOutcome(ref, error);
      }
      // The server refused it, so its transaction rolled back: a unique key (someone wrote without
      // the lock, an eventId twice in the call) is for the general path to decide.
      if (findPgError(error)?.code === '23505') return GENERAL;
      throw wrapDriverError(error, `appending to "${ref}"`, S.appendOne);
    }
    const first = rows[0];
    if (first === undefined || first.r_outcome === 0) return GENERAL;
    if (first.r_outcome === 2) {
      // A check failed, so nothing was written: the shared decision names the conflict.
      pending.reject(checkFailure(pending, { actual: first.r_actual, conflict: first.r_conflict }));
      return [];
    }
    const locked: LockRow = {
      id: first.r_instance as string,
      listened: first.r_listened === true,
      retained: first.r_retained === true,
    };
    const inserted = inEventOrder(
      ref,
      rows.map((r) => ({ global_position: Number(r.r_position), sequence_number: Number(r.r_sequence) })),
      events.length,
    );
    const info = { instanceId: locked.id, requests: 1, events: events.length };
    const decisions: AppendDecision[] = [{ pending, kind: 'insert', start: 0, count: events.length }];
    const planned: PlannedRow[] = events.map((event, k) => ({
      event,
      sequence: inserted[k]?.sequence_number as number,
    }));
    this.#committed(info, locked, Number(first.r_previous ?? 0), inserted, decisions, planned);
    return [];
  }

  async #attempt(
    conn: Reserved,
    ref: string,
    group: PendingAppend[],
  ): Promise<PendingAppend[] | typeof RETRY | typeof FALLBACK> {
    let events = 0;
    for (const pending of group) events += pending.request.events.length;
    // Large transactions write with COPY, which only the general path does.
    if (events >= this.#ctx.copyMinEvents) return this.#attemptChecked(conn, ref, group);
    if (group.every(isUnconditional)) {
      const outcome = await this.#attemptUnconditional(conn, ref, group);
      if (outcome !== GENERAL) return outcome;
    } else if (group.length === 1 && eventIdsOfGroup(group).length === 0) {
      // One call whose checks need no eventIds: checked inside its insert, one round trip too.
      const outcome = await this.#attemptUnconditional(conn, ref, group, group[0]);
      if (outcome !== GENERAL) return outcome;
    }
    return this.#attemptChecked(conn, ref, group);
  }

  /** The one-round-trip statement of a single checked call (see `appendChecked`). */
  #checkedStatement(ref: string, pending: PendingAppend, encoded: ReturnType<typeof encodeEvents>) {
    const { request } = pending;
    const checks = checkRows(request);
    const kv = kvRows(request);
    const probe =
      request.condition === undefined
        ? undefined
        : conditionProbe(this.#ctx.dialect, this.#ctx.layout, request.condition, () => LOCKED_INSTANCE, 8);
    return {
      text: this.#ctx.statements.appendChecked(probe?.sql, encoded.tagged),
      params: [
        ref,
        encoded.rows,
        encoded.stream,
        encoded.timestamp,
        encoded.streams,
        checks,
        kv,
        ...(probe?.params ?? []),
      ] as never[],
    };
  }

  /**
   * The one-round-trip transaction of an unconditional group, or of one `checked` call whose
   * checks run inside its insert (see the module comment).
   */
  async #attemptUnconditional(
    conn: Reserved,
    ref: string,
    group: PendingAppend[],
    checked?: PendingAppend,
  ): Promise<PendingAppend[] | typeof RETRY | typeof FALLBACK | typeof GENERAL> {
    const S = this.#ctx.statements;
    const hold = this.#ctx.hooks.beforeAppendCommit;
    const events = group.flatMap((p) => p.request.events);
    const encoded = encodeEvents(events);
    const statement =
      checked === undefined
        ? {
            text: encoded.tagged ? S.appendUnconditionalTagged : S.appendUnconditional,
            params: [ref, encoded.rows, encoded.stream, encoded.timestamp, encoded.streams] as never[],
          }
        : this.#checkedStatement(ref, checked, encoded);
    const [begin, lock, insert, early] = await Promise.allSettled([
      conn.unsafe('begin').execute(),
      conn.unsafe<LockRow[]>(S.lockInstanceRef, [ref, this.#ctx.lockSeed()], PREPARED).execute(),
      conn.unsafe<InsertedRow[]>(statement.text, statement.params, PREPARED).execute(),
      // A hook that holds the transaction open runs between the insert and the commit.
      hold === undefined ? this.#commit(conn) : Promise.resolve(undefined),
    ]);
    for (const r of [begin, lock]) {
      if (r.status === 'rejected') {
        await rollback(conn);
        throw wrapDriverError(r.reason, `appending to "${ref}" (locking the instance)`);
      }
    }
    if (insert.status === 'rejected') {
      const error = insert.reason;
      if (!isServerError(error)) throw unknownOutcome(ref, error);
      // The server refused the insert and the transaction rolled back (or will, below).
      await rollback(conn);
      // Someone wrote a stream without our lock: unconditional calls must still succeed.
      if (isUniqueViolation(error, STREAM_SEQUENCE_KEY)) return RETRY;
      if (group.length > 1) return FALLBACK;
      throw wrapDriverError(error, `appending to "${ref}"`, statement.text);
    }
    let inserted: readonly InsertedRow[] = insert.value;
    if (checked !== undefined) {
      const facts = inserted[0] as CheckedRow | undefined;
      if (facts === undefined || Number(facts.found) === 0) {
        inserted = [];
      } else if (!facts.versions_ok || facts.conflict !== null) {
        // A check failed, so nothing was written: the shared decision names the conflict.
        if (hold !== undefined) await rollback(conn);
        else if (early.status === 'rejected') throw unknownOutcome(ref, early.reason);
        checked.reject(checkFailure(checked, facts));
        return [];
      }
    }
    if (inserted.length === 0) {
      // Nothing written: the general path creates the instance, reports it missing, or retries.
      if (hold !== undefined) await rollback(conn);
      else if (early.status === 'rejected') throw unknownOutcome(ref, early.reason);
      return GENERAL;
    }
    const locked = (lock as PromiseFulfilledResult<LockRow[]>).value[0] as LockRow;
    const instanceId = locked.id;
    const info = { instanceId, requests: group.length, events: events.length };
    let committed = early;
    if (hold !== undefined) {
      await hold(info);
      [committed] = await Promise.allSettled([this.#commit(conn)]);
    }
    if (committed?.status === 'rejected') throw unknownOutcome(ref, committed.reason);

    const ordered = inEventOrder(ref, inserted, events.length);
    const decisions: AppendDecision[] = [];
    let start = 0;
    for (const pending of group) {
      decisions.push({ pending, kind: 'insert', start, count: pending.request.events.length });
      start += pending.request.events.length;
    }
    const rows: PlannedRow[] = events.map((event, k) => ({
      event,
      sequence: ordered[k]?.sequence_number as number,
    }));
    const previous = Number(ordered[0]?.previous ?? 0);
    this.#committed(info, locked, previous, ordered, decisions, rows);
    return [];
  }

  /**
   * Signals a commit, then settles its calls; `inserted` is in event order, aligned with `rows`;
   * `previous` is the instance's highest position before the commit (read under the lock).
   */
  #committed(
    info: AppendTransactionInfo,
    locked: LockRow | undefined,
    previous: number,
    inserted: readonly InsertedRow[],
    decisions: readonly AppendDecision[],
    rows: readonly PlannedRow[],
  ): void {
    const positions = inserted.map((row) => row.global_position);
    const head = positions[positions.length - 1] as number;
    const records = insertedRecords(rows, info.instanceId, positions);
    try {
      this.#ctx.hooks.onAppendCommit?.({ ...info, position: head });
    } catch {
      // Instrumentation must not turn a committed append into a failed one.
    }
    this.#ctx.onCommitted(info.instanceId, locked?.listened === true, {
      previous,
      events: records,
      // Retention may hide an event the moment it commits: then readers read, and filter.
      ...(locked?.retained === true ? { withheld: true } : {}),
    });
    settleAppends(decisions, records);
  }

  /** The general path (see the module comment). */
  async #attemptChecked(
    conn: Reserved,
    ref: string,
    group: PendingAppend[],
  ): Promise<PendingAppend[] | typeof RETRY | typeof FALLBACK> {
    const S = this.#ctx.statements;
    const streams = streamsOfGroup(group);
    const eventIds = eventIdsOfGroup(group);

    // Conditions are probed after the lock, for the locked instance (see append-condition.ts).
    const conditional = group.filter((p) => p.request.condition !== undefined);
    // Statements go out in the order they are created: the probes after the lock.
    const probes = () =>
      conditional.map((p) => {
        const probe = conditionProbe(
          this.#ctx.dialect,
          this.#ctx.layout,
          p.request.condition as NonNullable<typeof p.request.condition>,
          () => LOCKED_INSTANCE,
        );
        return conn
          .unsafe<Array<{ p: number | null }>>(probe.sql, probe.params as never[], PREPARED)
          .execute();
      });
    const [begin, lock, facts, stored, head, ...matches] = await Promise.allSettled([
      conn.unsafe('begin').execute(),
      conn.unsafe<LockRow[]>(S.lockInstanceRef, [ref, this.#ctx.lockSeed()], PREPARED).execute(),
      conn.unsafe<VersionRow[]>(S.streamVersions, [ref, streams], PREPARED).execute(),
      eventIds.length > 0
        ? conn.unsafe<Row[]>(S.eventsByEventId, [eventIds], PREPARED).execute()
        : Promise.resolve([] as Row[]),
      conn.unsafe<Array<{ head: number }>>(S.lockedHead, [], PREPARED).execute(),
      ...probes(),
    ]);
    for (const r of [begin, lock, facts, stored, head, ...matches]) {
      if (r.status === 'rejected') {
        await rollback(conn);
        throw wrapDriverError(r.reason, `appending to "${ref}" (locking the instance and reading versions)`);
      }
    }
    const locked = (lock as PromiseFulfilledResult<LockRow[]>).value[0];
    const lockedId = locked?.id;
    const versionRows = (facts as PromiseFulfilledResult<VersionRow[]>).value;
    const storedRows = (stored as PromiseFulfilledResult<Row[]>).value;
    const previous = Number((head as PromiseFulfilledResult<Array<{ head: number }>>).value[0]?.head ?? 0);

    let instanceId = versionRows[0]?.id;
    if (instanceId === undefined) {
      const creator = group.find((p) => p.request.autoCreate);
      if (creator === undefined) {
        await rollback(conn);
        for (const p of group) p.reject(instanceNotFound(p.request.instance));
        return [];
      }
      // The lock was taken on the reference itself, the id the new instance gets; if the
      // reference named an instance that was deleted meanwhile, start over with the right lock.
      if (lockedId !== ref) return rollbackAnd(conn, RETRY);
      const now = creator.request.now;
      const create = this.#ctx.store.autoCreateInstance(ref, ref, now, now, ref, ref);
      const [catalog, created] = await Promise.allSettled([
        conn.unsafe(S.lockCatalog, [this.#ctx.schema], PREPARED).execute(),
        conn.unsafe<Row[]>(create.sql, create.params as never[], PREPARED).execute(),
      ]);
      if (catalog.status === 'rejected' || created.status === 'rejected') {
        await rollback(conn);
        const reason =
          catalog.status === 'rejected' ? catalog.reason : (created as PromiseRejectedResult).reason;
        throw wrapDriverError(reason, `creating the instance "${ref}"`);
      }
      // Someone created an instance with this id or name meanwhile: start over and use it.
      if (created.value.length === 0) return rollbackAnd(conn, RETRY);
      instanceId = ref;
    } else if (instanceId !== lockedId) {
      // Renamed or deleted between resolving and locking: the lock is not this instance's.
      return rollbackAnd(conn, RETRY);
    }

    const versions = new Map<string, number>();
    for (const row of versionRows) if (row.version !== null) versions.set(row.stream, row.version);
    const storedById = new Map<string, EventRecord>();
    for (const row of storedRows) {
      const record = decodeEvent(row, instanceId, this.#ctx.dialect);
      storedById.set(record.eventId as string, record);
    }
    const conditionMatches = new Map<PendingAppend, number | null>();
    conditional.forEach((p, k) => {
      const match = matches[k] as PromiseFulfilledResult<Array<{ p: number | null }>>;
      const position = match.value[0]?.p;
      conditionMatches.set(p, position === null || position === undefined ? null : Number(position));
    });
    const { decisions, rows, deferred } = decideAppends(group, {
      stored: storedById,
      versions,
      conditionMatches,
    });

    if (rows.length === 0) {
      // Nothing to write (duplicates and conflicts only): an auto-created instance goes too.
      await rollback(conn);
      settleAppends(decisions, []);
      return deferred;
    }

    const info = { instanceId, requests: decisions.length, events: rows.length };
    const copy = rows.length >= this.#ctx.copyMinEvents;
    const insert = copy ? this.#copy(conn, instanceId, previous, rows) : this.#insert(conn, instanceId, rows);
    // Nothing else may be sent on the connection while a COPY runs.
    if (copy) await insert.catch(() => {});
    // Snapshots and other key-value writes commit with the events (after the insert, before the commit).
    const kvWrites = kvWritesOf(decisions).map((write) => {
      const upsert = this.#ctx.store.kvUpsert(write.namespace, write.key, JSON.stringify(write.value));
      return conn.unsafe(upsert.sql, upsert.params as never[], PREPARED).execute();
    });
    const written = Promise.all(kvWrites);
    const hold = this.#ctx.hooks.beforeAppendCommit;
    if (hold !== undefined) {
      await insert.catch(() => {});
      await hold(info);
    }
    const commit = this.#commit(conn);
    const [inserted, committed, kv] = await Promise.allSettled([insert, commit, written]);
    if (inserted.status === 'fulfilled' && kv.status === 'rejected') {
      // The key-value writes failed, so the transaction rolled back: nothing was stored.
      throw wrapDriverError(kv.reason, `appending to "${ref}" (writing the key-value store)`);
    }
    if (inserted.status === 'rejected') {
      const error = inserted.reason;
      if (!isServerError(error)) throw unknownOutcome(ref, error);
      // The server refused the insert and the transaction rolled back.
      if (group.length > 1) return FALLBACK;
      if (isUniqueViolation(error, STREAM_SEQUENCE_KEY)) {
        // Someone wrote the stream without our lock. Without an exact expectedVersion the call
        // must still succeed: start over. With one, it is a version conflict.
        const request = group[0]?.request;
        const expected =
          request === undefined ? undefined : versionChecksOf(request).find((c) => c.check.kind === 'exact');
        if (expected === undefined) return RETRY;
        const actual = await this.#currentVersion(instanceId, expected.streamId);
        group[0]?.reject(
          versionConflict({
            streamId: expected.streamId,
            expectedVersion: expected.raw,
            actualVersion: actual,
          }),
        );
        return [];
      }
      throw wrapDriverError(error, `appending to "${ref}"`, S.insertEvents);
    }
    if (committed.status === 'rejected') throw unknownOutcome(ref, committed.reason);

    const ordered = inEventOrder(ref, inserted.value, rows.length);
    this.#committed(info, locked, previous, ordered, decisions, rows);
    return deferred;
  }

  /** The general path's insert: one statement (see `insertEvents`). */
  #insert(conn: Reserved, instanceId: string, rows: readonly PlannedRow[]): Promise<InsertedRow[]> {
    const S = this.#ctx.statements;
    const encoded = encodeEvents(
      rows.map((r) => r.event),
      rows.map((r) => r.sequence),
    );
    return conn
      .unsafe<InsertedRow[]>(
        encoded.tagged ? S.insertEventsTagged : S.insertEvents,
        [instanceId, encoded.rows as never, encoded.stream, encoded.timestamp],
        PREPARED,
      )
      .execute();
  }

  /**
   * The general path's insert of a large transaction: the rows by COPY, then (a statement) their
   * tags, type counts and new streams (see `copiedEvents`), and their positions: every row of the
   * instance past `previous`, the head read under the lock, is one the COPY wrote, in event order.
   */
  async #copy(
    conn: Reserved,
    instanceId: string,
    previous: number,
    rows: readonly PlannedRow[],
  ): Promise<InsertedRow[]> {
    const S = this.#ctx.statements;
    await copyRows(conn.unsafe(S.copyEvents) as never, instanceId, rows);
    return conn.unsafe<InsertedRow[]>(S.copiedEvents, [instanceId, previous], PREPARED).execute();
  }

  async #currentVersion(instanceId: string, streamId: string): Promise<number> {
    try {
      const [row] = await this.#ctx.sql.unsafe<Array<{ version: number }>>(
        this.#ctx.statements.streamVersion,
        [instanceId, streamId],
        PREPARED,
      );
      return row?.version ?? 0;
    } catch (error) {
      throw wrapDriverError(error, 'reading a stream version');
    }
  }
}

/**
 * True when a call needs no facts before its insert (core's rule: no eventIds, no version check,
 * no condition) and writes nothing besides its events (no key-value writes).
 */
function isUnconditional(pending: PendingAppend): boolean {
  const { request } = pending;
  return isUnconditionalAppend(request) && (request.kvWrites === undefined || request.kvWrites.length === 0);
}

/**
 * The inserted rows in event order. The inserts insert in event order and draw each position as
 * they insert a row, so event order is position order; RETURNING gives rows in that order too, and
 * sorting is only a safeguard. Throws when the count is not the number of events sent (it cannot
 * happen: every event is inserted, or the statement fails).
 */
function inEventOrder(
  ref: string,
  inserted: readonly InsertedRow[],
  expected: number,
): readonly InsertedRow[] {
  if (inserted.length !== expected) {
    throw storageError(
      `Appending to "${ref}" stored ${inserted.length} events instead of ${expected}; read the stream before retrying.`,
    );
  }
  for (let k = 1; k < inserted.length; k++) {
    if ((inserted[k] as InsertedRow).global_position < (inserted[k - 1] as InsertedRow).global_position) {
      return [...inserted].sort((a, b) => a.global_position - b.global_position);
    }
  }
  return inserted;
}

function unknownOutcome(ref: string, error: unknown) {
  return wrapDriverError(
    error,
    `committing an append to "${ref}" (the connection failed, so the events may or may not have been stored; read the stream before retrying)`,
  );
}

async function rollback(conn: Reserved): Promise<void> {
  await conn
    .unsafe('rollback')
    .execute()
    .catch(() => {});
}

async function rollbackAnd<T>(conn: Reserved, value: T): Promise<T> {
  await rollback(conn);
  return value;
}
