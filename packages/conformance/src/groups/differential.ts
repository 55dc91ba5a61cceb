/**
 * The differential property test as a vitest test: generated datasets (with tags) and at least
 * 200 generated queries, each answered by the adapter and by the core evaluator, which must agree;
 * then generated conditional appends, whose outcome must match the oracle's first matching position.
 */

import { expect, test } from 'vitest';
import { REQUIRED_FEATURES } from '../arbitraries.js';
import { type ContextHolder, useContext } from '../context.js';
import { resolveDifferentialOptions, runDifferential } from '../differential.js';

/** The fewest generated queries one suite run must compare. */
export const MIN_DIFFERENTIAL_QUERIES = 200;

/** Registers the `differential` group. */
export function registerDifferentialTests(holder: ContextHolder): void {
  test(`given generated events and at least ${MIN_DIFFERENTIAL_QUERIES} generated queries, then the adapter agrees with the oracle on every one`, async () => {
    const ctx = useContext(holder);
    const options = resolveDifferentialOptions(ctx.options.differential);
    const report = await runDifferential(ctx.log, options);
    expect(report.queries, 'generated queries compared').toBeGreaterThanOrEqual(MIN_DIFFERENTIAL_QUERIES);
    expect(report.events).toBeGreaterThanOrEqual(options.runs * options.minEvents);
    expect(report.readAfterChecks).toBe(options.runs * 4);
    expect(report.conditionChecks).toBe(options.runs * 8);
    // Both outcomes must occur, or the conditional appends prove nothing.
    expect(report.conditionConflicts, 'conditional appends that conflicted').toBeGreaterThan(0);
    expect(report.conditionConflicts, 'conditional appends that succeeded').toBeLessThan(
      report.conditionChecks,
    );
    const missing = REQUIRED_FEATURES.filter((f) => !report.features.has(f));
    expect(missing, 'DSL features no generated query exercised').toEqual([]);
    // A differential test over empty results proves little: most queries must match something.
    expect(report.nonEmpty / report.queries, 'share of queries with a non-empty result').toBeGreaterThan(0.4);
  }, 600_000);
}
