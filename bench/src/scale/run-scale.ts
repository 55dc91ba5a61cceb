/**
 * One backend of `pnpm bench:scale`: load a store to each size, measure every cost there.
 */

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLog, type EventLog, type StorageAdapter } from '@eventlog/core';
import { type PostgresAdapter, postgresAdapter } from '@eventlog/postgres';
import { sqliteAdapter } from '@eventlog/sqlite';
import Database from 'better-sqlite3';
import { median, now } from '../measure.js';
import { PgDatabases } from '../postgres/databases.js';
import { expectSuccess } from '../side.js';
import { EVENT_TYPES } from '../workload.js';

export type ScaleBackend = 'sqlite' | 'postgres';

export interface ScaleSettings {
  sizes: number[];
  streams: number;
  deleteEvents: number;
  reps: number;
  pgUrl: string | undefined;
}

export interface ScaleResult {
  markdown: string[];
}

/** A cost at one size: a duration in ms, a rate, or why there is none. */
type Cost =
  | { kind: 'ms'; value: number }
  | { kind: 'rate'; value: number; unit: string }
  | { kind: 'missing'; why: string };

const DAY = 86_400_000;
const BASE = Date.UTC(2025, 0, 1);
const BATCH = 1000;
const NOTE = 'please leave the parcel with the neighbour at number twelve if nobody is at home, thanks';

/** The i-th event of the load: about 300 bytes of payload. */
function payload(i: number): Record<string, unknown> {
  return {
    orderId: `o-${Math.floor(i / 10)}`,
    customerId: `c${i % 1000}`,
    amount: (i * 37) % 500,
    currency: 'EUR',
    sku: `sku-${(i * 7919) % 10_000}`,
    quantity: 1 + (i % 4),
    channel: i % 3 === 0 ? 'web' : i % 3 === 1 ? 'app' : 'store',
    note: NOTE,
    address: { street: `${i % 200} Main Street`, city: 'Springfield', zip: `${10_000 + (i % 9000)}` },
  };
}

interface Store {
  log: EventLog;
  /** Bytes the store takes on disk now. */
  bytes(): Promise<number>;
  /** Runs after a load, before measuring (PostgreSQL: VACUUM ANALYZE, as autovacuum would soon). */
  afterLoad(): Promise<void>;
  /** Creates the index a `payload.customerId` filter uses; returns a function that drops it. */
  customerIndex(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

async function openSqlite(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'eventlog-scale-'));
  const file = join(dir, 'scale.db');
  const log = createEventLog({ adapter: sqliteAdapter({ file }) });
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return {
    log,
    async bytes() {
      return size(file) + size(`${file}-wal`);
    },
    async afterLoad() {},
    async customerIndex() {
      const db = new Database(file, { timeout: 60_000 });
      db.exec(
        `CREATE INDEX IF NOT EXISTS scale_customer ON events (instance_pk, json_extract(payload, '$."customerId"'))`,
      );
      db.exec('ANALYZE');
      return async () => {
        db.exec('DROP INDEX IF EXISTS scale_customer');
        db.close();
      };
    },
    async close() {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(adminUrl: string): Promise<Store> {
  const databases = new PgDatabases(adminUrl);
  const problem = await databases.problem();
  if (problem !== undefined) throw new Error(`PostgreSQL: ${problem}`);
  const url = await databases.create();
  const adapter: PostgresAdapter = postgresAdapter({ url, schema: 'eventlog', statementTimeoutMs: 0 });
  const log = createEventLog({ adapter: adapter as StorageAdapter });
  return {
    log,
    async afterLoad() {
      await databases.vacuum(url);
    },
    async bytes() {
      const [row] = await adapter.sql<Array<{ n: number }>>`select pg_database_size(current_database()) as n`;
      return Number(row?.n ?? 0);
    },
    async customerIndex() {
      await adapter.sql.unsafe(
        `create index if not exists scale_customer on eventlog.events (instance_id, (payload #> '{"customerId"}'))`,
      );
      await adapter.sql.unsafe('analyze eventlog.events');
      return async () => {
        await adapter.sql.unsafe('drop index if exists eventlog.scale_customer');
      };
    },
    async close() {
      await log.close();
      await databases.drop(url);
      await databases.close();
    },
  };
}

/** Appends `count` events to `instance`, batch k to stream `s-<k mod streams>`; returns ms taken. */
async function load(
  log: EventLog,
  instance: string,
  from: number,
  count: number,
  streams: number,
  spacingMs: number,
): Promise<number> {
  const start = now();
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const first = from + done;
    const events = new Array(n);
    for (let j = 0; j < n; j++) {
      const i = first + j;
      events[j] = {
        eventType: EVENT_TYPES[i % EVENT_TYPES.length],
        payload: payload(i),
        timestamp: BASE + Math.floor(i * spacingMs),
      };
    }
    expectSuccess(
      await log.appendEvents({
        instanceId: instance,
        streamId: `s-${Math.floor(first / BATCH) % streams}`,
        events,
      }),
      'appendEvents',
    );
  }
  return now() - start;
}

/** The median time of one call over `reps` runs (each run calls until 150 ms have passed). */
async function timeCall(reps: number, fn: () => Promise<unknown>): Promise<Cost> {
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    let calls = 0;
    const start = now();
    let elapsed = 0;
    while (calls < 1 || elapsed < 150) {
      await fn();
      calls++;
      elapsed = now() - start;
    }
    runs.push(elapsed / calls);
  }
  return { kind: 'ms', value: median(runs) };
}

function query(log: EventLog, q: Parameters<EventLog['queryEvents']>[0]) {
  return async () => expectSuccess(await log.queryEvents(q), 'queryEvents');
}

/** Measures one backend at every size. */
export async function runScale(
  backend: ScaleBackend,
  settings: ScaleSettings,
  log: (line: string) => void,
): Promise<ScaleResult> {
  const store = backend === 'sqlite' ? await openSqlite() : await openPostgres(settings.pgUrl as string);
  const el = store.log;
  const costs = new Map<string, Map<number, Cost>>();
  const loadTimes: string[] = [];
  const set = (name: string, size: number, cost: Cost) => {
    let row = costs.get(name);
    if (row === undefined) {
      row = new Map();
      costs.set(name, row);
    }
    row.set(size, cost);
  };
  const largest = settings.sizes[settings.sizes.length - 1] as number;
  // The whole load spans about a year, so "the last 30 days" is a month of events at any size.
  const spacing = (365 * DAY) / largest;
  try {
    // Warm-up on a throwaway instance, so the first size's figures are not the JIT's.
    expectSuccess(await el.createInstance('warm-up'), 'createInstance');
    await load(el, 'warm-up', 0, 5000, 50, spacing);
    for (let k = 0; k < 200; k++) {
      expectSuccess(
        await el.appendEvent({ instanceId: 'warm-up', streamId: 'w', eventType: 'W', payload: payload(k) }),
        'appendEvent',
      );
    }
    for (let k = 0; k < 20; k++) {
      await el.queryEvents({
        from: { instance: 'warm-up' },
        where: [{ field: 'event_type', operator: 'eq', value: 'OrderPaid' }],
        limit: 100,
      });
      await el.queryEvents({
        from: { instance: 'warm-up' },
        reduce: { type: 'count', groupBy: ['event_type'] },
      });
      await el.getInstanceStats('warm-up');
    }
    expectSuccess(await el.deleteInstance('warm-up'), 'deleteInstance');

    const created = expectSuccess(await el.createInstance('scale'), 'createInstance');
    const instance = created.data.instance.id;
    // A 100-event stream written first: the oldest data, read at every size.
    expectSuccess(
      await el.appendEvents({
        instanceId: instance,
        streamId: 'probe-100',
        events: Array.from({ length: 100 }, (_, i) => ({
          eventType: 'Probe',
          payload: payload(i),
          timestamp: BASE,
        })),
      }),
      'appendEvents',
    );
    let loaded = 0;
    let tagsSupported = true;
    for (const size of settings.sizes) {
      const ms = await load(el, instance, loaded, size - loaded, settings.streams, spacing);
      loadTimes.push(
        `${loaded.toLocaleString('en-US')} → ${size.toLocaleString('en-US')}: ${(ms / 1000).toFixed(1)} s (${Math.round(((size - loaded) * 1000) / ms).toLocaleString('en-US')} ev/s)`,
      );
      loaded = size;
      log(`${backend}: loaded ${size.toLocaleString('en-US')} events`);
      await store.afterLoad();

      // Appends on top of the store.
      {
        const start = now();
        for (let k = 0; k < 10; k++) {
          const events = Array.from({ length: BATCH }, (_, j) => ({
            eventType: 'ItemAdded',
            payload: payload(j),
          }));
          expectSuccess(
            await el.appendEvents({ instanceId: instance, streamId: `extra-${size}-${k}`, events }),
            'appendEvents',
          );
        }
        set('append, batches of 1000', size, {
          kind: 'rate',
          value: (10 * BATCH * 1000) / (now() - start),
          unit: 'ev/s',
        });
      }
      {
        const n = 300;
        const start = now();
        for (let k = 0; k < n; k++) {
          expectSuccess(
            await el.appendEvent({
              instanceId: instance,
              streamId: `single-${k % 100}`,
              eventType: 'ItemAdded',
              payload: payload(k),
            }),
            'appendEvent',
          );
        }
        set('append, single (sequential)', size, {
          kind: 'rate',
          value: (n * 1000) / (now() - start),
          unit: 'ev/s',
        });
      }
      // Other instances, written after the load: what they pay must not grow with the loaded events.
      {
        let k = 0;
        set(
          'createInstance and its first appendEvent',
          size,
          await timeCall(settings.reps, async () => {
            const id = expectSuccess(await el.createInstance(`new-${size}-${k++}`), 'createInstance').data
              .instance.id;
            expectSuccess(
              await el.appendEvent({
                instanceId: id,
                streamId: 'a',
                eventType: 'Opened',
                payload: payload(k),
              }),
              'appendEvent',
            );
          }),
        );
        // A condition on a type that never occurs, from the start: nothing matches, so the append
        // goes ahead once the probe has found nothing in this instance.
        const other = expectSuccess(await el.createInstance(`other-${size}`), 'createInstance').data.instance
          .id;
        set(
          'appendEvent to another instance, condition on a type, nothing matches',
          size,
          await timeCall(settings.reps, async () =>
            expectSuccess(
              await el.appendEvent({
                instanceId: other,
                streamId: 'a',
                eventType: 'Opened',
                payload: payload(1),
                condition: { failIfEventsMatch: [{ types: ['NeverWritten'] }], after: 0 },
              } as never),
              'appendEvent',
            ),
          ),
        );
      }
      const from = { instance };
      const newest = new Date(BASE + Math.floor((size - 1) * spacing)).toISOString();
      const monthAgo = new Date(BASE + Math.floor((size - 1) * spacing) - 30 * DAY).toISOString();
      set(
        'read one 100-event stream',
        size,
        await timeCall(settings.reps, query(el, { from: { instance, stream: 'probe-100' } })),
      );
      set(
        'event_type filter: page of 100 + total',
        size,
        await timeCall(
          settings.reps,
          query(el, {
            from,
            where: [{ field: 'event_type', operator: 'eq', value: 'OrderPaid' }],
            limit: 100,
          }),
        ),
      );
      const customer = query(el, {
        from,
        where: [{ field: 'payload.customerId', operator: 'eq', value: 'c42' }],
        limit: 100,
      });
      set('payload filter, no index: page of 100 + total', size, await timeCall(settings.reps, customer));
      const drop = await store.customerIndex();
      set(
        'payload filter, expression index: page of 100 + total',
        size,
        await timeCall(settings.reps, customer),
      );
      await drop();
      if (tagsSupported) {
        const probe = await el.appendEvent({
          instanceId: instance,
          streamId: 'tag-probe',
          eventType: 'Tagged',
          tags: ['probe:1'],
        } as never);
        if (!probe.success) {
          tagsSupported = false;
        }
      }
      if (tagsSupported) {
        set(
          'tags contains: page of 100 + total',
          size,
          await timeCall(
            settings.reps,
            query(el, {
              from,
              where: [{ field: 'tags', operator: 'contains', value: 'probe:1' }],
              limit: 100,
            } as never),
          ),
        );
      } else {
        set('tags contains: page of 100 + total', size, { kind: 'missing', why: 'no tags yet' });
      }
      set(
        'count grouped by event_type',
        size,
        await timeCall(
          settings.reps,
          query(el, { from, reduce: { type: 'count', groupBy: ['event_type'] } }),
        ),
      );
      set(
        'count per day over the last 30 days',
        size,
        await timeCall(
          settings.reps,
          query(el, {
            from,
            where: [{ field: 'timestamp', operator: 'between', value: [monthAgo, newest] }],
            reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day' }] },
          }),
        ),
      );
      set(
        'getInstanceStats',
        size,
        await timeCall(settings.reps, async () =>
          expectSuccess(await el.getInstanceStats(instance), 'getInstanceStats'),
        ),
      );
      {
        const victim = expectSuccess(await el.createInstance(`victim-${size}`), 'createInstance').data
          .instance.id;
        await load(el, victim, 0, settings.deleteEvents, 100, 1);
        const start = now();
        const deleted = expectSuccess(await el.deleteInstance(victim), 'deleteInstance');
        set(`deleteInstance of a ${settings.deleteEvents.toLocaleString('en-US')}-event instance`, size, {
          kind: 'ms',
          value: now() - start,
        });
        if (deleted.data.deletedEvents !== settings.deleteEvents)
          log(`warning: deleted ${deleted.data.deletedEvents}`);
      }
      const stats = expectSuccess(await el.getInstanceStats(instance), 'getInstanceStats').data;
      set('bytes on disk per event', size, {
        kind: 'rate',
        value: (await store.bytes()) / stats.eventCount,
        unit: 'B',
      });
      log(`${backend}: measured at ${size.toLocaleString('en-US')}`);
    }
  } finally {
    await store.close();
  }

  const sizes = settings.sizes;
  const first = sizes[0] as number;
  const fmt = (c: Cost | undefined): string => {
    if (c === undefined) return '—';
    if (c.kind === 'missing') return `— (${c.why})`;
    if (c.kind === 'ms') return c.value >= 100 ? `${c.value.toFixed(0)} ms` : `${c.value.toFixed(2)} ms`;
    return `${Math.round(c.value).toLocaleString('en-US')} ${c.unit}`;
  };
  const ratio = (c: Cost | undefined, base: Cost | undefined): string => {
    if (c === undefined || base === undefined || c.kind === 'missing' || base.kind === 'missing') return '';
    // A ratio above 1 is a higher cost (more time, fewer events per second) than at the first size.
    const r = c.kind === 'ms' ? c.value / base.value : base.value / c.value;
    return ` (${r.toFixed(2)}×)`;
  };
  const header = ['cost', ...sizes.map((s) => `${s.toLocaleString('en-US')} events`)];
  const markdown = [
    `### ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
    '',
    `| ${header.join(' | ')} |`,
    `| :--- | ${sizes.map(() => '---:').join(' | ')} |`,
  ];
  for (const [name, row] of costs) {
    const base = row.get(first);
    markdown.push(
      `| ${name} | ${sizes.map((s) => `${fmt(row.get(s))}${s === first ? '' : ratio(row.get(s), base)}`).join(' | ')} |`,
    );
  }
  markdown.push(
    '',
    `- (×) is the cost relative to the first size: above 1 is slower (for rates, fewer events per second); 1.00× is flat.`,
    `- loading (appendEvents, batches of 1000): ${loadTimes.join('; ')}`,
  );
  return { markdown };
}
