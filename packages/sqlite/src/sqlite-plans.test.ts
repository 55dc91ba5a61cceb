/**
 * Query plans that must stay index-served as stores grow (SPEC §8: `tags contains` and append
 * conditions from an index, never a scan of the instance's events).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, parseQuery, parseWhere } from '@eventlog/core';
import { buildStoreStatements, conditionProbe, createQueryCompiler } from '@eventlog/sql';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteAdapter } from './sqlite-adapter.js';
import { SQLITE_EVENT_LAYOUT, SQLITE_STORE_LAYOUT, sqliteStoreDialect } from './sqlite-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-sqlite-plans-'));
const file = join(dir, 'plans.db');
let db: Database.Database;
const dialect = sqliteStoreDialect();
const compiler = createQueryCompiler(dialect, { layout: SQLITE_EVENT_LAYOUT });

/** The query plan of a statement, one line per step. */
function plan(statement: { sql: string; params: readonly unknown[] }): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as Array<{
    detail: string;
  }>;
  return rows.map((r) => r.detail).join('\n');
}

beforeAll(async () => {
  // The adapter's own schema (migrations), then a plain connection to look at plans.
  await sqliteAdapter({ file }).close();
  db = new Database(file);
});

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Given the SQLite schema', () => {
  it('when a query filters on tags contains, then the tag table key finds the events, and nothing scans the events', () => {
    const query = parseQuery({
      from: { instance: 'i' },
      where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }],
      limit: 10,
    });
    const { page, count } = compiler.compileQuery({ id: 'i', key: 1 }, query, DEFAULT_LIMITS).statements;
    for (const statement of [page, count]) {
      const text = plan(statement as NonNullable<typeof page>);
      expect(text).toMatch(/SEARCH t USING PRIMARY KEY \(instance_pk=\? AND tag=\?\)/);
      expect(text).not.toMatch(/SCAN e\b/);
    }
  });

  it('when a stream start is loaded (instance and snapshot as subqueries), then the page is a search of the stream index from the snapshot on, never a scan', () => {
    const S = buildStoreStatements(dialect, SQLITE_STORE_LAYOUT);
    const { statement } = compiler.compileStreamStart({
      instanceKey: (bind) => S.instanceKeyOf(bind, 'orders'),
      from: (bind) => S.kvAnchorOf(bind, 'eventlog.snapshots', 'k', bind(1)),
      stream: 'order-1',
      limit: 1000,
    });
    const text = plan(statement);
    expect(text).toMatch(
      /SEARCH e USING INDEX events_stream_sequence \(instance_pk=\? AND stream_id=\? AND sequence_number>\?\)/,
    );
    expect(text).not.toMatch(/SCAN (e|instances|kv)\b/);
  });

  it('when the head position is read, then it is one step of the (instance, position) index, never a scan', () => {
    const { head } = compiler.compileHeadPosition({ id: 'i', key: 1 }).statements;
    const text = plan(head as NonNullable<typeof head>);
    expect(text).toMatch(/SEARCH e USING (COVERING )?INDEX events_instance_position \(instance_pk=\?\)/);
    expect(text).not.toMatch(/SCAN e\b|TEMP B-TREE/);
  });

  it('when an append condition is probed, then each item is an index search from `after`, never a scan', () => {
    const probe = conditionProbe(
      dialect,
      SQLITE_EVENT_LAYOUT,
      {
        items: [
          { types: ['StudentSubscribed'], tags: ['course:c1', 'student:s1'] },
          { types: ['CourseClosed'] },
        ],
        after: 1207,
      },
      (bind) => bind(1),
    );
    const text = plan(probe);
    expect(text).toMatch(/SEARCH t0 USING PRIMARY KEY \(instance_pk=\? AND tag=\? AND global_position>\?\)/);
    expect(text).toMatch(
      /SEARCH e USING (COVERING )?INDEX events_instance_type \(instance_pk=\? AND event_type=\? AND rowid>\?\)/,
    );
    expect(text).not.toMatch(/SCAN (e|t0|t1)\b/);
  });

  it('when statistics are read, then counts by type and of streams come from the counters: no scan of the events, no walk of the streams', () => {
    const { summary, types } = compiler.compileStats({ id: 'i', key: 1 }).statements;
    for (const statement of [summary, types]) {
      const text = plan(statement as NonNullable<typeof summary>);
      expect(text).not.toMatch(/SCAN (e|events)\b/);
    }
    expect(plan(types as NonNullable<typeof types>)).toMatch(
      /SEARCH event_type_counts USING PRIMARY KEY \(instance_pk=\?\)/,
    );
    // The stream count is one row: before it, one index descent per stream (67 ms at 10M events).
    const text = plan(summary as NonNullable<typeof summary>);
    expect(text).toMatch(/SEARCH instance_stream_counts USING INTEGER PRIMARY KEY \(rowid=\?\)/);
    expect(text).not.toMatch(/RECURSIVE|stream_id>\?/);
  });
});

describe('Given a read of one stream after a position', () => {
  it('when the position is past the start, then the read seeks in the stream index by sequence number: no walk from the stream’s first event', () => {
    // A tail read (a live stream reader, a snapshot's anchor) walked the whole stream.
    const { statement } = compiler.compileReadAfter(
      { id: 'i', key: 1 },
      { stream: 's', after: 9950, limit: 1000 },
    );
    const text = plan(statement);
    expect(text).toMatch(
      /SEARCH e USING INDEX \w+ \(instance_pk=\? AND stream_id=\? AND sequence_number>\?\)/,
    );
    expect(text).toMatch(/SEARCH b USING (COVERING )?INDEX \w+ \(instance_pk=\? AND stream_id=\?\)/);
    expect(text).not.toMatch(/SCAN (e|b)\b/);
  });

  it('when the reader bounds the sequence number it reached (a catch-up page by page), then the read seeks there, without the walk back from the stream’s end', () => {
    const where = parseWhere([{ field: 'sequence_number', operator: 'gt', value: 50 }]);
    const { statement } = compiler.compileReadAfter(
      { id: 'i', key: 1 },
      { stream: 's', after: 120, where, limit: 1000 },
    );
    const text = plan(statement);
    expect(text).toMatch(
      /SEARCH e USING INDEX \w+ \(instance_pk=\? AND stream_id=\? AND sequence_number>\?\)/,
    );
    expect(text).not.toMatch(/\bb\b/);
    expect(text).not.toMatch(/SCAN e\b/);
  });
});
