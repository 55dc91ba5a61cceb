import { existsSync, readFileSync } from 'node:fs';
import { EventLogError } from '@eventlog/core';
import { appendRequest, describePostgres, newEvent, usePostgres } from '@eventlog/test-support';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, MIGRATIONS_TABLE, postgresAdapter } from './index.js';
import { loadMigrations, migrate } from './migrator.js';

describe('postgres migrations on disk', () => {
  it('given the package, when its migrations are loaded, then the folder sits beside src and dist and is published', async () => {
    expect(existsSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`)).toBe(true);
    const migrations = await loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations[0]?.statements.some((s) => /CREATE TABLE "events"/.test(s))).toBe(true);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      files: string[];
    };
    expect(pkg.files).toContain('drizzle');
  });
});

describePostgres('postgres migrations on open', (url) => {
  // Each test opens a new schema of its own; it is dropped after the test.
  const pg = usePostgres({ prefix: 'el_mig', scope: 'test' });

  it('given a new schema, when six adapters open it at once, then each opens and every migration is applied once', async () => {
    const { schema } = pg;
    const adapters = Array.from({ length: 6 }, () => postgresAdapter({ url, schema, max: 2 }));
    try {
      await Promise.all(adapters.map((a) => a.ready()));
      const sql = adapters[0]?.sql;
      const rows = await sql?.unsafe<Array<{ tag: string }>>(
        `select tag from "${schema}".${MIGRATIONS_TABLE} order by idx`,
      );
      expect(rows?.map((r) => r.tag)).toEqual((await loadMigrations()).map((m) => m.tag));
      const tables = await sql?.unsafe<Array<{ table_name: string }>>(
        `select table_name from information_schema.tables where table_schema = $1 order by table_name`,
        [schema],
      );
      expect(tables?.map((t) => t.table_name)).toEqual([
        MIGRATIONS_TABLE,
        'event_tags',
        'event_type_counts',
        'events',
        'instance_stream_counts',
        'instances',
        'kv',
        'stream_floors',
      ]);
    } finally {
      await Promise.all(adapters.map((a) => a.close()));
    }
  });

  it('given a schema at 0005 holding events, when 0006 is applied, then each instance has its stream count, and appends keep it', async () => {
    const { schema } = pg;
    const before = loadMigrations().filter((m) => m.idx <= 5);
    expect(before.at(-1)?.tag).toBe('0005_append_condition');
    await migrate(pg.sql, { schema, apply: true, migrations: before });
    // What the previous release wrote: three instances, one without events.
    const at = '2024-01-01T00:00:00.000Z';
    await pg.sql.unsafe(
      `insert into "${schema}".instances (id, name, created_at, updated_at)
       values ('inst-1', 'one', $1, $1), ('inst-2', 'two', $1, $1), ('inst-3', 'three', $1, $1)`,
      [at],
    );
    const streams: Array<[string, string, number]> = [
      ['inst-1', 'a', 3],
      ['inst-1', 'b', 1],
      ['inst-1', 'c', 2],
      ['inst-2', 'a', 2],
    ];
    for (const [instance, stream, count] of streams) {
      for (let k = 1; k <= count; k++) {
        await pg.sql.unsafe(
          `insert into "${schema}".events (id, instance_id, stream_id, sequence_number, event_type, payload, metadata, timestamp)
           values ($1, $2, $3, $4, 'Happened', '{}', '{}', $5)`,
          [`${instance}-${stream}-${k}`, instance, stream, k, at],
        );
      }
    }

    const adapter = postgresAdapter({ url, schema });
    try {
      await adapter.ready();
      const counts = async () =>
        (
          await pg.sql.unsafe<Array<{ instance_id: string; n: string }>>(
            `select instance_id, n from "${schema}".instance_stream_counts order by instance_id`,
          )
        ).map((r) => [r.instance_id, Number(r.n)]);
      expect(await counts()).toEqual([
        ['inst-1', 3],
        ['inst-2', 1],
      ]);
      // The replaced append_events keeps it: one new stream, one existing.
      await adapter.append(
        appendRequest('inst-2', [newEvent({ streamId: 'a' }), newEvent({ streamId: 'b' })]),
      );
      await adapter.append(appendRequest('inst-3', [newEvent({ streamId: 'a' })]));
      expect(await counts()).toEqual([
        ['inst-1', 3],
        ['inst-2', 2],
        ['inst-3', 1],
      ]);
    } finally {
      await adapter.close();
    }
  });

  it('given a schema migrated by a newer version, when an adapter opens it, then it refuses with a clear message', async () => {
    const { schema } = pg;
    const first = postgresAdapter({ url, schema });
    await first.ready();
    await first.sql.unsafe(
      `insert into "${schema}".${MIGRATIONS_TABLE} (idx, tag, hash) values (9999, '9999_from_the_future', 'x')`,
    );
    await first.close();

    const second = postgresAdapter({ url, schema });
    try {
      const error = await second.ready().catch((e: unknown) => e);
      expect(EventLogError.isInstance(error) && error.code).toBe('STORAGE_ERROR');
      expect((error as Error).message).toMatch(/newer version of @eventlog\/postgres.*9999_from_the_future/);
      // Every call reports it, not only ready().
      await expect(second.listInstances()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    } finally {
      await second.close();
    }
  });

  it('given migrate: false, when the schema is not current, then opening fails, and once migrated it opens', async () => {
    const { schema } = pg;
    const strict = postgresAdapter({ url, schema, migrate: false });
    const error = await strict.ready().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not up to date.*migrate: false/);
    await strict.close();

    const migrating = postgresAdapter({ url, schema });
    await migrating.ready();
    await migrating.close();

    const again = postgresAdapter({ url, schema, migrate: false });
    await expect(again.ready()).resolves.toBeUndefined();
    await again.close();
  });

  it('given the database is unreachable, when opening, then ready() rejects with STORAGE_ERROR and a later call tries again', async () => {
    const unreachable = postgresAdapter({
      url: 'postgres://eventlog:eventlog@127.0.0.1:1/eventlog_test',
      schema: pg.schema,
      connectTimeoutSeconds: 2,
    });
    try {
      const error = await unreachable.ready().catch((e: unknown) => e);
      expect(EventLogError.isInstance(error) && error.code).toBe('STORAGE_ERROR');
      const again = await unreachable.ready().catch((e: unknown) => e);
      expect(EventLogError.isInstance(again) && again.code).toBe('STORAGE_ERROR');
    } finally {
      await unreachable.close();
    }
  });
});
