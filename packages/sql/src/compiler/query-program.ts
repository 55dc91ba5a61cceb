/**
 * A compiled query is a small program: it yields statements and receives their rows, because
 * what runs next can depend on what came back (skip the count when the page already tells the
 * total; check a `collect` budget before building the arrays). The same program runs on a
 * synchronous driver (better-sqlite3, inside one read transaction) and on an asynchronous one
 * (postgres.js, inside one snapshot).
 */

import type { CompiledStatement } from './params.js';

/** A result row, keyed by column alias. */
export type Row = Record<string, unknown>;

/** A program over statements: yields a statement, receives its rows, returns a result. */
export type StatementProgram<T> = Generator<CompiledStatement, T, readonly Row[]>;

/**
 * Runs a program on a synchronous driver. Run it inside one read transaction so every statement
 * sees the same snapshot.
 *
 * @example
 * const result = db.transaction(() => runProgramSync(compiled.program(), (s) => db.prepare(s.sql).all(...s.params)))();
 */
export function runProgramSync<T>(
  program: StatementProgram<T>,
  all: (statement: CompiledStatement) => readonly Row[],
): T {
  let step = program.next();
  while (!step.done) step = program.next(all(step.value));
  return step.value;
}

/**
 * Runs a program on an asynchronous driver. Run it inside one snapshot (for example a
 * `REPEATABLE READ READ ONLY` transaction) so every statement sees the same data.
 */
export async function runProgram<T>(
  program: StatementProgram<T>,
  all: (statement: CompiledStatement) => Promise<readonly Row[]>,
): Promise<T> {
  let step = program.next();
  while (!step.done) step = program.next(await all(step.value));
  return step.value;
}
