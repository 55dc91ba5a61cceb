/**
 * The driver's own fixed SQL, built once per schema: locks, the append statements and the change
 * feed's. (The instance catalog and the key-value store are the shared statements of
 * `@eventlog/sql`.) postgres.js prepares each text once per connection, so the hot paths run as
 * prepared statements.
 */

import { eventSelectList, qualifyColumns } from '@eventlog/sql';
import { EVENT_JSON_COLUMNS } from './event-rows.js';
import { POSTGRES_DIALECT, postgresEventLayout } from './postgres-layout.js';
import { quoteIdent } from './sql-names.js';

/** The transaction-local setting holding the id of the instance an append transaction locked. */
const APPEND_INSTANCE_SETTING = 'eventlog.append_instance';

/** The fixed statements of one schema. */
export type Statements = ReturnType<typeof buildStatements>;

/**
 * Builds the statements for `schema`.
 *
 * Lock keys: an instance's appends and deletes take `pg_advisory_xact_lock(hashtextextended(id,
 * $seed))` (one-bigint key space; `$seed` is derived from the schema so schemas do not contend);
 * instance creation and renames take the two-int key `(hashtext('eventlog.catalog'),
 * hashtext(schema))`; migrations take `(hashtext('eventlog.migrate'), hashtext(schema))`;
 * listening connections hold `(hashtext('eventlog.listeners'), hashtext(schema))` shared, and
 * append transactions hold `(hashtext('eventlog.listen-barrier'), hashtext(schema))` shared from
 * the moment they look at the listeners until their commit (see `CommitNotifier`).
 */
export function buildStatements(schema: string) {
  const s = quoteIdent(schema);
  const instances = `${s}.instances`;
  const events = `${s}.events`;
  const eventColumns = eventSelectList(
    POSTGRES_DIALECT,
    qualifyColumns(POSTGRES_DIALECT, postgresEventLayout(schema)),
  );
  // Two-int advisory lock keys of this schema (see the function comment); `schema` is validated.
  const listenerLockKey = `hashtext('eventlog.listeners'), hashtext('${schema}')`;
  const listenerBarrierKey = `hashtext('eventlog.listen-barrier'), hashtext('${schema}')`;
  // The version a stream keeps after its events were removed (SPEC §9), or NULL.
  const floorOf = (instance: string, stream: string) =>
    `(select f.version from ${s}.stream_floors f where f.instance_id = ${instance} and f.stream_id = ${stream})`;
  // An instance's highest position (0 without events): one backward step of the (instance,
  // position) index, whatever else the table holds. Its instance equality keeps the instance in
  // the order (see SqlDialect.leadingEquals): with a plain `=`, a plan that cannot see the instance
  // (a generic plan, the id from a CTE) walked the primary key from the table's end, past every
  // event other instances wrote since this one's last (quiet-instance-plans.int.test.ts; migration
  // 0009 reads it so in append_events).
  const headOf = (instance: string) =>
    `coalesce((select e.global_position from ${events} e
            where ${POSTGRES_DIALECT.leadingEquals('e.instance_id', instance)}
            order by e.instance_id desc, e.global_position desc limit 1), 0)`;
  // An instance reference: its id first, then its name (SPEC §3).
  const resolveId = `(select id from ${instances} where id = $1 or name = $1 order by (id = $1) desc limit 1)`;
  // The insert of the general path: rows with their sequence numbers, in event order.
  const insertRows = `insert into ${events}
        (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp, event_id, tags)
      select r.i, $1, coalesce(r.s, $3), r.q, r.t, r.p, coalesce(r.m, '{}'::jsonb), coalesce(r.ts, $4), r.e, r.g
      from rows from (jsonb_to_recordset($2::jsonb) as (${EVENT_JSON_COLUMNS})) with ordinality as r
      order by r.ordinality`;
  // The facts of the one-round-trip insert (see appendUnconditional), as CTEs.
  const unconditionalFacts = `instance as materialized (
        select r.id from (select id from ${instances} where id = $1 or name = $1 order by (id = $1) desc limit 1) r
        where r.id = current_setting('${APPEND_INSTANCE_SETTING}')
      ), versions as materialized (
        select s.stream, coalesce(greatest((select e.sequence_number from ${events} e
            where e.instance_id = i.id and e.stream_id = s.stream
            order by e.sequence_number desc limit 1), ${floorOf('i.id', 's.stream')}), 0) as version
        from instance i cross join unnest($5::text[]) as s(stream)
      ), head as materialized (
        select ${headOf('i.id')} as previous
        from instance i
      )`;
  const unconditionalRows = `insert into ${events}
        (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp, tags)
      select r.i, i.id, v.stream, v.version + r.n, r.t, r.p, coalesce(r.m, '{}'::jsonb), coalesce(r.ts, $4), r.g
      from instance i
        cross join rows from (jsonb_to_recordset($2::jsonb) as (${EVENT_JSON_COLUMNS})) with ordinality as r
        join versions v on v.stream = coalesce(r.s, $3)
      order by r.ordinality`;
  // The same insert, only when the checks of `appendChecked` hold.
  const checkedRows = unconditionalRows.replace(
    'order by r.ordinality',
    'where (select found = 1 and versions_ok and conflict is null from checks)\n      order by r.ordinality',
  );
  // The inserted events (CTE `ins`) added to the instance's counts by type (statistics read them).
  const countRows = `count_rows as (insert into ${s}.event_type_counts as c (instance_id, event_type, n)
        select ins.instance_id, ins.event_type, count(*) from ins group by ins.instance_id, ins.event_type
        on conflict (instance_id, event_type) do update set n = c.n + excluded.n)`;
  // The inserted events' (CTE `ins`) streams that held no event before, added to the instance's
  // stream count (statistics read it). Every sub-statement of a WITH sees the snapshot of the
  // statement's start, so the probe does not see the rows `ins` inserts: it finds exactly the
  // streams that had an event before (one step of the (instance, stream, sequence) index per
  // distinct stream of the batch).
  // Nothing is written when every stream had events (group by: no group, no row).
  const streamRows = `stream_rows as (insert into ${s}.instance_stream_counts as c (instance_id, n)
        select d.instance_id, count(*) from (select distinct ins.instance_id, ins.stream_id from ins) d
        where not exists (select 1 from ${events} e where e.instance_id = d.instance_id and e.stream_id = d.stream_id)
        group by d.instance_id
        on conflict (instance_id) do update set n = c.n + excluded.n)`;
  // One row per tag of the inserted events (CTE `ins`), for the tag index.
  const tagRows = `tag_rows as (insert into ${s}.event_tags (instance_id, tag, global_position)
        select ins.instance_id, t.tag, ins.global_position
        from ins cross join lateral jsonb_array_elements_text(ins.tags) as t(tag)
        where ins.tags is not null)`;

  return {
    /** $1 schema → the seed of instance lock keys. */
    lockSeed: `select hashtext('eventlog.instance.' || $1)::int8 as seed`,

    /**
     * $1 reference, $2 seed. Resolves the reference once (falling back to the reference itself, the
     * id an auto-created instance gets), takes that id's append lock, and notes the id in the
     * transaction-local setting `eventlog.append_instance` for the statements after it. Then,
     * holding the listener barrier (shared, until commit), it tells whether anyone listens: the
     * exclusive try-lock of the listener lock fails while a listening connection holds it (and is
     * released at once when it succeeds). Nested `case`s fix the order of these steps (a void
     * result is never null, so `is not null` only sequences them).
     * (`offset 0` keeps the planner from inlining the lookup once per use of `k.id`.)
     */
    lockInstanceRef: `select k.id,
        case when pg_advisory_xact_lock(hashtextextended(k.id, $2)) is not null
          then case when pg_advisory_xact_lock_shared(${listenerBarrierKey}) is not null
            then case when pg_try_advisory_lock(${listenerLockKey})
              then not pg_advisory_unlock(${listenerLockKey}) else true end
          end
        end as listened,
        set_config('${APPEND_INSTANCE_SETTING}', k.id, true) is null as noted,
        coalesce((select i.retention_max_age_ms is not null or i.retention_max_events is not null
          from ${instances} i where i.id = k.id), false) as retained
      from (select coalesce(${resolveId}, $1) as id offset 0) k`,

    /** $1 id, $2 seed. */
    lockInstanceId: `select pg_advisory_xact_lock(hashtextextended($1, $2)) is null as locked`,

    /** $1 schema. Serializes instance creation and renames (uniqueness of names against ids). */
    lockCatalog: `select pg_advisory_xact_lock(hashtext('eventlog.catalog'), hashtext($1)) is null as locked`,

    /**
     * $1 reference, $2 streams. One row per stream with the instance id and the stream's last
     * sequence number (null when empty); no rows when the instance does not exist. Each version
     * is one backward step of the (instance, stream, sequence) index.
     */
    streamVersions: `select i.id, s.stream, greatest((select e.sequence_number from ${events} e
        where e.instance_id = i.id and e.stream_id = s.stream
        order by e.sequence_number desc limit 1), ${floorOf('i.id', 's.stream')}) as version
      from ${resolveId} i
      cross join unnest($2::text[]) as s(stream)`,

    /**
     * The locked instance's highest position (0 when it has no events, or does not exist yet): run
     * after {@link lockInstanceRef}, as a separate statement, so it sees the previous lock holder's
     * commit.
     */
    lockedHead: `select ${headOf(`current_setting('${APPEND_INSTANCE_SETTING}')`)} as head`,

    /** $1 eventIds: the stored events of the locked instance holding them. */
    eventsByEventId: `select ${eventColumns} from ${events} e
      where e.instance_id = current_setting('${APPEND_INSTANCE_SETTING}') and e.event_id = any($1::text[])`,

    /**
     * $1 instance id, $2 the events (jsonb, `encodeEvents` with sequences), $3 the batch's stream,
     * $4 its timestamp. Inserts in event order (positions are drawn as rows are inserted, after the
     * sort, so they follow event order); returns them.
     */
    insertEvents: `with ins as (${insertRows} returning global_position, instance_id, stream_id, event_type), ${countRows}, ${streamRows}
      select global_position from ins`,

    /**
     * An append that needs no facts before its insert (no eventIds, no version check), in one
     * statement. $1 reference, $2 the events (jsonb, `encodeEvents` without sequences), $3 the
     * batch's stream, $4 its timestamp, $5 its distinct streams.
     *
     * It runs after {@link lockInstanceRef} in the same transaction, as a separate statement, so its
     * snapshot includes everything the previous holder of the lock committed. Each event's sequence
     * number is its stream's last one (one backward index step per stream) plus its ordinal within
     * the stream in this batch. It inserts nothing unless the reference still resolves to the
     * locked instance (missing, to be auto-created, or renamed meanwhile: the caller then takes the
     * general path). Inserts in event order; returns positions, sequence numbers, and (in every
     * row) `previous`: the instance's highest position before the insert, read under the lock.
     */
    appendUnconditional: `with ${unconditionalFacts}, ins as (${unconditionalRows}
        returning global_position, sequence_number, (select previous from head) as previous, instance_id, stream_id, event_type), ${countRows}, ${streamRows}
      select global_position, sequence_number, previous from ins`,

    /**
     * {@link insertEvents} for batches with tags: the same insert, plus one row per tag in the tag
     * table, in the same statement.
     */
    insertEventsTagged: `with ins as (${insertRows} returning global_position, instance_id, stream_id, event_type, tags), ${tagRows}, ${countRows}, ${streamRows}
      select global_position from ins`,

    /** {@link appendUnconditional} for batches with tags (see {@link insertEventsTagged}). */
    appendUnconditionalTagged: `with ${unconditionalFacts}, ins as (${unconditionalRows}
        returning global_position, sequence_number, (select previous from head) as previous, instance_id, stream_id, event_type, tags), ${tagRows}, ${countRows}, ${streamRows}
      select global_position, sequence_number, previous from ins`,

    /**
     * A single call without eventIds, with version checks, a condition and/or key-value writes, in
     * one statement (so its transaction is one round trip, like {@link appendUnconditional}'s).
     * Parameters as {@link appendUnconditional}'s, plus $6 the version checks (jsonb
     * `[{ s: stream, k: 'exact' | 'exists' | 'any', v: version }]`), $7 the key-value writes
     * (jsonb `[{ n: namespace, k: key, v: value }]`), and the condition probe's from $8
     * (`probe`: its SQL, or undefined). It inserts only when the instance exists, every check
     * holds and the probe finds nothing; it always returns at least one row telling what it found
     * (`found`, `versions_ok`, `actual` versions by stream, `conflict` position), with the inserted
     * rows' positions and sequence numbers when it inserted.
     */
    appendChecked(probe: string | undefined, tagged: boolean): string {
      return `with ${unconditionalFacts}, checks as materialized (
        select (select count(*) from instance) as found,
          coalesce((select bool_and(case c.k
              when 'exact' then coalesce(v.version, 0) = c.v
              when 'exists' then coalesce(v.version, 0) > 0
              else true end)
            from jsonb_to_recordset($6::jsonb) as c(s text, k text, v int8)
            left join versions v on v.stream = c.s), true) as versions_ok,
          (select jsonb_object_agg(v.stream, v.version) from versions v) as actual,
          ${probe === undefined ? 'null::int8' : `(${probe})`} as conflict
      ), ins as (${checkedRows}
        returning global_position, sequence_number, (select previous from head) as previous, instance_id, stream_id, event_type, tags
      )${tagged ? `, ${tagRows}` : ''}, ${countRows}, ${streamRows}, kv_rows as (insert into ${s}.kv as k (namespace, key, value, version)
        select w.n, w.k, w.v, 1 from jsonb_to_recordset($7::jsonb) as w(n text, k text, v jsonb)
        where exists (select 1 from ins)
        on conflict (namespace, key) do update set value = excluded.value, version = k.version + 1)
      select ins.global_position, ins.sequence_number, ins.previous,
        c.found, c.versions_ok, c.actual, c.conflict
      from checks c left join ins on true`;
    },

    /**
     * One call in one statement, sent alone outside an explicit transaction (autocommit): the
     * function `append_events` of migration 0005 (as 0006 replaced it) locks the instance, checks
     * the versions, the eventIds and the condition, inserts (with tags, type counts, stream count
     * and key-value writes) and
     * returns what the envelope needs. $1 reference, $2 lock seed, $3 schema (the listener locks'
     * key), $4 the events (jsonb, `encodeEvents` without sequences), $5 the batch's stream, $6 its
     * timestamp, $7 its distinct streams, $8 the version checks (jsonb as in
     * {@link appendChecked}, or null), $9 the eventIds (or null), $10 the condition's probe (SQL
     * over `$1` instance, `$2` text[], `$3` bigint[]; or null), $11 and $12 its text and number
     * parameters, $13 the key-value writes (jsonb as in {@link appendChecked}, or null). See the
     * migration for the outcomes.
     */
    appendOne: `select * from ${s}.append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,

    /** The COPY of the general path's rows (text format, see `copy-rows.ts`). */
    copyEvents: `copy ${events} (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp, event_id, tags) from stdin`,

    /**
     * After {@link copyEvents}, in its transaction: $1 instance id, $2 the instance's head before
     * it (read under the lock, so every row of the instance past it is one the COPY wrote). Adds
     * their tags and type counts, as the inserts do, and their new streams to the stream count:
     * the COPY's rows are visible here, so a stream is new when its first event (one forward step
     * of the (instance, stream, sequence) index) is past the head before the COPY, i.e. every
     * event it holds is one the COPY wrote. Returns their positions in order (COPY draws them row
     * by row, in event order).
     */
    copiedEvents: `with ins as materialized (select e.global_position, e.instance_id, e.stream_id, e.event_type, e.tags from ${events} e
        where e.instance_id = $1 and e.global_position > $2), ${tagRows}, ${countRows},
      copied_streams as (insert into ${s}.instance_stream_counts as c (instance_id, n)
        select $1, count(*) from (select distinct ins.stream_id from ins) st
        where (select e.global_position from ${events} e where e.instance_id = $1 and e.stream_id = st.stream_id
          order by e.sequence_number asc limit 1) > $2
        having count(*) > 0
        on conflict (instance_id) do update set n = c.n + excluded.n)
      select global_position from ins order by global_position`,

    /** $1 instance id, $2 stream: the stream's last sequence number. */
    streamVersion: `select coalesce(greatest((select max(sequence_number) from ${events}
      where instance_id = $1 and stream_id = $2), ${floorOf('$1', '$2')}), 0) as version`,

    /** $1 channel, $2 payloads: one notification each. */
    notifyMany: `select count(pg_notify($1, p)) as sent from unnest($2::text[]) as p`,

    /**
     * Taken by every listening connection before its LISTEN, shared, for the session (it goes
     * away with the connection): while anyone holds it, append transactions notify.
     */
    listenerLock: `select pg_advisory_lock_shared(${listenerLockKey}) is null as locked`,

    /**
     * Passed by a listening connection after its LISTEN: waits for every append transaction that
     * holds the barrier (from before it looked at the listener lock until its commit), so those
     * that found no listener have committed before the listener reads. Released at once.
     */
    listenerBarrier: `select case when pg_advisory_lock(${listenerBarrierKey}) is not null
      then pg_advisory_unlock(${listenerBarrierKey}) end as passed`,

    /** Changes whenever any transaction of the database commits: the watch poll compares it. */
    snapshot: `select pg_current_snapshot()::text as snapshot`,
  };
}
