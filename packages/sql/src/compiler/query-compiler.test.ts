import { DEFAULT_LIMITS, fieldNode, parseQuery, type Query } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { postgresDialect } from '../dialects/postgres-dialect.js';
import { SQLITE_CANONICAL_JSON_FUNCTION, sqliteDialect } from '../dialects/sqlite-dialect.js';
import { prefixSuccessor } from './condition-compiler.js';
import { ParamCollector } from './params.js';
import { createQueryCompiler, type InstanceScope } from './query-compiler.js';

const sqlite = createQueryCompiler(sqliteDialect());
const postgres = createQueryCompiler(postgresDialect(), {
  layout: {
    table: ['eventlog', 'events'],
    columns: {
      instance: 'instance_id',
      globalPosition: 'global_position',
      id: 'id',
      streamId: 'stream_id',
      sequenceNumber: 'sequence_number',
      eventType: 'event_type',
      timestamp: 'timestamp',
      payload: 'payload',
      metadata: 'metadata',
      eventId: 'event_id',
      tags: 'tags',
    },
  },
});

const from = { instance: 'i1' };

/** The statements of a query as `role: sql -- params` lines. */
function compile(compiler: typeof sqlite, query: Query): string {
  const compiled = compiler.compileQuery(
    { id: 'i1', key: 7 },
    parseQuery(query, DEFAULT_LIMITS),
    DEFAULT_LIMITS,
  );
  return Object.entries(compiled.statements)
    .map(([role, s]) => `${role}: ${s.sql} -- ${JSON.stringify(s.params)}`)
    .join('\n');
}

describe('Given the SQLite dialect', () => {
  it('when a query has no where, then it pages by position and counts separately', () => {
    expect(compile(sqlite, { from, limit: 10, offset: 20 })).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? -- [7]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? ORDER BY e."global_position" ASC LIMIT ? OFFSET ? -- [7,10,20]"
    `);
  });

  it('when comparing a payload string, then one json_extract equality suffices', () => {
    expect(
      compile(sqlite, { from, where: [{ field: 'payload.user.id', operator: 'eq', value: 'u1' }], limit: 1 }),
    ).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND json_extract(e."payload", '$."user"."id"') = ? -- [7,"u1"]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? AND json_extract(e."payload", '$."user"."id"') = ? ORDER BY e."global_position" ASC LIMIT ? OFFSET ? -- [7,"u1",1,0]"
    `);
  });

  it('when a value could be confused with another type, then json_type is tested too', () => {
    expect(
      compile(sqlite, {
        from,
        where: [
          { field: 'payload.a', operator: 'eq', value: 1 },
          { field: 'payload.b', operator: 'eq', value: true },
          { field: 'payload.c', operator: 'eq', value: '[x' },
          { field: 'payload.d', operator: 'eq', value: null },
        ],
        limit: 1,
      }),
    ).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND ((json_extract(e."payload", '$."a"') = ? AND json_type(e."payload", '$."a"') IN ('integer', 'real')) AND json_type(e."payload", '$."b"') = 'true' AND (json_extract(e."payload", '$."c"') = ? AND json_type(e."payload", '$."c"') = 'text') AND json_type(e."payload", '$."d"') = 'null') -- [7,1,"[x"]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? AND ((json_extract(e."payload", '$."a"') = ? AND json_type(e."payload", '$."a"') IN ('integer', 'real')) AND json_type(e."payload", '$."b"') = 'true' AND (json_extract(e."payload", '$."c"') = ? AND json_type(e."payload", '$."c"') = 'text') AND json_type(e."payload", '$."d"') = 'null') ORDER BY e."global_position" ASC LIMIT ? OFFSET ? -- [7,1,"[x",1,0]"
    `);
  });

  it('when negating, then missing fields match through IS NOT TRUE', () => {
    expect(
      compile(sqlite, {
        from,
        where: [
          { field: 'payload.a', operator: 'neq', value: 'x' },
          { not: { field: 'stream_id', operator: 'eq', value: 's' } },
        ],
        limit: 0,
      }),
    ).toMatchInlineSnapshot(
      `"count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND ((json_extract(e."payload", '$."a"') = ?) IS NOT TRUE AND NOT (e."stream_id" = ?)) -- [7,"x","s"]"`,
    );
  });

  it('when using ordering, in, contains and exists, then each is type-strict and literal', () => {
    expect(
      compile(sqlite, {
        from,
        where: [
          { field: 'payload.n', operator: 'gt', value: 5 },
          { field: 'payload.s', operator: 'between', value: ['a', 'm'] },
          { field: 'payload.k', operator: 'in', value: ['x', 2, 1, false] },
          { field: 'payload.tags', operator: 'contains', value: '50%' },
          { field: 'event_type', operator: 'contains', value: '_' },
          { field: 'metadata.x-request-id', operator: 'exists', value: true },
        ],
        limit: 0,
      }),
    ).toMatchInlineSnapshot(
      `"count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND ((json_extract(e."payload", '$."n"') > ? AND json_type(e."payload", '$."n"') IN ('integer', 'real')) AND ((json_extract(e."payload", '$."s"') >= ? AND json_type(e."payload", '$."s"') = 'text') AND (json_extract(e."payload", '$."s"') <= ? AND json_type(e."payload", '$."s"') = 'text')) AND (json_extract(e."payload", '$."k"') IN (?, ?) OR (json_extract(e."payload", '$."k"') = ? AND json_type(e."payload", '$."k"') IN ('integer', 'real')) OR json_type(e."payload", '$."k"') = 'false') AND ((json_type(e."payload", '$."tags"') = 'text' AND instr(json_extract(e."payload", '$."tags"'), ?) > 0) OR (json_type(e."payload", '$."tags"') = 'array' AND EXISTS (SELECT 1 FROM json_each(e."payload", '$."tags"') AS j WHERE j.type = 'text' AND j.atom = ?))) AND instr(e."event_type", ?) > 0 AND json_type(e."metadata", '$."x-request-id"') IS NOT NULL) -- [7,5,"a","m","x",2,1,"50%","50%","_"]"`,
    );
  });

  it('when ordering by a payload field, then the total order keys come before the tie-break', () => {
    expect(
      compile(sqlite, { from, orderBy: { field: 'payload.items.0.price', direction: 'desc' }, limit: 5 }),
    ).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? -- [7]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? ORDER BY CASE json_type(e."payload", '$."items"[0]."price"') WHEN 'null' THEN 1 WHEN 'false' THEN 2 WHEN 'true' THEN 3 WHEN 'integer' THEN 4 WHEN 'real' THEN 4 WHEN 'text' THEN 5 WHEN 'array' THEN 6 WHEN 'object' THEN 6 ELSE 0 END DESC, CASE WHEN json_type(e."payload", '$."items"[0]."price"') IN ('integer', 'real', 'text') THEN json_extract(e."payload", '$."items"[0]."price"') END DESC, e."global_position" ASC LIMIT ? OFFSET ? -- [7,5,0]"
    `);
  });

  it('when reading one stream, then it orders by sequence number, which the stream index serves', () => {
    expect(
      compile(sqlite, {
        from: { instance: 'i1', stream: 'order-1' },
        orderBy: { field: 'globalPosition', direction: 'desc' },
        limit: 2,
      }),
    ).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND e."stream_id" = ? -- [7,"order-1"]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? AND e."stream_id" = ? ORDER BY e."sequence_number" DESC LIMIT ? OFFSET ? -- [7,"order-1",2,0]"
    `);
    const read = sqlite.compileReadAfter({ id: 'i1', key: 7 }, { after: 5, stream: 'order-1', limit: 100 });
    expect(read.statement).toMatchInlineSnapshot(`
      {
        "params": [
          7,
          5,
          7,
          "order-1",
          5,
          "order-1",
          100,
        ],
        "planStable": true,
        "sql": "SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "events" AS e WHERE e."instance_id" = ? AND e."global_position" > ? AND e."sequence_number" > coalesce((SELECT b."sequence_number" FROM "events" AS b WHERE b."instance_id" = ? AND b."stream_id" = ? AND b."global_position" <= ? ORDER BY b."sequence_number" DESC LIMIT 1), 0) AND e."stream_id" = ? ORDER BY e."sequence_number" ASC LIMIT ?",
      }
    `);
  });

  it('when reading one stream bounded only by sequence numbers, then the read is plan-stable; with a filter, across streams or under retention, it is not', () => {
    const where = (conditions: Query['where']) =>
      parseQuery({ from: { instance: 'i1' }, where: conditions }, DEFAULT_LIMITS).where;
    const scope = { id: 'i1', key: 7 };
    const stable = (spec: Parameters<typeof sqlite.compileReadAfter>[1], at: InstanceScope = scope) =>
      sqlite.compileReadAfter(at, spec).statement.planStable === true;
    const bounded = where([
      { field: 'sequence_number', operator: 'gte', value: 3 },
      { field: 'sequence_number', operator: 'lt', value: 9 },
    ]);
    expect(stable({ after: 0, stream: 's', limit: 10 })).toBe(true);
    expect(stable({ after: 0, stream: 's', limit: 10, where: bounded })).toBe(true);
    expect(stable({ after: 5, stream: 's', limit: 10, where: bounded })).toBe(true);
    const typed = where([{ field: 'event_type', operator: 'eq', value: 'A' }]);
    expect(stable({ after: 0, stream: 's', limit: 10, where: typed })).toBe(false);
    expect(stable({ after: 0, limit: 10 })).toBe(false);
    expect(stable({ after: 0, limit: 10, where: bounded })).toBe(false);
    const retained = { ...scope, visibility: { minTimestamp: '2026-01-01T00:00:00.000Z' } };
    expect(stable({ after: 0, stream: 's', limit: 10 }, retained)).toBe(false);
  });

  it('when computing stats, then each figure is its own indexed subquery', () => {
    expect(sqlite.compileStats({ id: 'i1', key: 7 }).statements).toMatchInlineSnapshot(`
      {
        "summary": {
          "params": [
            7,
            7,
            7,
            7,
          ],
          "sql": "SELECT (SELECT count(*) FROM "events" AS e WHERE e."instance_id" = ?) AS n, (SELECT count(*) FROM (SELECT DISTINCT e."stream_id" FROM "events" AS e WHERE e."instance_id" = ?) AS d) AS streams, (SELECT min(e."timestamp") FROM "events" AS e WHERE e."instance_id" = ?) AS first_at, (SELECT max(e."timestamp") FROM "events" AS e WHERE e."instance_id" = ?) AS last_at",
        },
        "types": {
          "params": [
            7,
          ],
          "sql": "SELECT e."event_type" AS typ, count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? GROUP BY e."event_type"",
        },
      }
    `);
  });

  it('when selecting fields, then only their columns are read', () => {
    expect(compile(sqlite, { from, select: ['event_type', 'payload.a'], limit: 5 })).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? -- [7]
      page: SELECT e."global_position" AS gp, e."event_type" AS typ, e."payload" AS pl FROM "events" AS e WHERE e."instance_id" = ? ORDER BY e."global_position" ASC LIMIT ? OFFSET ? -- [7,5,0]"
    `);
  });

  it('when grouping by a field and a week, then groups are limited to maxGroups + 1', () => {
    expect(
      compile(sqlite, {
        from: { instance: 'i1', stream: 'orders' },
        reduce: {
          type: 'sum',
          field: 'payload.total',
          groupBy: ['eventType', { field: 'timestamp', interval: 'week' }],
        },
      }),
    ).toMatchInlineSnapshot(
      `"aggregate: SELECT e."event_type" AS k0, date(e."timestamp", '-6 days', 'weekday 1') || 'T00:00:00.000Z' AS k1, count(*) AS n, total(CAST(CASE WHEN json_type(e."payload", '$."total"') IN ('integer', 'real') THEN json_extract(e."payload", '$."total"') END AS REAL)) AS v FROM "events" AS e WHERE e."instance_id" = ? AND e."stream_id" = ? GROUP BY 1, 2 LIMIT ? -- [7,"orders",10001]"`,
    );
  });

  it('when collecting, then a count checks the budget before the array is built', () => {
    expect(
      compile(sqlite, { from, reduce: { type: 'collect', field: 'payload.sku' } }),
    ).toMatchInlineSnapshot(`
      "collectCheck: SELECT count(*) AS n, count(CASE WHEN json_type(e."payload", '$."sku"') IS NOT NULL THEN 1 END) AS c FROM "events" AS e WHERE e."instance_id" = ? -- [7]
      aggregate: SELECT count(*) AS n, json_group_array(e."payload" -> '$."sku"' ORDER BY e."global_position") FILTER (WHERE json_type(e."payload", '$."sku"') IS NOT NULL) AS v FROM "events" AS e WHERE e."instance_id" = ? -- [7]"
    `);
  });

  it('when min and max read a path, then numbers and strings come from separate aggregates', () => {
    expect(compile(sqlite, { from, reduce: { type: 'max', field: 'payload.v' } })).toMatchInlineSnapshot(
      `"aggregate: SELECT count(*) AS n, max(CASE WHEN json_type(e."payload", '$."v"') IN ('integer', 'real') THEN json_extract(e."payload", '$."v"') END) AS vn, max(CASE WHEN json_type(e."payload", '$."v"') = 'text' THEN json_extract(e."payload", '$."v"') END) AS vs FROM "events" AS e WHERE e."instance_id" = ? -- [7]"`,
    );
  });

  it('when a canonical JSON function is configured, then container group keys go through it', () => {
    const compiler = createQueryCompiler(
      sqliteDialect({ canonicalJsonFunction: SQLITE_CANONICAL_JSON_FUNCTION, documents: 'jsonb' }),
    );
    expect(
      compile(compiler, { from, reduce: { type: 'count', groupBy: ['payload.obj', 'metadata'] } }),
    ).toMatchInlineSnapshot(
      `"aggregate: SELECT CASE WHEN json_type(e."payload", '$."obj"') IN ('array', 'object') THEN eventlog_canonical_json(e."payload" -> '$."obj"') ELSE COALESCE(e."payload" -> '$."obj"', 'null') END AS k0, eventlog_canonical_json(json(e."metadata")) AS k1, count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? GROUP BY 1, 2 LIMIT ? -- [7,10001]"`,
    );
  });

  it('when a condition compares integer columns with fractions or huge numbers, then it folds or rounds the bound', () => {
    expect(
      compile(sqlite, {
        from,
        where: [
          { field: 'sequence_number', operator: 'gt', value: 1.5 },
          { field: 'global_position', operator: 'lt', value: 1e300 },
          { field: 'instanceId', operator: 'eq', value: 'i1' },
        ],
        limit: 0,
      }),
    ).toMatchInlineSnapshot(
      `"count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND e."sequence_number" >= ? -- [7,2]"`,
    );
    expect(
      compile(sqlite, { from, where: [{ field: 'sequence_number', operator: 'eq', value: 0.5 }], limit: 0 }),
    ).toMatchInlineSnapshot(
      `"count: SELECT count(*) AS n FROM "events" AS e WHERE e."instance_id" = ? AND FALSE -- [7]"`,
    );
  });
});

describe('Given the PostgreSQL dialect', () => {
  it('when comparing payload values, then jsonb equality and typed comparisons use literal text[] paths', () => {
    expect(
      compile(postgres, {
        from,
        where: [
          { field: 'payload.user.id', operator: 'eq', value: 'u1' },
          { field: 'payload.items.0.qty', operator: 'gte', value: 2 },
          { field: 'payload.name', operator: 'lt', value: 'm' },
          { field: 'payload.null', operator: 'in', value: [1, 'a'] },
          { field: 'payload.tags', operator: 'contains', value: 'x' },
          { field: 'stream_id', operator: 'gt', value: 'a' },
        ],
        orderBy: { field: 'payload.rank', direction: 'desc' },
        limit: 3,
      }),
    ).toMatchInlineSnapshot(`
      "count: SELECT count(*) AS n FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 AND ((e."payload" #> '{"user","id"}') = $2::text::jsonb AND (jsonb_typeof((e."payload" #> '{"items","0","qty"}')) = 'number' AND (e."payload" #> '{"items","0","qty"}') >= $3::text::jsonb) AND (jsonb_typeof((e."payload" #> '{"name"}')) = 'string' AND (e."payload" #>> '{"name"}') COLLATE "C" < $4::text) AND (e."payload" #> '{"null"}') IN ($5::text::jsonb, $6::text::jsonb) AND ((jsonb_typeof((e."payload" #> '{"tags"}')) = 'string' AND strpos((e."payload" #>> '{"tags"}'), $7::text) > 0) OR (jsonb_typeof((e."payload" #> '{"tags"}')) = 'array' AND (e."payload" #> '{"tags"}') @> $8::text::jsonb)) AND (e."stream_id") COLLATE "C" > $9) -- [7,"\\"u1\\"","2","m","1","\\"a\\"","x","[\\"x\\"]","a"]
      page: SELECT e."global_position" AS gp, e."id" AS id, e."stream_id" AS sid, e."sequence_number" AS seq, e."event_type" AS typ, e."timestamp" AS ts, e."payload" AS pl, e."metadata" AS md, e."event_id" AS evid, e."tags" AS tg FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 AND ((e."payload" #> '{"user","id"}') = $2::text::jsonb AND (jsonb_typeof((e."payload" #> '{"items","0","qty"}')) = 'number' AND (e."payload" #> '{"items","0","qty"}') >= $3::text::jsonb) AND (jsonb_typeof((e."payload" #> '{"name"}')) = 'string' AND (e."payload" #>> '{"name"}') COLLATE "C" < $4::text) AND (e."payload" #> '{"null"}') IN ($5::text::jsonb, $6::text::jsonb) AND ((jsonb_typeof((e."payload" #> '{"tags"}')) = 'string' AND strpos((e."payload" #>> '{"tags"}'), $7::text) > 0) OR (jsonb_typeof((e."payload" #> '{"tags"}')) = 'array' AND (e."payload" #> '{"tags"}') @> $8::text::jsonb)) AND (e."stream_id") COLLATE "C" > $9) ORDER BY CASE jsonb_typeof((e."payload" #> '{"rank"}')) WHEN 'null' THEN 1 WHEN 'boolean' THEN (CASE WHEN (e."payload" #> '{"rank"}') = 'true'::jsonb THEN 3 ELSE 2 END) WHEN 'number' THEN 4 WHEN 'string' THEN 5 WHEN 'array' THEN 6 WHEN 'object' THEN 6 ELSE 0 END DESC, CASE WHEN jsonb_typeof((e."payload" #> '{"rank"}')) = 'number' THEN (e."payload" #> '{"rank"}') END DESC, (CASE WHEN jsonb_typeof((e."payload" #> '{"rank"}')) = 'string' THEN (e."payload" #>> '{"rank"}') END) COLLATE "C" DESC, e."global_position" ASC LIMIT $10 OFFSET $11 -- [7,"\\"u1\\"","2","m","1","\\"a\\"","x","[\\"x\\"]","a",3,0]"
    `);
  });

  it('when aggregating with groups, then it uses jsonb keys, float8 sums and ordered jsonb_agg', () => {
    expect(
      compile(postgres, {
        from,
        reduce: {
          type: 'avg',
          field: 'payload.amount',
          groupBy: ['payload.country', { field: 'timestamp', interval: 'day' }],
        },
      }),
    ).toMatchInlineSnapshot(
      `"aggregate: SELECT COALESCE((e."payload" #> '{"country"}'), 'null'::jsonb) AS k0, substr(e."timestamp", 1, 10) || 'T00:00:00.000Z' AS k1, count(*) AS n, avg((CASE WHEN jsonb_typeof((e."payload" #> '{"amount"}')) = 'number' THEN (e."payload" #> '{"amount"}')::float8 END)::float8) AS v FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 GROUP BY 1, 2 LIMIT $2 -- [7,10001]"`,
    );
    expect(
      compile(postgres, {
        from,
        reduce: {
          type: 'collect',
          field: 'payload.sku',
          groupBy: [{ field: 'timestamp', interval: 'week' }],
        },
      }),
    ).toMatchInlineSnapshot(`
      "collectCheck: SELECT count(*) AS n, count(CASE WHEN (e."payload" #> '{"sku"}') IS NOT NULL THEN 1 END) AS c FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 -- [7]
      aggregate: SELECT to_char(date_trunc('week', (e."timestamp")::timestamp), 'YYYY-MM-DD') || 'T00:00:00.000Z' AS k0, count(*) AS n, COALESCE(jsonb_agg((e."payload" #> '{"sku"}') ORDER BY e."global_position") FILTER (WHERE (e."payload" #> '{"sku"}') IS NOT NULL), '[]'::jsonb) AS v FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 GROUP BY 1 LIMIT $2 -- [7,10001]"
    `);
    expect(compile(postgres, { from, reduce: { type: 'min', field: 'stream_id' } })).toMatchInlineSnapshot(
      `"aggregate: SELECT count(*) AS n, min((e."stream_id") COLLATE "C") AS vs FROM "eventlog"."events" AS e WHERE e."instance_id" = $1 -- [7]"`,
    );
  });
});

describe('Given the shared compiler', () => {
  it('when a condition is compiled on its own, then its values are bound through the collector', () => {
    const params = new ParamCollector();
    const ast = parseQuery(
      { from, where: [{ field: 'payload.a', operator: 'contains', value: 'x' }] },
      DEFAULT_LIMITS,
    );
    const text = postgres.compileCondition(ast.where!, 'i1', params.bind);
    expect(params.render(`SELECT 1 WHERE ${text}`, (i) => `$${i}`)).toMatchInlineSnapshot(`
      {
        "params": [
          "x",
          "["x"]",
        ],
        "sql": "SELECT 1 WHERE ((jsonb_typeof((e."payload" #> '{"a"}')) = 'string' AND strpos((e."payload" #>> '{"a"}'), $1::text) > 0) OR (jsonb_typeof((e."payload" #> '{"a"}')) = 'array' AND (e."payload" #> '{"a"}') @> $2::text::jsonb))",
      }
    `);
  });

  it('when a path segment is not in the grammar, then compiling refuses to put it into SQL', () => {
    const bad = parseQuery(
      { from, where: [{ field: 'payload.a', operator: 'exists', value: true }] },
      DEFAULT_LIMITS,
    );
    const forged = {
      ...bad,
      where: {
        kind: 'exists' as const,
        field: fieldNode('payload', ["a'; DROP TABLE events; --"]),
        exists: true,
      },
    };
    expect(() => sqlite.compileQuery('i1', forged, DEFAULT_LIMITS)).toThrow(TypeError);
    expect(() => postgres.compileQuery('i1', forged, DEFAULT_LIMITS)).toThrow(TypeError);
  });

  it('when the page is short, then the count statement is not run', () => {
    const compiled = sqlite.compileQuery(
      'i1',
      parseQuery({ from, limit: 10 }, DEFAULT_LIMITS),
      DEFAULT_LIMITS,
    );
    const ran: string[] = [];
    const result = compiled.executeSync((s) => {
      ran.push(s.sql.slice(0, 20));
      return s === compiled.statements.page
        ? [{ gp: 1, id: 'a', sid: 's', seq: 1, typ: 't', ts: 'x', pl: '{}', md: '{}', evid: null }]
        : [{ n: 99 }];
    });
    expect(result.total).toBe(1);
    expect(ran).toHaveLength(1);
  });

  it('when the page is full, then the count statement gives the total', () => {
    const compiled = sqlite.compileQuery(
      'i1',
      parseQuery({ from, limit: 1 }, DEFAULT_LIMITS),
      DEFAULT_LIMITS,
    );
    const result = compiled.executeSync((s) =>
      s === compiled.statements.page
        ? [{ gp: 1, id: 'a', sid: 's', seq: 1, typ: 't', ts: 'x', pl: '{}', md: '{}', evid: 'e1' }]
        : [{ n: 99 }],
    );
    expect(result).toEqual({
      events: [
        {
          id: 'a',
          instanceId: 'i1',
          stream_id: 's',
          event_type: 't',
          payload: {},
          metadata: {},
          timestamp: 'x',
          sequence_number: 1,
          global_position: 1,
          eventId: 'e1',
        },
      ],
      total: 99,
      limit: 1,
      offset: 0,
    });
  });

  it('when the total is not wanted, then no statement counts, even after a full page', () => {
    const query = parseQuery({ from, limit: 1, offset: 3 }, DEFAULT_LIMITS);
    const compiled = sqlite.compileQuery('i1', query, DEFAULT_LIMITS, { total: false });
    expect(Object.keys(compiled.statements)).toEqual(['page']);
    const ran: string[] = [];
    const result = compiled.executeSync((s) => {
      ran.push(s.sql.slice(0, 20));
      return [{ gp: 1, id: 'a', sid: 's', seq: 1, typ: 't', ts: 'x', pl: '{}', md: '{}', evid: null }];
    });
    expect(ran).toHaveLength(1);
    expect(result.events).toHaveLength(1);
    expect(result.total).toBe(4); // a lower bound: the offset and the page
    // Without a page (limit 0) the count is all there is to read.
    const counted = sqlite.compileQuery(
      'i1',
      parseQuery({ from, limit: 0 }, DEFAULT_LIMITS),
      DEFAULT_LIMITS,
      {
        total: false,
      },
    );
    expect(Object.keys(counted.statements)).toEqual(['count']);
  });
});

describe('Given startsWith', () => {
  const prefixQuery = (value: string): Query => ({
    from,
    where: [{ field: 'stream_id', operator: 'startsWith', value }],
    limit: 1,
  });

  it('when compiled for SQLite, then it is a range on the column, the prefix and its successor bound', () => {
    const sql = compile(sqlite, prefixQuery('order-%_'));
    expect(sql).toContain('e."stream_id" >= ? AND e."stream_id" < ?');
    expect(sql).toContain('[7,"order-%_","order-%`"]');
    expect(sql).not.toMatch(/LIKE|substr|instr/);
  });

  it('when compiled for PostgreSQL, then the range compares under COLLATE "C"', () => {
    const sql = compile(postgres, prefixQuery('order-'));
    expect(sql).toContain('(e."stream_id") COLLATE "C" >= $2 AND (e."stream_id") COLLATE "C" < $3');
    expect(sql).toContain('[7,"order-","order."]');
  });

  it('when the field is a payload path, then the range holds only for strings', () => {
    const sql = compile(sqlite, {
      from,
      where: [{ field: 'payload.sku', operator: 'startsWith', value: 'A' }],
    });
    expect(sql).toContain(`json_type(e."payload", '$."sku"') = 'text'`);
  });

  it('when the field is never a string, then it folds to a constant', () => {
    for (const field of ['sequence_number', 'payload', 'tags']) {
      const sql = compile(sqlite, { from, where: [{ field, operator: 'startsWith', value: '1' }], limit: 1 });
      expect(sql).toContain('FALSE');
    }
  });
});

describe('prefixSuccessor', () => {
  it.each([
    ['a', 'b'],
    ['order-', 'order.'],
    ['\u{D7FF}', '\u{E000}'],
    ['\uFFFF', '\u{10000}'],
    ['😀', '😁'],
    ['a\u{10FFFF}', 'b'],
    ['\u{10FFFF}\u{10FFFF}', undefined],
  ])('the successor of %j is %j', (prefix, expected) => {
    expect(prefixSuccessor(prefix)).toBe(expected);
  });
});
