/**
 * Runs the shared store's read programs (queries, statistics) on PostgreSQL, each in one snapshot.
 *
 * A compiled query is a small program of statements: a page, then a count only when the page does
 * not tell the total (it is full, or empty past the first page); or an aggregate, with a budget
 * check first for `collect`. Each query runs in one `REPEATABLE READ READ ONLY` transaction, so all
 * its statements see one snapshot, with `set local plan_cache_mode = force_custom_plan` (below).
 *
 * **A page and its count** go in one round trip: `begin`, the plan setting, the page, the count
 * only if this page statement's last run needed it (same text: same filters, order and limit,
 * other values), `commit`. So a short page over an unindexed filter scans once, and paging through
 * a large result still costs one round trip. When the prediction says "no count" and the page turns
 * out to need one, the query runs again with it, in a new snapshot (page and total must agree), and
 * the prediction flips.
 *
 * **Other programs** go step by step: the first statement with `begin` (and `commit`, when it is the
 * only one); each next one when the program asks for it, with `commit` when it is the last one
 * announced. `collect`'s budget check must come back before its (possibly large) aggregate runs.
 *
 * Why custom plans: the statements are prepared (parsed once per connection), and PostgreSQL
 * switches a prepared statement to a generic plan after five runs when that plan looks cheaper. A
 * generic plan cannot see the values — neither the filter's nor the `LIMIT`'s, which it assumes
 * returns 10% of the rows — so an unindexed filter with a large limit went from a sequential scan
 * and a sort to a full walk of the primary key, twice as slow. The DSL's costs depend on its
 * values; planning each run costs a fraction of a millisecond.
 */

import type { AnnouncedProgram, CompiledStatement } from '@eventlog/sql';
import type postgres from 'postgres';
import { type PgClient, PREPARED } from './pg-client.js';
import { wrapDriverError } from './pg-errors.js';

type Params = postgres.ParameterOrJSON<never>[];

const BEGIN_SNAPSHOT = 'begin isolation level repeatable read read only';
const CUSTOM_PLANS = 'set local plan_cache_mode = force_custom_plan';
/** Thrown inside a page program when it asks for a count that was not sent. */
const MISSED = Symbol('missed');
/** Page statements whose count prediction is remembered (then all are forgotten at once). */
const REMEMBERED_PAGES = 500;

/** Runs read programs, each in one snapshot. */
export class PostgresQueryRunner {
  readonly #sql: PgClient;
  /** Page statement text → whether its last run needed the count. */
  readonly #countNeeded = new Map<string, boolean>();

  constructor(sql: PgClient) {
    this.#sql = sql;
  }

  /** Runs a program in one snapshot: a page and its count in one round trip, others step by step. */
  async read<T>(doing: string, compiled: AnnouncedProgram<T>): Promise<T> {
    const { page, count } = compiled.statements;
    if (page === undefined || count === undefined || Object.keys(compiled.statements).length !== 2) {
      return this.#stepwise(compiled, doing);
    }
    const predicted = this.#countNeeded.get(page.sql) === true;
    const first = await this.#pageAndCount(compiled, page, count, predicted, doing);
    if (first !== MISSED) {
      this.#remember(page.sql, first.counted);
      return first.result;
    }
    this.#remember(page.sql, true);
    const again = await this.#pageAndCount(compiled, page, count, true, doing);
    if (again === MISSED) throw new Error('the compiled query ran a statement it did not announce');
    return again.result;
  }

  /**
   * A page program in one round trip (see the module comment), the count included when `withCount`.
   * MISSED when the program asks for a count that was not sent (the snapshot is gone: run again).
   */
  async #pageAndCount<T>(
    compiled: AnnouncedProgram<T>,
    page: CompiledStatement,
    count: CompiledStatement,
    withCount: boolean,
    doing: string,
  ): Promise<{ result: T; counted: boolean } | typeof MISSED> {
    const rows = await this.#transaction(withCount ? [page, count] : [page], doing);
    let counted = false;
    const answers = new Map<CompiledStatement, readonly postgres.Row[] | undefined>([
      [page, rows[0]],
      [count, rows[1]],
    ]);
    try {
      const program = compiled.program();
      let step = program.next();
      while (!step.done) {
        const statement = step.value;
        const answer = answers.get(statement);
        if (statement === count) counted = true;
        if (answer === undefined) throw MISSED;
        step = program.next(answer);
      }
      const result = step.value;
      return { result, counted };
    } catch (error) {
      if (error === MISSED) return MISSED;
      throw error;
    }
  }

  /**
   * Runs the statements in one snapshot with custom plans, in one round trip with `begin` and
   * `commit`; resolves with their rows, in order.
   */
  async #transaction(
    statements: CompiledStatement[],
    doing: string,
  ): Promise<Array<readonly postgres.Row[]>> {
    const conn = await this.#reserve(doing);
    try {
      const settled = await Promise.allSettled([
        conn.unsafe(BEGIN_SNAPSHOT).execute(),
        conn.unsafe(CUSTOM_PLANS).execute(),
        ...statements.map((s) => conn.unsafe(s.sql, s.params as Params, PREPARED).execute()),
        conn.unsafe('commit').execute(),
      ]);
      const failed = settled.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        await rollback(conn);
        throw wrapDriverError(
          (settled[failed] as PromiseRejectedResult).reason,
          doing,
          statements[failed - 2]?.sql,
        );
      }
      return settled
        .slice(2, 2 + statements.length)
        .map((r) => (r as PromiseFulfilledResult<readonly postgres.Row[]>).value);
    } finally {
      conn.release();
    }
  }

  /** Runs any other program step by step, in one snapshot with custom plans (see the module comment). */
  async #stepwise<T>(compiled: AnnouncedProgram<T>, doing: string): Promise<T> {
    const announced = Object.keys(compiled.statements).length;
    const program = compiled.program();
    let step = program.next();
    if (step.done) return step.value;
    const conn = await this.#reserve(doing);
    let current: CompiledStatement = step.value;
    let sent = 0;
    let committed = false;
    const run = (statement: CompiledStatement) => {
      sent++;
      return conn.unsafe(statement.sql, statement.params as Params, PREPARED).execute();
    };
    // The program's last announced statement takes the commit along in its round trip.
    const commitIfLast = () => {
      if (sent < announced) return undefined;
      committed = true;
      return conn.unsafe('commit').execute();
    };
    try {
      const [, , first] = await Promise.all([
        conn.unsafe(BEGIN_SNAPSHOT).execute(),
        conn.unsafe(CUSTOM_PLANS).execute(),
        run(current),
        commitIfLast(),
      ]);
      step = program.next(first);
      while (!step.done) {
        current = step.value;
        // The compiler announces every statement a program may run; one it did not would run
        // after the commit, outside the snapshot.
        if (committed)
          throw new Error(`the compiled program ran a statement it did not announce: ${current.sql}`);
        const [rows] = await Promise.all([run(current), commitIfLast()]);
        step = program.next(rows);
      }
      // Awaited: postgres.js sends a query a microtask after it is created, so releasing the
      // connection first could let another caller's statement run inside this transaction.
      if (!committed) await conn.unsafe('commit');
      return step.value;
    } catch (error) {
      await rollback(conn);
      throw wrapDriverError(error, doing, current.sql);
    } finally {
      conn.release();
    }
  }

  async #reserve(doing: string): Promise<postgres.ReservedSql> {
    try {
      return await this.#sql.reserve();
    } catch (error) {
      throw wrapDriverError(error, doing);
    }
  }

  #remember(pageSql: string, countNeeded: boolean): void {
    if (this.#countNeeded.size >= REMEMBERED_PAGES && !this.#countNeeded.has(pageSql))
      this.#countNeeded.clear();
    this.#countNeeded.set(pageSql, countNeeded);
  }
}

async function rollback(conn: postgres.ReservedSql): Promise<void> {
  await conn
    .unsafe('rollback')
    .execute()
    .catch(() => {});
}
