/**
 * `BENCH_ONLY=server`: the server under load. `eventlog serve` runs in a child process (the real
 * server, on the sources); the load comes from this process.
 *
 * 1. Requests: appendEvent and queryEvents, 50 concurrent closed-loop clients, through HTTP
 *    (keep-alive) and WebSocket (`@eventlog/client`), against the same calls in-process on the
 *    same kind of store; requests per second and latency percentiles.
 * 2. SSE fan-out: 100 subscribers, each with its own `where` filter, while events are appended
 *    5 ms apart; delivery latency from the append call.
 * 3. Heavy reads: appends sent every 10 ms (an open loop) while another client runs a large
 *    aggregation back to back, with SQLite reads on read threads (serve's default) and on the main thread
 *    (`--read-threads 0`); append latency, against the same appends with no aggregation.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type EventLogClient } from '@eventlog/client';
import type { EventLog, Query } from '@eventlog/core';
import { openEventLog } from 'eventlog';
import type { BenchConfig } from '../config.js';
import { epochMs, now, percentile, settle } from '../measure.js';
import type { Table, TargetCheck } from '../report.js';
import { expectSuccess } from '../side.js';
import { followSse, HttpApi, type LoadResult, pacedLoad, runLoad, startServe, warmUp } from './clients.js';

const ms = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms` : '—');
const rate = (v: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(v);

/** The query of the queryEvents rows: a page of 10 of one event type, with its total. */
const PAGE_QUERY: Query = {
  from: { instance: 'bench-q' },
  where: [{ field: 'event_type', operator: 'eq', value: 't1' }],
  limit: 10,
};

/**
 * The aggregation of the heavy-read rows: counts per event type of the events whose note holds any
 * of `conditions` strings — every event is read and its note searched that many times, so the
 * time grows with the conditions while the result stays five groups (the main thread's share of
 * the work, decoding and sending the result, stays small).
 */
function heavyQuery(conditions: number): Query {
  return {
    from: { instance: 'heavy' },
    where: [
      {
        or: Array.from({ length: conditions }, (_, k) => ({
          field: 'payload.note',
          operator: 'contains' as const,
          value: `zz${k}`,
        })),
      },
    ],
    reduce: { type: 'count', groupBy: ['event_type'] },
  };
}

async function fill(log: EventLog, instance: string, count: number, batch = 2000): Promise<void> {
  for (let i = 0; i < count; i += batch) {
    expectSuccess(
      await log.appendEvents({
        instanceId: instance,
        autoCreateInstance: true,
        events: Array.from({ length: Math.min(batch, count - i) }, (_, k) => {
          const n = i + k;
          return {
            streamId: `s-${n % 1000}`,
            eventType: `t${n % 5}`,
            payload: { customerId: `c${n % 50}`, amount: n % 97, note: `order ${n}` },
            timestamp: 1_704_067_200_000 + n * 1000,
          };
        }),
      }),
      'appendEvents',
    );
  }
}

type Transport = 'in-process' | 'HTTP' | 'WebSocket';

interface RequestRow {
  store: string;
  op: 'appendEvent' | 'queryEvents';
  transport: Transport;
  result: LoadResult;
}

/** Calls of one transport: `call(client, method, params)` with the load client's number. */
interface TransportOps {
  call(client: number, method: string, params: Record<string, unknown>): Promise<string | undefined>;
  close(): Promise<void>;
}

type Answer = { success: boolean; error?: string };
const check = (res: Answer) => (res.success ? undefined : (res.error ?? 'failed'));

/** The nine methods' wire params → the log's arguments (only the two the bench calls). */
function invoke(
  log: Record<string, unknown>,
  method: string,
  params: Record<string, unknown>,
): Promise<Answer> {
  const fn = log[method] as (arg: unknown) => Promise<Answer>;
  return fn.call(log, method === 'queryEvents' ? params.query : params);
}

/** `clients` clients of one transport. */
async function transportOps(
  transport: Transport,
  clients: number,
  target: { log?: EventLog; port?: number; wsUrl?: string },
): Promise<TransportOps> {
  if (transport === 'in-process') {
    const log = target.log as unknown as Record<string, unknown>;
    return {
      call: async (_client, method, params) => check(await invoke(log, method, params)),
      close: async () => {},
    };
  }
  if (transport === 'HTTP') {
    const api = new HttpApi(target.port as number, clients);
    return {
      call: async (_client, method, params) => check(await api.call(method, params)),
      close: async () => api.close(),
    };
  }
  const pool: EventLogClient[] = Array.from({ length: clients }, () => connect(target.wsUrl as string));
  await Promise.all(pool.map((c) => c.waitForConnection(10_000)));
  return {
    call: async (client, method, params) =>
      check(
        await invoke(
          (pool[client] as EventLogClient).eventLog as unknown as Record<string, unknown>,
          method,
          params,
        ),
      ),
    close: async () => {
      await Promise.all(pool.map((c) => c.close()));
    },
  };
}

async function requestRows(
  config: BenchConfig,
  dir: string,
  log: (line: string) => void,
): Promise<RequestRow[]> {
  const rows: RequestRow[] = [];
  const file = join(dir, 'requests.db');
  for (const store of config.serverStores) {
    const url = store === 'sqlite' ? `sqlite:${file}` : 'memory:';
    for (const transport of ['in-process', 'HTTP', 'WebSocket'] as const) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
      if (store === 'sqlite') {
        const filler = await openEventLog(url, { adapterOptions: { sqlite: { durability: 'normal' } } });
        await fill(filler, 'bench-q', 10_000);
        await filler.close();
      }
      // The in-process side opens the store as serve does (read threads on SQLite).
      const local =
        transport === 'in-process'
          ? await openEventLog(url, { adapterOptions: { sqlite: { readWorkers: true } } })
          : undefined;
      const served = transport === 'in-process' ? undefined : await startServe(['--url', url]);
      if (served !== undefined) await warmUp(served);
      if (local !== undefined) {
        await Promise.all(
          Array.from({ length: 4 }, () => local.queryEvents({ from: { instance: 'bench-q' }, limit: 1 })),
        );
      }
      try {
        if (store === 'memory' && local !== undefined) await fill(local, 'bench-q', 10_000);
        if (store === 'memory' && served !== undefined) {
          // A memory store lives in the server: fill it through the API.
          const api = new HttpApi(served.port, 1);
          for (let i = 0; i < 10_000; i += 2000) {
            const res = await api.call('appendEvents', {
              instanceId: 'bench-q',
              autoCreateInstance: true,
              events: Array.from({ length: 2000 }, (_, k) => ({
                eventType: `t${(i + k) % 5}`,
                payload: { n: i + k },
              })),
            });
            if (!res.success) throw new Error(`fill: ${res.error}`);
          }
          api.close();
        }
        const ops = await transportOps(transport, config.serverClients, {
          ...(local === undefined ? {} : { log: local }),
          ...(served === undefined ? {} : { port: served.port, wsUrl: served.wsUrl }),
        });
        for (const op of ['appendEvent', 'queryEvents'] as const) {
          log(
            `server: ${store}, ${op}, ${transport}, ${config.serverClients} clients, ${config.serverSeconds} s`,
          );
          await settle(200);
          const result = await runLoad(config.serverClients, config.serverSeconds, (client, i) =>
            op === 'appendEvent'
              ? ops.call(client, 'appendEvent', {
                  instanceId: 'bench',
                  autoCreateInstance: true,
                  streamId: `client-${client}`,
                  eventType: 'tick',
                  payload: { client, i, amount: i % 97 },
                })
              : ops.call(client, 'queryEvents', { query: PAGE_QUERY }),
          );
          rows.push({ store, op, transport, result });
        }
        await ops.close();
      } finally {
        await local?.close();
        await served?.stop();
      }
    }
  }
  return rows;
}

interface FanoutRow {
  label: string;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
}

/** 100 SSE subscribers with their own where filters; appends 5 ms apart through HTTP. */
async function fanout(config: BenchConfig, dir: string, log: (line: string) => void): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  const served = await startServe(['--url', `sqlite:${join(dir, 'fanout.db')}`]);
  await warmUp(served);
  const api = new HttpApi(served.port, 4);
  try {
    expectSuccess((await api.call('createInstance', { name: 'fanout' })) as never, 'createInstance');
    for (const all of [false, true]) {
      const round = all ? 1 : 0;
      const latencies: number[] = [];
      let delivered = 0;
      const streams = await Promise.all(
        Array.from({ length: config.sseSubscribers }, (_, k) => {
          const where = all
            ? [
                { field: 'event_type', operator: 'eq', value: 'tick' },
                { field: 'payload.n', operator: 'gte', value: 0 },
              ]
            : [{ field: 'payload.customer', operator: 'eq', value: `c${k}` }];
          const query = new URLSearchParams({ instance: 'fanout', where: JSON.stringify(where) });
          return followSse(`${served.httpUrl}/v1/events?${query}`, (event) => {
            const payload = event.payload as { sentAt: number; round: number };
            // The catch-up of the previous round's events (every subscriber starts at the
            // beginning) is not part of this round, however long it takes.
            if (payload.round !== round) return;
            latencies.push(epochMs() - payload.sentAt);
            delivered++;
          });
        }),
      );
      // Past the catch-up of what the previous round appended.
      await settle(500);
      delivered = 0;
      latencies.length = 0;
      const count = config.sseEvents;
      const label = all
        ? `${config.sseSubscribers} subscribers, every event matches all`
        : `${config.sseSubscribers} subscribers, each event matches one`;
      log(`server: SSE fan-out, ${label}, ${count} events 5 ms apart`);
      for (let n = 0; n < count; n++) {
        const res = await api.call('appendEvent', {
          instanceId: 'fanout',
          eventType: 'tick',
          payload: { n, round, customer: `c${n % config.sseSubscribers}`, sentAt: epochMs() },
        });
        if (!res.success) throw new Error(`append: ${res.error}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const expected = all ? count * config.sseSubscribers : count;
      const deadline = now() + 15_000;
      while (delivered < expected && now() < deadline) await settle(50);
      for (const stream of streams) stream.stop();
      rows.push({
        label,
        expected,
        delivered,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.reduce((a, b) => Math.max(a, b), 0),
      });
    }
  } finally {
    api.close();
    await served.stop();
  }
  return rows;
}

interface HeavyRow {
  label: string;
  appends: LoadResult;
  aggregations: number;
  aggregationMs: number;
}

/** Appends while a large aggregation runs back to back, with and without read threads. */
async function heavyReads(
  config: BenchConfig,
  dir: string,
  log: (line: string) => void,
): Promise<{ rows: HeavyRow[]; single: number }> {
  const file = join(dir, 'heavy.db');
  log(`server: heavy reads, filling ${config.heavyEvents.toLocaleString('en-US')} events`);
  const filler = await openEventLog(`sqlite:${file}`, {
    adapterOptions: { sqlite: { durability: 'normal' } },
  });
  await fill(filler, 'heavy', config.heavyEvents, 5000);
  const aggregation = heavyQuery(config.heavyConditions);
  const t = now();
  expectSuccess(await filler.queryEvents(aggregation), 'the heavy aggregation');
  const single = now() - t;
  await filler.close();
  log(`server: heavy reads, one aggregation takes ${(single / 1000).toFixed(2)} s`);

  const rows: HeavyRow[] = [];
  const cases: Array<{ label: string; threads: string; aggregate: boolean }> = [
    { label: 'no aggregation running', threads: '2', aggregate: false },
    {
      label: 'aggregation running, SQLite reads on read threads (serve default)',
      threads: '2',
      aggregate: true,
    },
    {
      label: 'aggregation running, SQLite reads on the main thread (--read-threads 0)',
      threads: '0',
      aggregate: true,
    },
  ];
  for (const c of cases) {
    const served = await startServe([
      '--url',
      `sqlite:${file}`,
      '--durability',
      config.heavyDurability,
      '--read-threads',
      c.threads,
      '--query-timeout-ms',
      '600000',
    ]);
    await warmUp(served);
    const appenders = [connect(served.wsUrl)];
    const reader = connect(served.wsUrl, { requestTimeoutMs: 600_000 });
    try {
      await Promise.all([...appenders, reader].map((client) => client.waitForConnection(10_000)));
      await settle(300);
      log(`server: heavy reads, ${c.label}`);
      let aggregations = 0;
      let running = c.aggregate;
      const aggregating = (async () => {
        while (running) {
          expectSuccess(await reader.eventLog.queryEvents(aggregation), 'aggregation');
          aggregations++;
        }
      })();
      // Let the first aggregation start before measuring.
      if (c.aggregate) await settle(100);
      const appends = await pacedLoad(config.heavySeconds, 10, async (i) => {
        const res = await (appenders[0] as EventLogClient).eventLog.appendEvent({
          instanceId: 'heavy',
          streamId: 'live',
          eventType: 'tick',
          payload: { i },
        });
        return res.success ? undefined : res.error;
      });
      running = false;
      await aggregating;
      rows.push({ label: c.label, appends, aggregations, aggregationMs: single });
    } finally {
      await Promise.all([...appenders, reader].map((client) => client.close()));
      await served.stop();
    }
  }
  return { rows, single };
}

export async function runServerSection(
  config: BenchConfig,
  checks: TargetCheck[],
  log: (line: string) => void,
): Promise<Table[]> {
  const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-server-'));
  try {
    const requests = await requestRows(config, dir, log);
    const fan = await fanout(config, dir, log);
    const heavy = await heavyReads(config, dir, log);

    const inProcess = new Map(
      requests
        .filter((r) => r.transport === 'in-process')
        .map((r) => [`${r.store}/${r.op}`, r.result.rps] as const),
    );
    const tables: Table[] = [
      {
        title: `Server: requests with ${config.serverClients} concurrent clients (closed loop, ${config.serverSeconds} s each)`,
        header: ['store', 'request', 'transport', 'req/s', 'vs in-process', 'p50', 'p99', 'max', 'errors'],
        rows: requests.map((r) => [
          r.store,
          r.op,
          r.transport,
          rate(r.result.rps),
          `${(r.result.rps / (inProcess.get(`${r.store}/${r.op}`) ?? Number.NaN)).toFixed(2)}×`,
          ms(r.result.p50),
          ms(r.result.p99),
          ms(r.result.max),
          r.result.errors === 0 ? '0' : `${r.result.errors} (${r.result.firstError ?? ''})`,
        ]),
        notes: [
          'eventlog serve runs in a child process (on the TypeScript sources, through tsx); the clients run in the bench process, on the same 2 cores',
          'in-process: the same calls on an EventLog opened in the bench process as serve opens it (SQLite with read threads); HTTP: node:http keep-alive agent with one socket per client; WebSocket: one @eventlog/client connection per client',
          `appendEvent: one event per call to the client's own stream; queryEvents: a page of 10 of one event type with its total, over ${(10_000).toLocaleString('en-US')} events`,
          'SQLite at its default durability (FULL: every append commits with an fsync)',
        ],
      },
      {
        title: `Server: SSE fan-out to ${config.sseSubscribers} filtered subscribers (appends 5 ms apart through HTTP)`,
        header: ['case', 'delivered', 'p50', 'p99', 'max'],
        rows: fan.map((f) => [f.label, `${f.delivered} / ${f.expected}`, ms(f.p50), ms(f.p99), ms(f.max)]),
        notes: [
          'latency: from just before the append request is sent until the subscriber has parsed the event (same clock)',
          'each subscriber has its own where: payload.customer = c<k> (one matches each event), or event_type = tick and payload.n ≥ 0 (all match)',
        ],
      },
      {
        title: `Server: appends over WebSocket, one every 10 ms, while a large aggregation runs (${config.heavySeconds} s each)`,
        header: ['case', 'appends/s', 'p50', 'p99', 'max', 'aggregations done'],
        rows: heavy.rows.map((h) => [
          h.label,
          rate(h.appends.rps),
          ms(h.appends.p50),
          ms(h.appends.p99),
          ms(h.appends.max),
          h.label.startsWith('no ') ? '—' : String(h.aggregations),
        ]),
        notes: [
          `the aggregation: count by event_type of the events whose payload.note contains any of ${config.heavyConditions} strings, over ${config.heavyEvents.toLocaleString('en-US')} events; one takes ${(heavy.single / 1000).toFixed(1)} s in-process; it runs back to back from another client during the whole window`,
          'appends are sent on schedule whether or not the previous ones answered (open loop), so a blocked server shows as the time each append waited',
          `SQLite durability ${config.heavyDurability.toUpperCase()} here, so the figures show blocking rather than fsync time; BENCH_SERVER_HEAVY_CONDITIONS sizes the aggregation`,
        ],
      },
    ];
    for (const f of fan) {
      checks.push({
        section: 'server',
        label: `SSE, ${f.label}: every event delivered`,
        target: `${f.expected}`,
        measured: `${f.delivered}`,
        met: f.delivered === f.expected,
      });
    }
    const threaded = heavy.rows[1];
    if (threaded !== undefined) {
      checks.push({
        section: 'server',
        label: `appends while a ${(heavy.single / 1000).toFixed(0)}-second aggregation runs (read threads): p99`,
        target: '≤ 20 ms',
        measured: ms(threaded.appends.p99),
        met: threaded.appends.p99 <= 20,
      });
    }
    return tables;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
