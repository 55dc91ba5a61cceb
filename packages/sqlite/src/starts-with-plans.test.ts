/**
 * `startsWith` on `stream_id` and `event_type` is served by an index (SPEC §4): the compiler turns
 * it into a range `prefix <= x < successor`, which SQLite's BINARY collation lets an index search.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, parseQuery } from '@eventlog/core';
import { createQueryCompiler } from '@eventlog/sql';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteAdapter } from './sqlite-adapter.js';
import { SQLITE_EVENT_LAYOUT, sqliteStoreDialect } from './sqlite-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-prefix-plans-'));
const file = join(dir, 'plans.db');
let db: Database.Database;
const compiler = createQueryCompiler(sqliteStoreDialect(), { layout: SQLITE_EVENT_LAYOUT });

function plan(statement: { sql: string; params: readonly unknown[] }): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as Array<{
    detail: string;
  }>;
  return rows.map((r) => r.detail).join('\n');
}

beforeAll(async () => {
  await sqliteAdapter({ file }).close();
  db = new Database(file);
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Given the SQLite schema', () => {
  it.each([
    [
      'stream_id',
      'order-',
      /SEARCH e USING (COVERING )?INDEX events_stream_sequence \(instance_pk=\? AND stream_id>\? AND stream_id<\?\)/,
    ],
    [
      'event_type',
      'Order',
      /SEARCH e USING (COVERING )?INDEX events_instance_type \(instance_pk=\? AND event_type>\? AND event_type<\?\)/,
    ],
  ])(
    'when a query filters on %s startsWith, then an index range serves it, never a scan',
    (field, value, expected) => {
      const query = parseQuery({
        from: { instance: 'i' },
        where: [{ field, operator: 'startsWith', value }],
        limit: 10,
      });
      const { page, count } = compiler.compileQuery({ id: 'i', key: 1 }, query, DEFAULT_LIMITS).statements;
      for (const statement of [page, count]) {
        const text = plan(statement as NonNullable<typeof page>);
        expect(text).toMatch(expected);
        expect(text).not.toMatch(/SCAN e\b/);
      }
    },
  );
});
