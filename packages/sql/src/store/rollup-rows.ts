/**
 * The rows of rollups as both SQL backends store them: a `rollups` row holds the definition as
 * JSON text; a `rollup_cells` row holds a cell's group key (a JSON array) `k`, its count `n`, and a
 * sum `s<i>` with its numeric count `c<i>` per summed field. Each backend keeps its own tables,
 * triggers and statements (`pg-rollups.ts`, `sqlite-rollups.ts`); the texts and decoding are here.
 */

import { type RollupCell, type RollupInfo, type RollupSpec, rollupSumFields } from '@eventlog/core';
import type { Row } from '../compiler/query-program.js';

/** The stored definition of a rollup: its name, groups and measures, as JSON text. */
export function rollupDefinitionText(spec: RollupSpec): string {
  return JSON.stringify({ name: spec.name, groupBy: spec.groupBy, measures: spec.measures });
}

/** A rollup's description from its `definition` and `created_at`. */
export function rollupInfoOf(instanceId: string, row: Row): RollupInfo {
  const spec = JSON.parse(row.definition as string) as RollupSpec;
  return { instanceId, ...spec, createdAt: row.created_at as string };
}

/**
 * A rollup and its cells from one read: rows with a non-null `definition` name the rollup (the
 * first one is used), rows with a non-null `k` are its cells. Undefined when no row names it.
 */
export function rollupReadOf(rows: readonly Row[]): { rollup: RollupSpec; cells: RollupCell[] } | undefined {
  const head = rows.find((r) => r.definition !== null && r.definition !== undefined);
  if (head === undefined) return undefined;
  const rollup = JSON.parse(head.definition as string) as RollupSpec;
  const sums = rollupSumFields(rollup);
  const cells: RollupCell[] = [];
  for (const r of rows) {
    if (r.k === null || r.k === undefined) continue;
    cells.push({
      key: JSON.parse(r.k as string) as string[],
      count: Number(r.n),
      sums: sums.map((_, i) => ({ sum: Number(r[`s${i}`] ?? 0), count: Number(r[`c${i}`] ?? 0) })),
    });
  }
  return { rollup, cells };
}
