import type postgres from 'postgres';
import { expect, it } from 'vitest';
import { describePostgres, quoteIdent, usePostgres } from './postgres-env.js';

/** Schemas (and closables) the blocks below made, checked by the last block. */
const made: Record<string, string> = {};
const closed: string[] = [];

async function exists(sql: postgres.Sql, schema: string): Promise<boolean> {
  const rows = await sql.unsafe('select 1 from information_schema.schemata where schema_name = $1', [schema]);
  return rows.length === 1;
}

describePostgres('usePostgres (scope file)', () => {
  const pg = usePostgres({ prefix: 'ts_file' });

  it('given the block schema, when a test creates it, then the raw client reads numbers', async () => {
    await pg.sql.unsafe(`create schema ${quoteIdent(pg.schema)}`);
    const [row] = await pg.sql.unsafe<Array<{ n: number }>>('select 9007199254740991::bigint as n');
    expect(row?.n).toBe(2 ** 53 - 1);
    made.file = pg.schema;
  });

  it('given a fresh schema and a closable in a test, when the test ends, then both are released', async () => {
    const schema = pg.freshSchema();
    await pg.sql.unsafe(`create schema ${quoteIdent(schema)}`);
    pg.closeAfter({ close: () => closed.push('test') });
    made.fresh = schema;
  });

  it('then the previous test’s schema is dropped and its closable closed; the block schema stays', async () => {
    expect(closed).toEqual(['test']);
    expect(await exists(pg.sql, made.fresh as string)).toBe(false);
    expect(await exists(pg.sql, pg.schema)).toBe(true);
  });
});

describePostgres('usePostgres (scope test)', () => {
  const pg = usePostgres({ prefix: 'ts_each', scope: 'test' });
  const schemas: string[] = [];

  it('given a test, then it has a schema of its own', async () => {
    await pg.sql.unsafe(`create schema ${quoteIdent(pg.schema)}`);
    schemas.push(pg.schema);
  });

  it('given the next test, then its schema is another and the last one is dropped', async () => {
    expect(pg.schema).not.toBe(schemas[0]);
    expect(await exists(pg.sql, schemas[0] as string)).toBe(false);
  });
});

describePostgres('usePostgres (after the blocks)', () => {
  const pg = usePostgres();

  it('then the first block’s schema is dropped', async () => {
    expect(made.file).toBeDefined();
    expect(await exists(pg.sql, made.file as string)).toBe(false);
  });
});
