/**
 * How much of a snapshotted `handleCommand` on PostgreSQL is the statements themselves:
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-command-replay.ts`.
 * Not part of `pnpm bench`. In a database of its own, a 10,000-event stream; the statements one
 * command sends (the five of `loadStream`, then `append_events`) are captured, then replayed by
 * postgres.js on the adapter's own pool: the load, then the append with a fresh event id and the
 * next expected version, as a command would. Rounds alternate blocks of 100 commands with blocks
 * of 100 replays, each block after the snapshot is moved to the stream's last event, so both read
 * 0–99 events after it (`handleCommand` writes its own every 100 too). Prints the median and mean
 * of each, and of the load and the append inside each.
 */

import { handleCommand, type StorageAdapter } from '@eventlog/core';
import type postgres from 'postgres';
import { appendCounted, counter } from './decisions/counter.js';
import { profileLog } from './postgres/databases.js';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const BLOCK = 100;
const opened = await profileLog();
const { log, done } = opened;
await log.createInstance('p');
await appendCounted(log, 'p', 'long', 10_000);
const command = () =>
  handleCommand(log, {
    instance: 'p',
    streamId: 'long',
    decider: counter,
    command: { by: 1 },
    snapshot: { every: 100 },
  });
for (let k = 0; k < 150; k++) await command(); // warm; writes the snapshot

type Unsafe = postgres.Sql['unsafe'];
type Captured = { text: string; params: unknown[] };
const sql = opened.adapter.sql as postgres.Sql;
const captured: Captured[] = [];
/** `unsafe` that notes each statement's text and parameters. */
const noting = (unsafe: Unsafe): Unsafe =>
  ((text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    captured.push({ text, params: params ?? [] });
    return unsafe(text, params as postgres.ParameterOrJSON<never>[], options);
  }) as Unsafe;
const { reserve, unsafe } = sql;
sql.reserve = async () => {
  const conn = await reserve.call(sql);
  conn.unsafe = noting(conn.unsafe.bind(conn));
  return conn;
};
sql.unsafe = noting(unsafe.bind(sql));
await command();
sql.reserve = reserve;
sql.unsafe = unsafe;
const loadStatements = captured.filter((s) => !s.text.includes('append_events'));
const found = captured.find((s) => s.text.includes('append_events'));
if (found === undefined || loadStatements.length !== 5) {
  throw new Error(`expected five load statements and an append, captured ${captured.length}`);
}
const appendStatement: Captured = found;

const PREPARED = { prepare: true } as const;
const [stored] = await sql<{ version: number }[]>`
  select max(sequence_number)::int as version from eventlog.events where stream_id = 'long'`;
let head = stored?.version ?? 0;
const parts = new Map<string, number[]>();
/** Runs `f`, noting its time under `name`. */
async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await f();
  } finally {
    const list = parts.get(name) ?? [];
    list.push(performance.now() - start);
    parts.set(name, list);
  }
}
async function replay(): Promise<void> {
  await timed('replay: load', async () => {
    const conn = await sql.reserve();
    try {
      await Promise.all(
        loadStatements.map((s) =>
          (s.params.length === 0
            ? conn.unsafe(s.text)
            : conn.unsafe(s.text, s.params as postgres.ParameterOrJSON<never>[], PREPARED)
          ).execute(),
        ),
      );
    } finally {
      conn.release();
    }
  });
  // The append's parameters: (ref, seed, schema, rows, stream, timestamp, streams, checks, …).
  const params = structuredClone(appendStatement.params) as [
    unknown,
    unknown,
    unknown,
    Array<{ i: string }>,
    unknown,
    string,
    unknown,
    Array<{ v: number }>,
    ...unknown[],
  ];
  params[3][0] = { ...params[3][0], i: crypto.randomUUID() };
  params[5] = new Date().toISOString();
  params[7][0] = { ...params[7][0], v: head };
  const [row] = await timed('replay: append', () =>
    sql.unsafe(appendStatement.text, params as postgres.ParameterOrJSON<never>[], PREPARED).execute(),
  );
  if (row?.r_outcome !== 1) throw new Error(`the replayed append did not write: ${JSON.stringify(row)}`);
  head++;
}

const adapter = opened.adapter as StorageAdapter;
const load = adapter.loadStream?.bind(adapter);
const append = adapter.append.bind(adapter);
if (load === undefined) throw new Error('the adapter has no loadStream');
adapter.loadStream = (request) => timed('handleCommand: load', () => load(request));
adapter.append = ((request: Parameters<typeof append>[0]) =>
  timed('handleCommand: append', () => append(request))) as typeof adapter.append;

/** Moves the snapshot's anchor to the stream's last event (its state is not read here). */
async function moveSnapshot(): Promise<void> {
  await sql`
    update eventlog.kv set value = jsonb_build_object('state', jsonb_build_object('n', e.sequence_number),
      'eventId', e.id, 'version', e.sequence_number, 'position', e.global_position)
    from (select id, sequence_number, global_position from eventlog.events
          where stream_id = 'long' order by sequence_number desc limit 1) e
    where kv.namespace = 'eventlog.snapshots'`;
}

const totals = new Map<string, number[]>([
  ['handleCommand', []],
  ['replay', []],
]);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of [
    ['handleCommand', async () => void (await command())],
    ['replay', replay],
  ] as const) {
    await moveSnapshot();
    for (let k = 0; k < BLOCK; k++) {
      const start = performance.now();
      await run();
      totals.get(name)?.push(performance.now() - start);
      if (name === 'handleCommand') head++;
    }
  }
}

const summary = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return `median ${sorted[sorted.length >> 1]?.toFixed(3)} ms, mean ${mean.toFixed(3)} ms`;
};
for (const [name, list] of [...totals, ...parts]) console.log(`${name.padEnd(22)} ${summary(list)}`);
await done();
