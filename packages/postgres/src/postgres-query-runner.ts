/**
 * Runs the shared store's read programs (queries, statistics) on PostgreSQL, each in one snapshot.
 *
 * A compiled query is a small program of statements: a page, then a count only when the page does
 * not tell the total (it is full, or empty past the first page); or an aggregate, with a budget
 * check first for `collect`. The store may put a `guard` before it (the instance's retention rules,
 * read in the same snapshot). Each program runs in one `REPEATABLE READ READ ONLY` transaction, so
 * all its statements see one snapshot, with `set local plan_cache_mode = force_custom_plan` (below).
 *
 * Statements are sent **ahead**, in the first round trip with `begin`, whenever the runner can
 * tell the program will ask for them:
 * - **a page and its count**: the guard, the page, the count only if this page statement's last run
 *   needed it (same text: same filters, order and limit, other values), and `commit`. So a short
 *   page over an unindexed filter scans once, and paging through a large result still costs one
 *   round trip. When the prediction says "no count" and the page turns out to need one, the query
 *   runs again with it, in a new snapshot (page and total must agree), and the prediction flips.
 * - **other programs**: the guard with the program's first statement (`prefetch`), then each next
 *   statement when the program asks for it, with `commit` when it is the last one announced.
 *   `collect`'s budget check must come back before its (possibly large) aggregate runs.
 * A statement the program asks for that was not sent is sent then, in the same transaction, unless
 * the transaction was committed already: then the program runs again.
 *
 * Why custom plans: the statements are prepared (parsed once per connection), and PostgreSQL
 * switches a prepared statement to a generic plan after five runs when that plan looks cheaper. A
 * generic plan cannot see the values — neither the filter's nor the `LIMIT`'s, which it assumes
 * returns 10% of the rows — so an unindexed filter with a large limit went from a sequential scan
 * and a sort to a full walk of the primary key, twice as slow. The DSL's costs depend on its
 * values; planning each run costs a fraction of a millisecond. A program whose statements are all
 * `planStable` (a page of one stream: the guard and a seek, whatever the values) keeps the plan
 * cache as it is: planning its two statements on every run cost a ten-event tail read 0.32–0.35 ms
 * against 0.19–0.22 ms without (the same statements sent by hand with postgres.js), and took a
 * snapshotted `handleCommand`'s tail read from 0.57 to 0.46 ms (median,
 * `bench/src/profile-handle-command.ts`).
 */

import type { AnnouncedProgram, CompiledStatement } from '@eventlog/sql';
import type postgres from 'postgres';
import { type PgClient, PREPARED } from './pg-client.js';
import { wrapDriverError } from './pg-errors.js';

type Params = postgres.ParameterOrJSON<never>[];
type Rows = readonly postgres.Row[];

const BEGIN_SNAPSHOT = 'begin isolation level repeatable read read only';
const CUSTOM_PLANS = 'set local plan_cache_mode = force_custom_plan';
/** A program asked for a statement after the transaction was committed: run it again. */
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

  /** Runs a program in one snapshot (see the module comment). */
  async read<T>(doing: string, compiled: AnnouncedProgram<T>): Promise<T> {
    const { replay, guard, page, count, ...others } = compiled.statements;
    const lead = [replay, guard].filter((statement) => statement !== undefined);
    // The guard (a key lookup) and the replay check never need custom plans; the rest decide.
    const customPlans = [page, count, ...Object.values(others)].some(
      (statement) => statement !== undefined && statement.planStable !== true,
    );
    if (page !== undefined && count !== undefined && Object.keys(others).length === 0) {
      const predicted = this.#countNeeded.get(page.sql) === true;
      const ahead = [...lead, page, ...(predicted ? [count] : [])];
      const first = await this.#run(compiled, ahead, true, customPlans, doing);
      if (first !== MISSED) {
        this.#remember(page.sql, first.asked.has(count));
        return first.result;
      }
      this.#remember(page.sql, true);
      const again = await this.#run(compiled, [...lead, page, count], true, customPlans, doing);
      if (again === MISSED) throw new Error('the compiled query ran a statement it did not announce');
      return again.result;
    }
    const ahead = [...lead, ...(compiled.prefetch ?? [])];
    const announced = Object.keys(compiled.statements).length;
    const outcome = await this.#run(compiled, ahead, ahead.length >= announced, customPlans, doing);
    if (outcome === MISSED) {
      const again = await this.#run(compiled, lead, false, customPlans, doing);
      if (again === MISSED) throw new Error('the compiled program ran a statement it did not announce');
      return again.result;
    }
    return outcome.result;
  }

  /**
   * Runs the program in one snapshot (with custom plans when `customPlans`), `ahead` sent in the
   * first round trip (with `commit` when `commitAhead`); later statements as the program asks for
   * them, `commit` with the last one announced. MISSED when it asks for a statement after the commit.
   */
  async #run<T>(
    compiled: AnnouncedProgram<T>,
    ahead: readonly CompiledStatement[],
    commitAhead: boolean,
    customPlans: boolean,
    doing: string,
  ): Promise<{ result: T; asked: Set<CompiledStatement> } | typeof MISSED> {
    const conn = await this.#reserve(doing);
    const announced = Object.keys(compiled.statements).length;
    const answers = new Map<CompiledStatement, Promise<Rows>>();
    const asked = new Set<CompiledStatement>();
    let committed = false;
    let sent = 0;
    let current: CompiledStatement | undefined;
    const send = (statement: CompiledStatement) => {
      sent++;
      const pending = conn.unsafe(statement.sql, statement.params as Params, PREPARED).execute();
      // Failures surface when the program asks for the answer; never as unhandled rejections.
      pending.catch(() => {});
      answers.set(statement, pending);
    };
    try {
      const begin = conn.unsafe(BEGIN_SNAPSHOT).execute();
      const plans = customPlans ? conn.unsafe(CUSTOM_PLANS).execute() : undefined;
      begin.catch(() => {});
      plans?.catch(() => {});
      for (const statement of ahead) send(statement);
      let commit: Promise<unknown> | undefined;
      if (commitAhead) {
        commit = conn.unsafe('commit').execute();
        commit.catch(() => {});
        committed = true;
      }
      // `begin` and the plan setting are not awaited first: the statements queue behind them on
      // the connection, so the first one the program asks for rides in the same round trip.
      const program = compiled.program();
      let step = program.next();
      while (!step.done) {
        current = step.value;
        asked.add(current);
        let answer = answers.get(current);
        if (answer === undefined) {
          if (committed) {
            await commit;
            return MISSED;
          }
          send(current);
          // The program's last announced statement takes the commit along in its round trip.
          if (sent >= announced) {
            commit = conn.unsafe('commit').execute();
            commit.catch(() => {});
            committed = true;
          }
          answer = answers.get(current) as Promise<Rows>;
        }
        step = program.next(await answer);
      }
      await begin;
      await plans;
      // Awaited: releasing the connection before the commit completes could let another caller's
      // statement run inside this transaction.
      if (committed) await commit;
      else await conn.unsafe('commit');
      return { result: step.value, asked };
    } catch (error) {
      await rollback(conn);
      throw wrapDriverError(error, doing, current?.sql);
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
