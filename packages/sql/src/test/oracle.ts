/**
 * Runs one raw query through the parser, the core evaluator (the oracle) and a compiled SQL
 * program, and reports whether they agree.
 */

import {
  EventLogError,
  type EventRecord,
  evaluateQuery,
  type Limits,
  parseQuery,
  type QueryResult,
} from '@eventlog/core';
import type { CompiledQuery, QueryCompiler } from '../compiler/query-compiler.js';
import { sameResult } from './fixtures.js';

/** An outcome: a result, or the code of the error thrown. */
export type Outcome = { result: QueryResult } | { error: string };

function capture(fn: () => QueryResult): Outcome {
  try {
    return { result: fn() };
  } catch (error) {
    if (EventLogError.isInstance(error)) return { error: error.code };
    throw error;
  }
}

async function captureAsync(fn: () => Promise<QueryResult>): Promise<Outcome> {
  try {
    return { result: await fn() };
  } catch (error) {
    if (EventLogError.isInstance(error)) return { error: error.code };
    throw error;
  }
}

/** What a comparison found. `skipped` when the parser rejects the query. */
export interface Comparison {
  skipped: boolean;
  same: boolean;
  expected?: Outcome;
  actual?: Outcome;
  sql?: string;
}

function compare(expected: Outcome, actual: Outcome, compiled: CompiledQuery): Comparison {
  const same =
    'error' in expected
      ? 'error' in actual && actual.error === expected.error
      : 'result' in actual && sameResult(actual.result, expected.result);
  const sql = Object.values(compiled.statements)
    .map((s) => `${s.sql} -- ${JSON.stringify(s.params)}`)
    .join('\n');
  return { skipped: false, same, expected, actual, sql };
}

/** Compares the evaluator with a synchronous SQL run. */
export function compareSync(
  raw: unknown,
  events: readonly EventRecord[],
  compiler: QueryCompiler,
  limits: Limits,
  instance: string,
  run: (compiled: CompiledQuery) => QueryResult,
): Comparison {
  let ast: ReturnType<typeof parseQuery>;
  try {
    ast = parseQuery(raw, limits);
  } catch {
    return { skipped: true, same: true };
  }
  const compiled = compiler.compileQuery(instance, ast, limits);
  return compare(
    capture(() => evaluateQuery(events, ast, limits)),
    capture(() => run(compiled)),
    compiled,
  );
}

/** Compares the evaluator with an asynchronous SQL run. */
export async function compareAsync(
  raw: unknown,
  events: readonly EventRecord[],
  compiler: QueryCompiler,
  limits: Limits,
  instance: string,
  run: (compiled: CompiledQuery) => Promise<QueryResult>,
): Promise<Comparison> {
  let ast: ReturnType<typeof parseQuery>;
  try {
    ast = parseQuery(raw, limits);
  } catch {
    return { skipped: true, same: true };
  }
  const compiled = compiler.compileQuery(instance, ast, limits);
  return compare(
    capture(() => evaluateQuery(events, ast, limits)),
    await captureAsync(() => run(compiled)),
    compiled,
  );
}
