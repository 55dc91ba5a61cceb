/**
 * Runs the DSL on PostgreSQL through the shared compiler of `@eventlog/sql` (postgres dialect).
 *
 * A compiled query is a small program of statements (a page, then a count when the page does not
 * tell the total; or an aggregate). A program with one statement runs alone. A program with several
 * runs in one `REPEATABLE READ READ ONLY` transaction so they see one snapshot: all its statements
 * and the `begin`/`commit` go in one round trip, except `collect`, whose budget check must come
 * before the (possibly large) aggregate.
 */

import type { EventRecord, Limits, QueryNode, QueryResult, ReadAfterRequest } from '@eventlog/core';
import {
  type CompiledProgram,
  type CompiledStatement,
  createQueryCompiler,
  DEFAULT_EVENT_COLUMNS,
  postgresDialect,
  type QueryCompiler,
  type Row,
} from '@eventlog/sql';
import type postgres from 'postgres';
import { type PgClient, PREPARED } from './pg-client.js';
import { wrapDriverError } from './pg-errors.js';

type Params = postgres.ParameterOrJSON<never>[];

const BEGIN_SNAPSHOT = 'begin isolation level repeatable read read only';

/** Compiles and runs queries and live reads for one schema. */
export class PostgresQueryRunner {
  readonly #sql: PgClient;
  readonly #compiler: QueryCompiler;

  constructor(sql: PgClient, schema: string) {
    this.#sql = sql;
    this.#compiler = createQueryCompiler(postgresDialect(), {
      layout: { table: [schema, 'events'], columns: DEFAULT_EVENT_COLUMNS },
    });
  }

  /** The compiler (for inspection and tests). */
  get compiler(): QueryCompiler {
    return this.#compiler;
  }

  /** Answers a parsed query over one instance. */
  query(instanceId: string, query: QueryNode, limits: Limits): Promise<QueryResult> {
    return this.#execute(this.#compiler.compileQuery(instanceId, query, limits), 'running a query');
  }

  /** A page of events after a position, in position order. */
  async readAfter(request: ReadAfterRequest): Promise<EventRecord[]> {
    const read = this.#compiler.compileReadAfter(request.instanceId, {
      after: request.after,
      limit: request.limit,
      ...(request.stream === undefined ? {} : { stream: request.stream }),
      ...(request.where === undefined ? {} : { where: request.where }),
    });
    const rows = await this.#one(read.statement, 'reading events after a position');
    return read.decode(rows);
  }

  async #one(statement: CompiledStatement, doing: string): Promise<readonly Row[]> {
    try {
      return await this.#sql.unsafe(statement.sql, statement.params as Params, PREPARED);
    } catch (error) {
      throw wrapDriverError(error, doing, statement.sql);
    }
  }

  async #execute<T>(compiled: CompiledProgram<T>, doing: string): Promise<T> {
    const statements = Object.values(compiled.statements);
    // One statement is its own snapshot: no transaction needed.
    if (statements.length <= 1) {
      return compiled.execute((statement) => this.#one(statement, doing));
    }
    let conn: postgres.ReservedSql;
    try {
      conn = await this.#sql.reserve();
    } catch (error) {
      throw wrapDriverError(error, doing);
    }
    try {
      // `collect` checks its budget before it builds the arrays: run its program step by step.
      if ('collectCheck' in compiled.statements) return await this.#stepwise(conn, compiled, doing);
      return await this.#pipelined(conn, compiled, statements, doing);
    } finally {
      conn.release();
    }
  }

  /**
   * Runs every statement of the program at once in one snapshot, in one round trip, then feeds the
   * program their rows. Used when the extra statements are cheap whatever the rows say: a count
   * the program may skip costs at most what reading the page cost.
   */
  async #pipelined<T>(
    conn: postgres.ReservedSql,
    compiled: CompiledProgram<T>,
    statements: CompiledStatement[],
    doing: string,
  ): Promise<T> {
    const settled = await Promise.allSettled([
      conn.unsafe(BEGIN_SNAPSHOT).execute(),
      ...statements.map((s) => conn.unsafe(s.sql, s.params as Params, PREPARED).execute()),
      conn.unsafe('commit').execute(),
    ]);
    const failed = settled.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (settled[failed] as PromiseRejectedResult).reason;
      throw wrapDriverError(reason, doing, statements[failed - 1]?.sql);
    }
    const rows = new Map<CompiledStatement, readonly Row[]>();
    for (const [i, s] of statements.entries()) {
      rows.set(s, (settled[i + 1] as PromiseFulfilledResult<readonly Row[]>).value);
    }
    return compiled.execute(async (statement) => {
      const result = rows.get(statement);
      if (result !== undefined) return result;
      // Not announced in `statements` (the compiler's contract says it cannot happen): run it.
      return this.#one(statement, doing);
    });
  }

  /** Runs the program one statement at a time, in one snapshot. */
  async #stepwise<T>(conn: postgres.ReservedSql, compiled: CompiledProgram<T>, doing: string): Promise<T> {
    const program = compiled.program();
    let step = program.next();
    if (step.done) return step.value;
    let current: CompiledStatement = step.value;
    try {
      const [, first] = await Promise.all([
        conn.unsafe(BEGIN_SNAPSHOT).execute(),
        conn.unsafe(current.sql, current.params as Params, PREPARED).execute(),
      ]);
      step = program.next(first);
      while (!step.done) {
        current = step.value;
        step = program.next(await conn.unsafe(current.sql, current.params as Params, PREPARED));
      }
      // Awaited: postgres.js sends a query a microtask after it is created, so releasing the
      // connection first could let another caller's statement run inside this transaction.
      await conn.unsafe('commit');
      return step.value;
    } catch (error) {
      await conn.unsafe('rollback').catch(() => {});
      throw wrapDriverError(error, doing, current.sql);
    }
  }
}
