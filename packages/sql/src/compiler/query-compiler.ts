/**
 * The shared query compiler (kysely's DefaultQueryCompiler, for our DSL): it walks the AST once
 * for every dialect — conditions, the total order with its tie-break, paging, group-by and
 * aggregation assembly — and turns rows back into a `QueryResult` exactly as the core evaluator
 * would. A {@link SqlDialect} supplies what differs.
 */

import {
  type Aggregation,
  type AggregationGroup,
  type Column,
  type ConditionNode,
  compareGroupKeys,
  type EventRecord,
  type FieldNode,
  type GroupBy,
  type GroupNode,
  type JsonValue,
  type Limits,
  limitExceeded,
  projectEvent,
  type QueryNode,
  type QueryResult,
  type ReduceNode,
} from '@eventlog/core';
import { compileConditionNode, conditionText, type SqlCondition } from './condition-compiler.js';
import {
  type FieldRef,
  type QualifiedColumns,
  qualifyColumns,
  quoteTable,
  resolveField,
  TABLE_ALIAS,
} from './field-ref.js';
import { type CompiledStatement, ParamCollector } from './params.js';
import { type Row, runProgram, runProgramSync, type StatementProgram } from './query-program.js';
import { decodeEvent, decodePartialEvent, eventSelectList, partialSelectList } from './row-decoder.js';
import { type Bind, leadingEquals, type SqlDialect } from './sql-dialect.js';
import { DEFAULT_EVENT_TABLE, type EventTableLayout } from './table-layout.js';

/**
 * The instance a statement reads. `id` is the public instance id (what `instanceId` holds in
 * results and conditions); `key` is the value of the table's instance column, when the adapter
 * stores a surrogate key there (defaults to `id`).
 */
export interface InstanceScope {
  readonly id: string;
  readonly key?: string | number;
  /** Which events are visible under the instance's retention rules (all when absent). */
  readonly visibility?: Visibility;
}

/**
 * The events a read may see under retention (SPEC §9), as resolved for one moment: those with a
 * timestamp at or after `minTimestamp`, and (with `maxEventsPerStream`) those with fewer than that
 * many newer events in their stream.
 */
export interface Visibility {
  /** Canonical ISO timestamp: older events are expired. */
  readonly minTimestamp?: string;
  /** A stream shows only its newest this-many events. */
  readonly maxEventsPerStream?: number;
}

/** Caps a query checks while it runs. */
export type QueryLimits = Pick<Limits, 'maxGroups' | 'maxCollectValues'>;

/** Options of {@link createQueryCompiler}. */
export interface QueryCompilerOptions {
  /** The events table and its column names. Default {@link DEFAULT_EVENT_TABLE}. */
  layout?: EventTableLayout;
}

/** A compiled statement program plus ways to run it. */
export interface CompiledProgram<T> {
  /** Every statement the program may run, by role (for inspection, logging and tests). */
  readonly statements: Readonly<Record<string, CompiledStatement>>;
  /** A fresh run of the program (yields statements, receives rows). */
  program(): StatementProgram<T>;
  /** Runs on a synchronous driver; call it inside one read transaction. */
  executeSync(all: (statement: CompiledStatement) => readonly Row[]): T;
  /** Runs on an asynchronous driver; call it inside one snapshot. */
  execute(all: (statement: CompiledStatement) => Promise<readonly Row[]>): Promise<T>;
}

/** A compiled query: statements `page` + `count`, or `aggregate` (+ `collectCheck` for `collect`). */
export type CompiledQuery = CompiledProgram<QueryResult>;

/** The parts of a live read (`readAfter`). */
export interface ReadAfterSpec {
  /** Only events with `global_position > after`. */
  after: number;
  stream?: string;
  where?: ConditionNode;
  /** At most this many events. */
  limit: number;
}

/**
 * A page of one stream whose instance and first sequence number are only known to the database:
 * each given as SQL text (a subquery, its values through `bind`). See
 * {@link QueryCompiler.compileStreamStart}.
 */
export interface StreamStartSpec {
  /** The instance's key as SQL: a subquery of the catalog (NULL reads nothing). */
  instanceKey(bind: Bind): string;
  /** The first sequence number read, as SQL (an integer expression; a subquery of a snapshot). */
  from(bind: Bind): string;
  stream: string;
  /** At most this many events. */
  limit: number;
  /** Which events are visible under the instance's retention rules, as assumed (all when absent). */
  visibility?: Visibility | undefined;
}

/** A compiled stream start: its statement, and its decoder (given the instance's id, read with it). */
export interface CompiledStreamStart {
  readonly statement: CompiledStatement;
  decode(rows: readonly Row[], instanceId: string): EventRecord[];
}

/** A compiled live read: one statement and its decoder. */
export interface CompiledRead {
  readonly statement: CompiledStatement;
  decode(rows: readonly Row[]): EventRecord[];
}

/** The event-derived part of instance statistics. */
export interface EventStatsSummary {
  eventCount: number;
  streamCount: number;
  eventTypes: Record<string, number>;
  firstEventAt: string | null;
  lastEventAt: string | null;
}

/** How a query is compiled. */
export interface QueryCompileOptions {
  /**
   * `false`: no statement counts the matches (see `ReadOptions.total`); a page of events then
   * returns `total` as `offset` plus the events returned, a lower bound.
   */
  total?: false;
}

/** The compiler for one dialect and table layout. */
export interface QueryCompiler {
  readonly dialect: SqlDialect;
  readonly layout: EventTableLayout;
  /**
   * Compiles a parsed query over one instance.
   *
   * @example
   * const compiled = compiler.compileQuery({ id: instance.id, key: instance.pk }, ast, limits);
   * const result = db.transaction(() => compiled.executeSync((s) => db.prepare(s.sql).all(...s.params)))();
   */
  compileQuery(
    instance: string | InstanceScope,
    query: QueryNode,
    limits: QueryLimits,
    options?: QueryCompileOptions,
  ): CompiledQuery;
  /**
   * Compiles a condition into SQL text whose values go through `bind` (use a
   * {@link ParamCollector} to render it). Columns are qualified with the table alias `e`.
   */
  compileCondition(condition: ConditionNode, instanceId: string, bind: Bind, key?: string | number): string;
  /** Compiles a live read: events after a position, in position order. */
  compileReadAfter(instance: string | InstanceScope, spec: ReadAfterSpec): CompiledRead;
  /**
   * Compiles the first page of a stream's fold, from a sequence number on, where the instance key
   * and that number are SQL (the catalog's row for a reference; a snapshot's anchor), so the page
   * needs no earlier round trip for them. A seek into the (instance, stream, sequence) index, plan
   * stable without retention.
   */
  compileStreamStart(spec: StreamStartSpec): CompiledStreamStart;
  /** Compiles the event statistics of an instance (counts, types, first and last timestamps). */
  compileStats(instance: string | InstanceScope): CompiledProgram<EventStatsSummary>;
  /** Compiles the highest `global_position` of an instance (0 when empty). */
  compileHeadPosition(instance: string | InstanceScope): CompiledProgram<number>;
}

interface Scope {
  id: string;
  key: string | number;
  visibility?: Visibility | undefined;
}

function toScope(instance: string | InstanceScope): Scope {
  return typeof instance === 'string'
    ? { id: instance, key: instance }
    : { id: instance.id, key: instance.key ?? instance.id, visibility: instance.visibility };
}

/** True when `node` compares `sequence_number` itself (no path) with a number. */
function isSequenceComparison(node: ConditionNode): node is Extract<ConditionNode, { kind: 'compare' }> {
  return (
    node.kind === 'compare' &&
    node.field.column === 'sequence_number' &&
    node.field.path.length === 0 &&
    typeof node.value === 'number'
  );
}

/**
 * True when `where` bounds `sequence_number` from below at its top level (`gt`/`gte` a number,
 * alone or in a top-level `and`): a read of one stream can seek to it.
 */
function hasSequenceLowerBound(where: ConditionNode | undefined): boolean {
  if (where === undefined) return false;
  if (where.kind === 'and') return where.conditions.some(hasSequenceLowerBound);
  return isSequenceComparison(where) && (where.op === 'gt' || where.op === 'gte');
}

/** True when `where` is absent or only bounds `sequence_number` by numbers (alone or in an `and`). */
function onlySequenceBounds(where: ConditionNode | undefined): boolean {
  if (where === undefined) return true;
  if (where.kind === 'and') return where.conditions.every(onlySequenceBounds);
  return isSequenceComparison(where);
}

function toNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function makeProgram<T>(
  statements: Readonly<Record<string, CompiledStatement>>,
  program: () => StatementProgram<T>,
): CompiledProgram<T> {
  return {
    statements,
    program,
    executeSync: (all) => runProgramSync(program(), all),
    execute: (all) => runProgram(program(), all),
  };
}

/** Sets an own property, also for the key `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function maxGroupsError(max: number) {
  return limitExceeded(
    `The aggregation has more than ${max} groups (limit maxGroups). Narrow the query with where conditions, group by fewer or coarser fields, or raise limits.maxGroups.`,
    { limit: 'maxGroups', max },
  );
}

function maxCollectError(max: number) {
  return limitExceeded(
    `collect would return more than ${max} values (limit maxCollectValues). Narrow the query with where conditions, or raise limits.maxCollectValues.`,
    { limit: 'maxCollectValues', max },
  );
}

/** The `groupBy` echoed in results: canonical field names, time buckets as objects. */
function echoGroupBy(groupBy: readonly GroupNode[]): GroupBy[] {
  return groupBy.map((g) =>
    g.kind === 'timeBucket' ? { field: g.field.name, interval: g.interval } : g.field.name,
  );
}

/** How one aggregation is computed and read back. */
interface AggregateParts {
  /** `expr AS alias` items of the SELECT list. */
  readonly selects: readonly string[];
  /** Reads the value from a row; `count` is the row's number of events. */
  value(row: Row, count: number): JsonValue;
  /** For `collect`: an aggregate counting the values it will collect. */
  readonly collectCount?: string;
}

/**
 * Creates the compiler of a dialect.
 *
 * @param dialect the dialect hooks, e.g. `sqliteDialect()` or `postgresDialect()`
 * @param options the table layout (default: table `events`, snake_case columns)
 *
 * @example
 * const compiler = createQueryCompiler(sqliteDialect(), { layout: { table: 'events', columns: { ...DEFAULT_EVENT_COLUMNS, instance: 'instance_pk' } } });
 */
export function createQueryCompiler(dialect: SqlDialect, options: QueryCompilerOptions = {}): QueryCompiler {
  const layout = options.layout ?? DEFAULT_EVENT_TABLE;
  const columns: QualifiedColumns = qualifyColumns(dialect, layout);
  const from = `${quoteTable(dialect, layout)} AS ${TABLE_ALIAS}`;
  const fullSelect = eventSelectList(dialect, columns);
  const placeholder = (i: number) => dialect.placeholder(i);

  const tagTable = layout.tagTable;
  const tagFrom =
    tagTable === undefined
      ? undefined
      : {
          table: quoteTable(dialect, { table: tagTable.table, columns: layout.columns }),
          instance: dialect.quoteIdentifier(tagTable.instance),
          tag: dialect.quoteIdentifier(tagTable.tag),
          position: dialect.quoteIdentifier(tagTable.position),
        };

  function condition(node: ConditionNode | undefined, scope: Scope, bind: Bind): SqlCondition {
    if (node === undefined) return true;
    // The events holding a tag, by one range of the tag table's (instance, tag, position) key.
    const tagContains =
      tagFrom === undefined
        ? undefined
        : (tag: string) =>
            `${columns.globalPosition} IN (SELECT t.${tagFrom.position} FROM ${tagFrom.table} AS t WHERE t.${tagFrom.instance} = ${bind(scope.key)} AND t.${tagFrom.tag} = ${bind(tag)})`;
    return compileConditionNode(node, { dialect, columns, instanceId: scope.id, bind, tagContains });
  }

  const table = quoteTable(dialect, layout);
  const q = (name: string) => dialect.quoteIdentifier(name);

  /** The retention conditions of a read: expired events are invisible. */
  function visible(rules: Visibility | undefined, bind: Bind): string[] {
    const parts: string[] = [];
    if (rules?.minTimestamp !== undefined) parts.push(`${columns.timestamp} >= ${bind(rules.minTimestamp)}`);
    if (rules?.maxEventsPerStream !== undefined) {
      // Fewer than N newer events in the stream (sequences have no gaps after the first kept one).
      const c = layout.columns;
      parts.push(
        `NOT EXISTS (SELECT 1 FROM ${table} AS newer WHERE newer.${q(c.instance)} = ${columns.instance} AND newer.${q(c.streamId)} = ${columns.streamId} AND newer.${q(c.sequenceNumber)} >= ${columns.sequenceNumber} + ${bind(rules.maxEventsPerStream)})`,
      );
    }
    return parts;
  }

  /** `instance = ? [AND visible] [AND stream = ?] [AND where]`. */
  function scopeWhere(
    scope: Scope,
    stream: string | undefined,
    where: ConditionNode | undefined,
    bind: Bind,
    extra?: string,
  ): string {
    const parts = [`${columns.instance} = ${bind(scope.key)}`, ...visible(scope.visibility, bind)];
    if (extra !== undefined) parts.push(extra);
    if (stream !== undefined) parts.push(`${columns.streamId} = ${bind(stream)}`);
    const filter = condition(where, scope, bind);
    // A folded FALSE stays in the text: the statement still runs and simply matches nothing.
    if (filter !== true) parts.push(conditionText(filter));
    return parts.join(' AND ');
  }

  /**
   * ORDER BY keys. Within one stream, sequence numbers increase with positions (both are handed out
   * in commit order), so a query on one stream orders by `sequence_number`: the same order, read
   * straight from the (instance, stream, sequence) index instead of sorted.
   */
  function orderKeys(query: QueryNode, instanceId: string): string {
    const position = query.stream === undefined ? columns.globalPosition : columns.sequenceNumber;
    const keys: string[] = [];
    for (const order of query.orderBy) {
      const dir = order.direction === 'desc' ? ' DESC' : ' ASC';
      const field = resolveField(order.field, columns, instanceId);
      if (field.kind === 'column') {
        if (field.sql === columns.globalPosition || field.sql === position) {
          // Unique (positions; sequences within the stream): nothing after can break a tie.
          keys.push(`${position}${dir}`);
          return keys.join(', ');
        }
        keys.push(`${field.type === 'string' ? dialect.collate(field.sql) : field.sql}${dir}`);
      } else if (field.kind === 'path') {
        for (const key of dialect.jsonOrderKeys(field.ref)) keys.push(`${key}${dir}`);
      } else if (field.kind === 'tags') {
        // Missing first, then the arrays, all equal to each other (SPEC §4's total order).
        keys.push(`(CASE WHEN ${field.sql} IS NULL THEN 0 ELSE 1 END)${dir}`);
      }
      // A constant or a whole document orders every row equally: the tie-break decides.
    }
    keys.push(`${position} ASC`);
    return keys.join(', ');
  }

  const counts = layout.typeCounts;
  const countsTable =
    counts === undefined ? undefined : quoteTable(dialect, { table: counts.table, columns: layout.columns });

  /**
   * What the counts by type answer exactly: a query over a whole instance (no stream, no retention
   * hiding events) filtered on nothing (`{}`) or on one `event_type eq "<string>"` (`{ type }`).
   */
  function countedBy(scope: Scope, query: QueryNode): { type?: string } | undefined {
    if (counts === undefined || scope.visibility !== undefined || query.stream !== undefined)
      return undefined;
    let node = query.where;
    if (node === undefined) return {};
    if (node.kind === 'and' && node.conditions.length === 1) node = node.conditions[0];
    if (
      node?.kind === 'compare' &&
      node.op === 'eq' &&
      node.field.column === 'event_type' &&
      typeof node.value === 'string'
    ) {
      return { type: node.value };
    }
    return undefined;
  }

  /** `instance = ? [AND type = ?]` over the counts table. */
  function countsWhere(scope: Scope, by: { type?: string }, bind: Bind): string {
    const c = counts as NonNullable<typeof counts>;
    const parts = [`${q(c.instance)} = ${bind(scope.key)}`];
    if (by.type !== undefined) parts.push(`${q(c.type)} = ${bind(by.type)}`);
    return parts.join(' AND ');
  }

  function compileEvents(scope: Scope, query: QueryNode, counted: boolean): CompiledQuery {
    const params = new ParamCollector();
    const where = scopeWhere(scope, query.stream, query.where, params.bind);
    const by = countedBy(scope, query);
    const { limit, offset } = query;
    const select = query.select;
    let wanted: Set<Column> | undefined;
    if (select !== undefined) wanted = new Set(select.map((f: FieldNode) => f.column));
    const list = wanted === undefined ? fullSelect : partialSelectList(dialect, columns, wanted);
    // The total from the counts by type when they answer it (flat), else by counting; not built
    // when the total is not wanted (a page of no events still needs it).
    let count: CompiledStatement | undefined;
    if (counted || limit === 0) {
      count =
        by === undefined
          ? params.render(`SELECT count(*) AS n FROM ${from} WHERE ${where}`, placeholder)
          : params.render(
              `SELECT coalesce(sum(${q((counts as NonNullable<typeof counts>).count)}), 0) AS n FROM ${countsTable} WHERE ${countsWhere(scope, by, params.bind)}`,
              placeholder,
            );
    }
    let page: CompiledStatement | undefined;
    const statements: Record<string, CompiledStatement> = count === undefined ? {} : { count };
    if (limit > 0) {
      page = params.render(
        `SELECT ${list} FROM ${from} WHERE ${where} ORDER BY ${orderKeys(query, scope.id)} LIMIT ${params.bind(limit)} OFFSET ${params.bind(offset)}`,
        placeholder,
      );
      statements.page = page;
    }
    const decode =
      select === undefined || wanted === undefined
        ? (row: Row) => decodeEvent(row, scope.id, dialect)
        : (row: Row) =>
            projectEvent(
              decodePartialEvent(row, scope.id, dialect, wanted as Set<Column>) as EventRecord,
              select,
            );

    return makeProgram(statements, function* (): StatementProgram<QueryResult> {
      const events: Partial<EventRecord>[] = [];
      let total: number;
      if (page !== undefined) {
        const rows = yield page;
        for (const row of rows) events.push(decode(row));
        const n = rows.length;
        // A short page (or an empty first page) already tells the total: skip the count.
        if ((n > 0 && n < limit) || (n === 0 && offset === 0) || count === undefined) total = offset + n;
        else total = Number(((yield count)[0] as Row).n);
      } else {
        total = Number(((yield count as CompiledStatement)[0] as Row).n);
      }
      return { events, total, limit, offset };
    });
  }

  function aggregateParts(reduce: ReduceNode, field: FieldRef | undefined): AggregateParts {
    const type = reduce.type;
    const counted = (): AggregateParts => ({ selects: [], value: (_row, count) => count });
    switch (type) {
      case 'count': {
        if (field?.kind === 'tags') {
          return { selects: [`count(${field.sql}) AS v`], value: (row) => Number(row.v) };
        }
        if (field === undefined || field.kind !== 'path') return counted();
        return {
          selects: [`count(CASE WHEN ${dialect.jsonPresentNotNull(field.ref)} THEN 1 END) AS v`],
          value: (row) => Number(row.v),
        };
      }
      case 'sum':
      case 'avg': {
        const aggregate = type === 'sum' ? dialect.sumDouble.bind(dialect) : dialect.avgDouble.bind(dialect);
        let numeric: string | undefined;
        if (field?.kind === 'path') numeric = dialect.jsonNumber(field.ref);
        else if (field?.kind === 'column' && field.type === 'number') numeric = field.sql;
        if (numeric === undefined) return { selects: [], value: () => (type === 'sum' ? 0 : null) };
        return {
          selects: [`${aggregate(dialect.toDouble(numeric))} AS v`],
          value: (row) => toNumber(row.v) ?? (type === 'sum' ? 0 : null),
        };
      }
      case 'min':
      case 'max': {
        // Whole documents and tags are objects and arrays: neither numbers nor strings.
        if (field === undefined || field.kind === 'document' || field.kind === 'tags') {
          return { selects: [], value: () => null };
        }
        if (field.kind === 'constant') {
          const constant = field.value;
          return { selects: [], value: (_row, count) => (count > 0 ? constant : null) };
        }
        if (field.kind === 'column') {
          if (field.type === 'number') {
            return { selects: [`${type}(${field.sql}) AS vn`], value: (row) => toNumber(row.vn) };
          }
          return {
            selects: [`${type}(${dialect.collate(field.sql)}) AS vs`],
            value: (row) => (row.vs ?? null) as string | null,
          };
        }
        return {
          selects: [
            `${type}(${dialect.jsonNumber(field.ref)}) AS vn`,
            `${type}(${dialect.collate(dialect.jsonString(field.ref))}) AS vs`,
          ],
          value: (row) => toNumber(row.vn) ?? ((row.vs ?? null) as string | null),
        };
      }
      case 'collect': {
        if (field === undefined) return { selects: [], value: () => [] };
        const order = columns.globalPosition;
        switch (field.kind) {
          case 'constant': {
            const constant = field.value;
            return {
              selects: [],
              value: (_row, count) => new Array<JsonValue>(count).fill(constant),
              collectCount: 'count(*)',
            };
          }
          case 'column':
            return {
              selects: [`${dialect.jsonArrayAgg(field.sql, order, undefined)} AS v`],
              value: (row) => dialect.decodeJson(row.v),
              collectCount: 'count(*)',
            };
          case 'document':
            return {
              selects: [`${dialect.jsonArrayAgg(dialect.documentJson(field.sql), order, undefined)} AS v`],
              value: (row) => dialect.decodeJson(row.v),
              collectCount: 'count(*)',
            };
          case 'tags': {
            const present = `${field.sql} IS NOT NULL`;
            return {
              selects: [`${dialect.jsonArrayAgg(dialect.documentJson(field.sql), order, present)} AS v`],
              value: (row) => dialect.decodeJson(row.v),
              collectCount: `count(${field.sql})`,
            };
          }
          case 'path': {
            const present = dialect.jsonExists(field.ref);
            return {
              selects: [`${dialect.jsonArrayAgg(dialect.jsonValue(field.ref), order, present)} AS v`],
              value: (row) => dialect.decodeJson(row.v),
              collectCount: `count(CASE WHEN ${present} THEN 1 END)`,
            };
          }
        }
        break;
      }
    }
    throw new TypeError(`Unknown reduce type ${JSON.stringify(type)}.`);
  }

  /** A group key: SQL to select (undefined for a constant) and how to read it back. */
  function groupKey(
    node: GroupNode,
    instanceId: string,
  ): { sql?: string; read: (value: unknown) => JsonValue } {
    if (node.kind === 'timeBucket') {
      const ts = resolveField(node.field, columns, instanceId);
      if (ts.kind !== 'column')
        throw new TypeError(`A time bucket needs the timestamp column, got ${node.field.name}.`);
      return { sql: dialect.timeBucket(ts.sql, node.interval), read: (v) => v as string };
    }
    const field = resolveField(node.field, columns, instanceId);
    switch (field.kind) {
      case 'constant': {
        const constant = field.value;
        return { read: () => constant };
      }
      case 'column':
        return field.type === 'number'
          ? { sql: field.sql, read: (v) => Number(v) }
          : { sql: field.sql, read: (v) => v as string };
      case 'document':
        return { sql: dialect.documentGroupKey(field.sql), read: (v) => dialect.decodeJson(v) };
      case 'path':
        return { sql: dialect.jsonGroupKey(field.ref), read: (v) => dialect.decodeJson(v) };
      case 'tags':
        // Stored as JSON.stringify writes sorted arrays: equal tags are equal values. Missing: null.
        return {
          sql: field.sql,
          read: (v) => (v === null || v === undefined ? null : dialect.decodeJson(v)),
        };
    }
  }

  function compileReduce(
    scope: Scope,
    query: QueryNode,
    reduce: ReduceNode,
    limits: QueryLimits,
  ): CompiledQuery {
    const params = new ParamCollector();
    const where = scopeWhere(scope, query.stream, query.where, params.bind);
    const field = reduce.field === undefined ? undefined : resolveField(reduce.field, columns, scope.id);
    const parts = aggregateParts(reduce, field);
    const { limit, offset } = query;
    const head: Aggregation = { type: reduce.type };
    if (reduce.field !== undefined) head.field = reduce.field.name;

    const statements: Record<string, CompiledStatement> = {};
    let collectCheck: CompiledStatement | undefined;
    if (parts.collectCount !== undefined) {
      collectCheck = params.render(
        `SELECT count(*) AS n, ${parts.collectCount} AS c FROM ${from} WHERE ${where}`,
        placeholder,
      );
      statements.collectCheck = collectCheck;
    }
    const checkCollect = function* (): Generator<CompiledStatement, void, readonly Row[]> {
      if (collectCheck === undefined) return;
      const row = (yield collectCheck)[0] as Row;
      if (Number(row.c) > limits.maxCollectValues) throw maxCollectError(limits.maxCollectValues);
    };
    const aggregates = ['count(*) AS n', ...parts.selects].join(', ');

    const groupBy = reduce.groupBy;
    // Counting events, in all or by type: the counts by type answer it (flat), when they can.
    const by = reduce.type === 'count' && reduce.field === undefined ? countedBy(scope, query) : undefined;
    const byType =
      groupBy !== undefined &&
      groupBy.length === 1 &&
      groupBy[0]?.kind === 'groupField' &&
      groupBy[0].field.column === 'event_type';
    if (by !== undefined && (groupBy === undefined || groupBy.length === 0 || byType)) {
      const c = counts as NonNullable<typeof counts>;
      const filter = countsWhere(scope, by, params.bind);
      const aggregate = byType
        ? params.render(
            `SELECT ${q(c.type)} AS k0, ${q(c.count)} AS n FROM ${countsTable} WHERE ${filter} AND ${q(c.count)} > 0 LIMIT ${params.bind(limits.maxGroups + 1)}`,
            placeholder,
          )
        : params.render(
            `SELECT coalesce(sum(${q(c.count)}), 0) AS n FROM ${countsTable} WHERE ${filter}`,
            placeholder,
          );
      statements.aggregate = aggregate;
      const echoed = byType ? echoGroupBy(groupBy ?? []) : undefined;
      return makeProgram(statements, function* (): StatementProgram<QueryResult> {
        const rows = yield aggregate;
        if (!byType) {
          const total = Number((rows[0] as Row).n);
          return { aggregation: { ...head, value: total }, total, limit, offset };
        }
        if (rows.length > limits.maxGroups) throw maxGroupsError(limits.maxGroups);
        let total = 0;
        const decoded = rows.map((row) => {
          const n = Number(row.n);
          total += n;
          return { key: [row.k0 as string] as JsonValue[], value: n };
        });
        decoded.sort((a, b) => compareGroupKeys(a.key, b.key));
        const groups: AggregationGroup[] = decoded.map(({ key, value }) => ({
          key: { event_type: key[0] as JsonValue },
          value,
        }));
        return { aggregation: { ...head, groupBy: echoed as GroupBy[], groups }, total, limit, offset };
      });
    }
    if (groupBy === undefined || groupBy.length === 0) {
      const aggregate = params.render(`SELECT ${aggregates} FROM ${from} WHERE ${where}`, placeholder);
      statements.aggregate = aggregate;
      return makeProgram(statements, function* (): StatementProgram<QueryResult> {
        yield* checkCollect();
        const row = (yield aggregate)[0] as Row;
        const total = Number(row.n);
        return { aggregation: { ...head, value: parts.value(row, total) }, total, limit, offset };
      });
    }

    const keys = groupBy.map((g) => groupKey(g, scope.id));
    const names = groupBy.map((g) => g.key);
    const keySelects: string[] = [];
    const ordinals: string[] = [];
    const aliases: Array<string | undefined> = [];
    for (const key of keys) {
      if (key.sql === undefined) {
        aliases.push(undefined);
        continue;
      }
      const alias = `k${keySelects.length}`;
      keySelects.push(`${key.sql} AS ${alias}`);
      ordinals.push(String(keySelects.length));
      aliases.push(alias);
    }
    const grouped = ordinals.length > 0;
    const aggregate = params.render(
      grouped
        ? `SELECT ${[...keySelects, aggregates].join(', ')} FROM ${from} WHERE ${where} GROUP BY ${ordinals.join(', ')} LIMIT ${params.bind(limits.maxGroups + 1)}`
        : `SELECT ${aggregates} FROM ${from} WHERE ${where}`,
      placeholder,
    );
    statements.aggregate = aggregate;
    const echoed = echoGroupBy(groupBy);

    return makeProgram(statements, function* (): StatementProgram<QueryResult> {
      yield* checkCollect();
      let rows = yield aggregate;
      // Without SQL keys the statement is ungrouped: one row, which is a group only if it counts events.
      if (!grouped) rows = rows.filter((r) => Number(r.n) > 0);
      if (rows.length > limits.maxGroups) throw maxGroupsError(limits.maxGroups);
      let total = 0;
      const decoded = rows.map((row) => {
        const count = Number(row.n);
        total += count;
        const key = keys.map((k, i) => {
          const alias = aliases[i];
          return k.read(alias === undefined ? undefined : row[alias]);
        });
        return { key, value: parts.value(row, count) };
      });
      decoded.sort((a, b) => compareGroupKeys(a.key, b.key));
      const groups: AggregationGroup[] = decoded.map(({ key, value }) => {
        const keyObject: Record<string, JsonValue> = {};
        for (let i = 0; i < names.length; i++) setOwn(keyObject, names[i] as string, key[i]);
        return { key: keyObject, value };
      });
      return { aggregation: { ...head, groupBy: echoed, groups }, total, limit, offset };
    });
  }

  return {
    dialect,
    layout,

    compileQuery(instance, query, limits, options) {
      const scope = toScope(instance);
      return query.reduce === undefined
        ? compileEvents(scope, query, options?.total !== false)
        : compileReduce(scope, query, query.reduce, limits);
    },

    compileCondition(node, instanceId, bind, key) {
      return conditionText(condition(node, { id: instanceId, key: key ?? instanceId }, bind));
    },

    compileReadAfter(instance, spec) {
      const scope = toScope(instance);
      const params = new ParamCollector();
      let after = `${columns.globalPosition} > ${params.bind(spec.after)}`;
      if (spec.stream !== undefined && spec.after > 0 && !hasSequenceLowerBound(spec.where)) {
        // One stream after a position: the (instance, stream, sequence) index cannot seek to a
        // position, so a tail read walked the stream from its first event (11 ms for the last 50
        // of 10,000 on PostgreSQL). Positions grow with sequence numbers within a stream (see
        // orderKeys), so "after the position" is also "after the last sequence number at or
        // before it": found by walking the index back from the stream's end (as many steps as
        // events after the position), then the read seeks to it.
        const c = layout.columns;
        // Written as ORDER BY … DESC LIMIT 1 rather than max(): PostgreSQL plans max() as a walk
        // from the stream's start when its statistics are stale. A reader that knows where it is
        // (a live stream reader catching up page by page: the back walk would pass every event
        // after the page, quadratic over a long stream) bounds the sequence number itself; the
        // read then seeks to that bound, and the subquery is left out.
        after += ` AND ${columns.sequenceNumber} > coalesce((SELECT b.${q(c.sequenceNumber)} FROM ${table} AS b WHERE b.${q(c.instance)} = ${params.bind(scope.key)} AND b.${q(c.streamId)} = ${params.bind(spec.stream)} AND b.${q(c.globalPosition)} <= ${params.bind(spec.after)} ORDER BY b.${q(c.sequenceNumber)} DESC LIMIT 1), 0)`;
      }
      const where = scopeWhere(scope, spec.stream, spec.where, params.bind, after);
      // One stream: sequence order is position order (see orderKeys).
      const order = spec.stream === undefined ? columns.globalPosition : columns.sequenceNumber;
      const rendered = params.render(
        `SELECT ${fullSelect} FROM ${from} WHERE ${where} ORDER BY ${order} ASC LIMIT ${params.bind(spec.limit)}`,
        placeholder,
      );
      // A page of one stream, bounded by sequence numbers only, with no retention: a seek into the
      // (instance, stream, sequence) index whatever the values (a stream reader's every page).
      const stable =
        spec.stream !== undefined && scope.visibility === undefined && onlySequenceBounds(spec.where);
      const statement: CompiledStatement = stable ? { ...rendered, planStable: true } : rendered;
      return {
        statement,
        decode: (rows) => rows.map((row) => decodeEvent(row, scope.id, dialect)),
      };
    },

    compileStreamStart(spec) {
      const params = new ParamCollector();
      const parts = [
        `${columns.instance} = ${spec.instanceKey(params.bind)}`,
        ...visible(spec.visibility, params.bind),
        `${columns.streamId} = ${params.bind(spec.stream)}`,
        `${columns.sequenceNumber} >= ${spec.from(params.bind)}`,
      ];
      const rendered = params.render(
        `SELECT ${fullSelect} FROM ${from} WHERE ${parts.join(' AND ')} ORDER BY ${columns.sequenceNumber} ASC LIMIT ${params.bind(spec.limit)}`,
        placeholder,
      );
      return {
        statement: spec.visibility === undefined ? { ...rendered, planStable: true } : rendered,
        decode: (rows, instanceId) => rows.map((row) => decodeEvent(row, instanceId, dialect)),
      };
    },

    compileStats(instance) {
      const scope = toScope(instance);
      const params = new ParamCollector();
      const where = () =>
        [`${columns.instance} = ${params.bind(scope.key)}`, ...visible(scope.visibility, params.bind)].join(
          ' AND ',
        );
      const ts = dialect.collate(columns.timestamp);
      const counts = layout.typeCounts;
      let summary: CompiledStatement;
      let types: CompiledStatement;
      if (counts !== undefined && scope.visibility === undefined) {
        // Flat costs: counts by type from the counters; streams from the stream counter when the
        // layout keeps one, else by one index step each (a loose scan of the (instance, stream,
        // sequence) index); first and last from the ends of the (instance, timestamp) index.
        const c = layout.columns;
        const countsTable = quoteTable(dialect, { table: counts.table, columns: layout.columns });
        const key = () => params.bind(scope.key);
        const streamCounts = layout.streamCounts;
        const streamsTable =
          streamCounts === undefined
            ? undefined
            : quoteTable(dialect, { table: streamCounts.table, columns: c });
        const streams =
          streamCounts === undefined
            ? `WITH RECURSIVE streams(s) AS (
             SELECT (SELECT min(${q(c.streamId)}) FROM ${table} WHERE ${q(c.instance)} = ${key()})
             UNION ALL
             SELECT (SELECT min(${q(c.streamId)}) FROM ${table} WHERE ${q(c.instance)} = ${key()} AND ${q(c.streamId)} > streams.s)
             FROM streams WHERE streams.s IS NOT NULL)
           SELECT (SELECT coalesce(sum(${q(counts.count)}), 0) FROM ${countsTable} WHERE ${q(counts.instance)} = ${key()}) AS n,
             (SELECT count(s) FROM streams) AS streams,`
            : `SELECT (SELECT coalesce(sum(${q(counts.count)}), 0) FROM ${countsTable} WHERE ${q(counts.instance)} = ${key()}) AS n,
             coalesce((SELECT ${q(streamCounts.count)} FROM ${streamsTable} WHERE ${q(streamCounts.instance)} = ${key()}), 0) AS streams,`;
        summary = params.render(
          `${streams}
             (SELECT min(${ts}) FROM ${from} WHERE ${where()}) AS first_at,
             (SELECT max(${ts}) FROM ${from} WHERE ${where()}) AS last_at`,
          placeholder,
        );
        types = params.render(
          `SELECT ${q(counts.type)} AS typ, ${q(counts.count)} AS n FROM ${countsTable} WHERE ${q(counts.instance)} = ${key()} AND ${q(counts.count)} > 0`,
          placeholder,
        );
      } else {
        // Independent scalar subqueries: each one is answered from its own covering index.
        summary = params.render(
          `SELECT (SELECT count(*) FROM ${from} WHERE ${where()}) AS n, (SELECT count(*) FROM (SELECT DISTINCT ${columns.streamId} FROM ${from} WHERE ${where()}) AS d) AS streams, (SELECT min(${ts}) FROM ${from} WHERE ${where()}) AS first_at, (SELECT max(${ts}) FROM ${from} WHERE ${where()}) AS last_at`,
          placeholder,
        );
        types = params.render(
          `SELECT ${columns.eventType} AS typ, count(*) AS n FROM ${from} WHERE ${where()} GROUP BY ${columns.eventType}`,
          placeholder,
        );
      }
      return makeProgram({ summary, types }, function* (): StatementProgram<EventStatsSummary> {
        const row = (yield summary)[0] as Row;
        const eventTypes: Record<string, number> = {};
        const eventCount = Number(row.n);
        if (eventCount > 0) for (const t of yield types) setOwn(eventTypes, t.typ as string, Number(t.n));
        return {
          eventCount,
          streamCount: Number(row.streams),
          eventTypes,
          firstEventAt: (row.first_at ?? null) as string | null,
          lastEventAt: (row.last_at ?? null) as string | null,
        };
      });
    },

    compileHeadPosition(instance) {
      const scope = toScope(instance);
      const params = new ParamCollector();
      // One backward step of the (instance, position) index, whatever the plan knows of the
      // instance (see SqlDialect.leadingEquals): as `max(global_position)` with a plain `=`,
      // PostgreSQL's generic plan (a prepared statement after five runs) walked the primary key
      // from the table's end, past every event other instances wrote since this one's last.
      const own = leadingEquals(dialect, columns.instance, params.bind(scope.key));
      const head = params.render(
        `SELECT ${columns.globalPosition} AS p FROM ${from} WHERE ${own} ORDER BY ${columns.instance} DESC, ${columns.globalPosition} DESC LIMIT 1`,
        placeholder,
      );
      return makeProgram({ head }, function* (): StatementProgram<number> {
        const [row] = yield head;
        return toNumber(row?.p) ?? 0;
      });
    },
  };
}
