/**
 * Rollups on PostgreSQL (issue 10): a rollup's cells live in `rollup_cells`, keyed by the rollup
 * and the JSON array of its group values, and are kept by two statement-level triggers per rollup
 * on `events` with transition tables — one statement per write adds the inserted events of the
 * instance, grouped (an UPSERT per group), one takes the deleted ones away. Every write that adds
 * or removes events (appends, stream deletion and truncation, pruning, imports, removals, instance
 * deletion) keeps the cells in its own transaction, from any process.
 *
 * The two tables are created by the first `defineRollup`. Sums are `numeric` (exact for the
 * decimal numbers jsonb holds); a cell is deleted when its count reaches 0, and a sum is reset to
 * 0 when its field's numeric count does.
 */

import {
  instanceNotFound,
  type RollupCell,
  type RollupInfo,
  type RollupSpec,
  rollupFieldNode,
  rollupNameTaken,
  rollupSumFields,
} from '@eventlog/core';
import {
  type CompiledStatement,
  postgresJsonPath,
  rollupDefinitionText,
  rollupInfoOf,
  rollupReadOf,
  type StatementProgram,
} from '@eventlog/sql';

const stmt = (sql: string, ...params: unknown[]): CompiledStatement => ({ sql, params });

/** The statements of rollups in one schema. */
export class PgRollupSql {
  readonly rollups: string;
  readonly cells: string;
  readonly events: string;
  readonly instances: string;
  private readonly q: (name: string) => string;

  constructor(readonly schema: string) {
    this.q = (name) => `"${schema.replaceAll('"', '""')}"."${name}"`;
    this.rollups = this.q('rollups');
    this.cells = this.q('rollup_cells');
    this.events = this.q('events');
    this.instances = this.q('instances');
  }

  createTables(): CompiledStatement[] {
    return [
      stmt(`CREATE TABLE IF NOT EXISTS ${this.rollups} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        instance_id text NOT NULL,
        name text NOT NULL,
        definition text NOT NULL,
        created_at text NOT NULL,
        UNIQUE (instance_id, name))`),
      stmt(`CREATE TABLE IF NOT EXISTS ${this.cells} (
        rollup_id bigint NOT NULL,
        k text COLLATE "C" NOT NULL,
        n bigint NOT NULL,
        s0 numeric NOT NULL DEFAULT 0, c0 bigint NOT NULL DEFAULT 0,
        s1 numeric NOT NULL DEFAULT 0, c1 bigint NOT NULL DEFAULT 0,
        s2 numeric NOT NULL DEFAULT 0, c2 bigint NOT NULL DEFAULT 0,
        s3 numeric NOT NULL DEFAULT 0, c3 bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (rollup_id, k))`),
    ];
  }

  hasTables(): CompiledStatement {
    return stmt(`SELECT to_regclass($1) IS NOT NULL AS ok`, `${this.rollups}`);
  }

  /** The grouped contributions of the rows of `source` (an alias) that belong to the rollup's instance. */
  private grouped(id: number, spec: RollupSpec, source: string): string {
    const key = `jsonb_build_array(${spec.groupBy
      .map((g) => {
        if (typeof g === 'string') return `e.${g}`;
        switch (g.interval) {
          case 'minute':
            return `left(e.timestamp, 16) || ':00.000Z'`;
          case 'hour':
            return `left(e.timestamp, 13) || ':00:00.000Z'`;
          default:
            return `left(e.timestamp, 10) || 'T00:00:00.000Z'`;
        }
      })
      .join(', ')})::text`;
    const values = rollupSumFields(spec).map((field) => {
      const node = rollupFieldNode(field);
      const v = `(e.${node.column} #> ${postgresJsonPath(node.path)})`;
      return `CASE WHEN jsonb_typeof(${v}) = 'number' THEN ${v}::text::numeric END`;
    });
    const inner = [`${key} AS k`, ...values.map((v, i) => `${v} AS v${i}`)].join(', ');
    const outer = [
      'k',
      'count(*) AS n',
      ...values.flatMap((_, i) => [`coalesce(sum(v${i}), 0) AS s${i}`, `count(v${i}) AS c${i}`]),
    ];
    return `SELECT ${outer.join(', ')} FROM (SELECT ${inner} FROM ${source} AS e
      WHERE e.instance_id = (SELECT instance_id FROM ${this.rollups} WHERE id = ${id})) AS x GROUP BY k`;
  }

  /** Functions, triggers and the backfill of a new rollup. */
  define(id: number, spec: RollupSpec): CompiledStatement[] {
    const sums = rollupSumFields(spec);
    const cols = ['rollup_id', 'k', 'n', ...sums.flatMap((_, i) => [`s${i}`, `c${i}`])];
    const selectCols = [`${id}`, 'k', 'n', ...sums.flatMap((_, i) => [`s${i}`, `c${i}`])];
    const add = [
      `n = c.n + excluded.n`,
      ...sums.flatMap((_, i) => [`s${i} = c.s${i} + excluded.s${i}`, `c${i} = c.c${i} + excluded.c${i}`]),
    ];
    const sub = [
      `n = c.n - d.n`,
      ...sums.flatMap((_, i) => [
        `s${i} = CASE WHEN c.c${i} - d.c${i} = 0 THEN 0 ELSE c.s${i} - d.s${i} END`,
        `c${i} = c.c${i} - d.c${i}`,
      ]),
    ];
    const upsert = (source: string) =>
      `INSERT INTO ${this.cells} AS c (${cols.join(', ')})
       SELECT ${selectCols.join(', ')} FROM (${this.grouped(id, spec, source)}) AS g
       ON CONFLICT (rollup_id, k) DO UPDATE SET ${add.join(', ')}`;
    const fn = (suffix: string) => this.q(`rollup_${id}_${suffix}`);
    return [
      // A rollup whose row is gone (its instance is being deleted) does nothing; its triggers are
      // dropped after that commit (see dropOrphanRollupsProgram).
      stmt(`CREATE OR REPLACE FUNCTION ${fn('insert')}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM ${this.rollups} WHERE id = ${id}) THEN RETURN NULL; END IF;
          ${upsert('new_rows')};
          RETURN NULL;
        END $body$`),
      stmt(`CREATE OR REPLACE FUNCTION ${fn('delete')}() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM ${this.rollups} WHERE id = ${id}) THEN RETURN NULL; END IF;
          UPDATE ${this.cells} AS c SET ${sub.join(', ')}
          FROM (${this.grouped(id, spec, 'old_rows')}) AS d
          WHERE c.rollup_id = ${id} AND c.k = d.k;
          DELETE FROM ${this.cells} WHERE rollup_id = ${id} AND n <= 0;
          RETURN NULL;
        END $body$`),
      stmt(`CREATE TRIGGER "rollup_${id}_insert" AFTER INSERT ON ${this.events}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('insert')}()`),
      stmt(`CREATE TRIGGER "rollup_${id}_delete" AFTER DELETE ON ${this.events}
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn('delete')}()`),
      stmt(upsert(this.events)),
    ];
  }

  /**
   * Removes the rows of an instance's rollups and their cells, in the transaction deleting its
   * events, before they go: their triggers then find no rollup and do nothing, where they would
   * otherwise group every deleted event to update cells about to be dropped. The triggers and
   * functions (DDL, which would lock the events table for the whole delete) are dropped after
   * the commit by {@link dropOrphanRollupsProgram}.
   */
  forgetInstance(instanceId: string): CompiledStatement[] {
    return [
      stmt(
        `DELETE FROM ${this.cells} WHERE rollup_id IN (SELECT id FROM ${this.rollups} WHERE instance_id = $1)`,
        instanceId,
      ),
      stmt(`DELETE FROM ${this.rollups} WHERE instance_id = $1`, instanceId),
    ];
  }

  /** The ids of rollup triggers on the events table whose rollup row is gone. */
  strandedTriggers(): CompiledStatement {
    return stmt(
      `SELECT DISTINCT substring(t.tgname from '^rollup_([0-9]+)_') AS id FROM pg_trigger AS t
       WHERE t.tgrelid = to_regclass($1) AND t.tgname ~ '^rollup_[0-9]+_(insert|delete)$'
         AND NOT EXISTS (SELECT 1 FROM ${this.rollups} AS r WHERE r.id = substring(t.tgname from '^rollup_([0-9]+)_')::bigint)`,
      this.events,
    );
  }

  drop(id: number): CompiledStatement[] {
    return [
      stmt(`DROP TRIGGER IF EXISTS "rollup_${id}_insert" ON ${this.events}`),
      stmt(`DROP TRIGGER IF EXISTS "rollup_${id}_delete" ON ${this.events}`),
      stmt(`DROP FUNCTION IF EXISTS ${this.q(`rollup_${id}_insert`)}()`),
      stmt(`DROP FUNCTION IF EXISTS ${this.q(`rollup_${id}_delete`)}()`),
      stmt(`DELETE FROM ${this.cells} WHERE rollup_id = $1`, id),
      stmt(`DELETE FROM ${this.rollups} WHERE id = $1`, id),
    ];
  }
}

function* instanceExists(S: PgRollupSql, instanceId: string): StatementProgram<void> {
  const [row] = yield stmt(`SELECT 1 AS ok FROM ${S.instances} WHERE id = $1`, instanceId);
  if (row === undefined) throw instanceNotFound(instanceId);
}

export function* defineRollupProgram(
  S: PgRollupSql,
  instanceId: string,
  spec: RollupSpec,
  createdAt: string,
): StatementProgram<RollupInfo> {
  yield* instanceExists(S, instanceId);
  // Rollup DDL of all instances one at a time: two first definitions would race to create the
  // tables (CREATE TABLE IF NOT EXISTS is not safe against a concurrent one).
  yield stmt(`SELECT pg_advisory_xact_lock(hashtext($1)) IS NULL AS locked`, `eventlog.rollups:${S.schema}`);
  for (const s of S.createTables()) yield s;
  const [taken] = yield stmt(
    `SELECT id FROM ${S.rollups} WHERE instance_id = $1 AND name = $2`,
    instanceId,
    spec.name,
  );
  if (taken !== undefined) {
    throw rollupNameTaken(spec.name);
  }
  const definition = rollupDefinitionText(spec);
  const [row] = yield stmt(
    `INSERT INTO ${S.rollups} (instance_id, name, definition, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
    instanceId,
    spec.name,
    definition,
    createdAt,
  );
  for (const s of S.define(Number(row?.id), spec)) yield s;
  return rollupInfoOf(instanceId, { definition, created_at: createdAt });
}

export function* listRollupsProgram(S: PgRollupSql, instanceId: string): StatementProgram<RollupInfo[]> {
  yield* instanceExists(S, instanceId);
  const [has] = yield S.hasTables();
  if (has?.ok !== true) return [];
  const rows = yield stmt(
    `SELECT definition, created_at FROM ${S.rollups} WHERE instance_id = $1 ORDER BY id`,
    instanceId,
  );
  return rows.map((r) => rollupInfoOf(instanceId, r));
}

export function* dropRollupProgram(
  S: PgRollupSql,
  instanceId: string,
  name: string,
): StatementProgram<boolean> {
  yield* instanceExists(S, instanceId);
  const [has] = yield S.hasTables();
  if (has?.ok !== true) return false;
  const [row] = yield stmt(
    `SELECT id FROM ${S.rollups} WHERE instance_id = $1 AND name = $2`,
    instanceId,
    name,
  );
  if (row === undefined) return false;
  for (const s of S.drop(Number(row.id))) yield s;
  return true;
}

export function* readRollupProgram(
  S: PgRollupSql,
  instanceId: string,
  name: string,
): StatementProgram<{ rollup: RollupSpec; cells: RollupCell[] } | undefined> {
  const [has] = yield S.hasTables();
  if (has?.ok !== true) return undefined;
  // One statement: the definition and its cells from one snapshot.
  const rows = yield stmt(
    `SELECT r.definition, c.k, c.n::float8 AS n, c.s0::float8 AS s0, c.c0::float8 AS c0,
       c.s1::float8 AS s1, c.c1::float8 AS c1, c.s2::float8 AS s2, c.c2::float8 AS c2,
       c.s3::float8 AS s3, c.c3::float8 AS c3
     FROM ${S.rollups} AS r LEFT JOIN ${S.cells} AS c ON c.rollup_id = r.id AND c.n > 0
     WHERE r.instance_id = $1 AND r.name = $2`,
    instanceId,
    name,
  );
  return rollupReadOf(rows);
}

/**
 * Drops what is left of the rollups of deleted instances (after an instance's deletion): the
 * triggers and functions of rollups whose rows the delete removed (see `forgetInstance`), and
 * any rollup whose instance no longer exists.
 */
export function* dropOrphanRollupsProgram(S: PgRollupSql): StatementProgram<void> {
  const [has] = yield S.hasTables();
  if (has?.ok !== true) return;
  const stranded = yield S.strandedTriggers();
  const rows = yield stmt(
    `SELECT id FROM ${S.rollups} AS r WHERE NOT EXISTS (SELECT 1 FROM ${S.instances} AS i WHERE i.id = r.instance_id)`,
  );
  for (const r of [...stranded, ...rows]) for (const s of S.drop(Number(r.id))) yield s;
}
