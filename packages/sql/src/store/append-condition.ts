/**
 * The fact a conditional append needs (SPEC §8): the first position after `after` of an event of
 * the instance that matches an item of the condition. One statement on any SQL database, built so
 * each item is answered from an index in position order and stops at its first match:
 *
 * - an item with tags walks the tag table's (instance, tag, position) key of its first tag from
 *   `after`, checking the other tags (and the types) of each candidate by primary key;
 * - an item with types only takes, per type, the first entry of the events' (instance, type,
 *   position) index after `after`.
 *
 * The smallest of those positions is the answer (NULL when nothing matches).
 */

import type { ConditionSpec } from '@eventlog/core';
import { quoteTable } from '../compiler/field-ref.js';
import { type CompiledStatement, ParamCollector } from '../compiler/params.js';
import { type Bind, leadingEquals, type SqlDialect } from '../compiler/sql-dialect.js';
import type { EventTableLayout } from '../compiler/table-layout.js';

/**
 * The statement answering `{ p }`: the first matching position, or NULL.
 *
 * @param instance SQL of the instance key: a bound value (`(bind) => bind(pk)`) or an expression
 *   the transaction knows (PostgreSQL: the locked instance's setting)
 */
export function conditionProbe(
  dialect: SqlDialect,
  layout: EventTableLayout,
  condition: ConditionSpec,
  instance: (bind: Bind) => string,
  /**
   * The number of the first placeholder, to embed the probe in a statement with parameters of its
   * own; or how to write each parameter (its number from 1, its value: a string or a number).
   */
  firstParameter: number | ((index: number, value: unknown) => string) = 1,
): CompiledStatement {
  const tagTable = layout.tagTable;
  if (tagTable === undefined) throw new TypeError('A conditional append needs the tag table in the layout.');
  const q = (name: string) => dialect.quoteIdentifier(name);
  const events = quoteTable(dialect, layout);
  const tags = quoteTable(dialect, { table: tagTable.table, columns: layout.columns });
  const c = layout.columns;
  const params = new ParamCollector();
  const bind = params.bind;
  const list = (values: readonly string[]) => values.map((v) => bind(v)).join(', ');
  const probes: string[] = [];

  for (const item of condition.items) {
    const itemTags = item.tags ?? [];
    const types = item.types;
    if (itemTags.length > 0) {
      const [first, ...rest] = itemTags as [string, ...string[]];
      const checks = [
        `t0.${q(tagTable.instance)} = ${instance(bind)}`,
        `t0.${q(tagTable.tag)} = ${bind(first)}`,
        `t0.${q(tagTable.position)} > ${bind(condition.after)}`,
      ];
      // Each further tag bounded by `after` too (implied by the join, but it keeps the probe an
      // index range from `after` whichever tag a plan starts from: PostgreSQL runs it with a
      // generic plan, which cannot tell a rare tag from a frequent one).
      rest.forEach((tag, k) => {
        const t = `t${k + 1}`;
        checks.push(
          `EXISTS (SELECT 1 FROM ${tags} AS ${t} WHERE ${t}.${q(tagTable.instance)} = ${instance(bind)} AND ${t}.${q(tagTable.tag)} = ${bind(tag)} AND ${t}.${q(tagTable.position)} = t0.${q(tagTable.position)} AND ${t}.${q(tagTable.position)} > ${bind(condition.after)})`,
        );
      });
      if (types !== undefined && types.length > 0) {
        checks.push(
          `EXISTS (SELECT 1 FROM ${events} AS e WHERE e.${q(c.globalPosition)} = t0.${q(tagTable.position)} AND e.${q(c.eventType)} IN (${list(types)}))`,
        );
      }
      probes.push(
        `(SELECT t0.${q(tagTable.position)} FROM ${tags} AS t0 WHERE ${checks.join(' AND ')} ORDER BY t0.${q(tagTable.position)} LIMIT 1)`,
      );
    } else if (types !== undefined) {
      // A seek of the (instance, type, position) index, whatever the plan knows of the values
      // (see SqlDialect.leadingEquals): ordered by position alone, PostgreSQL's generic plan
      // walked the primary key from `after`, to the table's end when nothing matched.
      const column = `e.${q(c.instance)}`;
      for (const type of types) {
        const own = leadingEquals(dialect, column, instance(bind));
        probes.push(
          `(SELECT e.${q(c.globalPosition)} FROM ${events} AS e WHERE ${own} AND e.${q(c.eventType)} = ${bind(type)} AND e.${q(c.globalPosition)} > ${bind(condition.after)} ORDER BY ${column}, e.${q(c.globalPosition)} LIMIT 1)`,
        );
      }
    }
  }
  const placeholder =
    typeof firstParameter === 'function'
      ? firstParameter
      : (i: number) => dialect.placeholder(i + firstParameter - 1);
  if (probes.length === 0) return params.render('SELECT NULL AS p', placeholder);
  const union = probes.map((probe) => `SELECT ${probe} AS p`).join(' UNION ALL ');
  return params.render(`SELECT min(x.p) AS p FROM (${union}) AS x`, placeholder);
}
