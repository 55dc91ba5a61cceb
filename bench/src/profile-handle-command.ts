/**
 * Where a snapshotted `handleCommand` spends its time on PostgreSQL:
 * `EVENTLOG_TEST_PG_URL=… tsx --conditions=@eventlog/source src/profile-handle-command.ts`.
 * Not part of `pnpm bench` (`BENCH_ONLY=decisions` gives the figure): it times each adapter call
 * made inside `COMMANDS` (default 400) commands on a 10,000-event stream with a snapshot every `EVERY`
 * (default 100) events, then 20 commands without snapshots, in a database of its own holding only that stream.
 * The calls of one step run in parallel, so their times overlap.
 */
import { handleCommand, type KeyValueStore, type StorageAdapter } from '@eventlog/core';
import { appendCounted, counter } from './decisions/counter.js';
import { profileLog } from './postgres/databases.js';

const EVERY = Number(process.env.EVERY ?? 100);
const COMMANDS = Number(process.env.COMMANDS ?? 400);
const opened = await profileLog();
const { log, done } = opened;
const adapter = opened.adapter as StorageAdapter;
await log.createInstance('p');
await appendCounted(log, 'p', 'long', 10_000);

const times = new Map<string, number[]>();
/** Replaces `target[name]` by a version that records how long each call took under `label`. */
function timed<T extends object>(target: T, name: keyof T & string, label: string): void {
  const original = (target[name] as (...args: unknown[]) => Promise<unknown>).bind(target);
  (target as Record<string, unknown>)[name] = async (...args: unknown[]) => {
    const start = performance.now();
    try {
      return await original(...args);
    } finally {
      const list = times.get(label) ?? [];
      list.push(performance.now() - start);
      times.set(label, list);
    }
  };
}
timed(adapter.kv as KeyValueStore, 'get', 'kv.get (snapshot)');
timed(adapter, 'resolveInstance', 'resolveInstance');
if (adapter.loadStream !== undefined) timed(adapter, 'loadStream', 'loadStream');
timed(adapter, 'readAfter', 'readAfter');
timed(adapter, 'append', 'append');

async function run(snapshot: boolean, commands: number): Promise<number> {
  const start = performance.now();
  for (let k = 0; k < commands; k++) {
    await handleCommand(log, {
      instance: 'p',
      streamId: 'long',
      decider: counter,
      command: { by: 1 },
      ...(snapshot ? { snapshot: { every: EVERY } } : {}),
    });
  }
  return (performance.now() - start) / commands;
}

function report(title: string, perCommand: number): void {
  console.log(`${title}: ${perCommand.toFixed(2)} ms per command`);
  for (const [label, list] of times) {
    list.sort((a, b) => a - b);
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    console.log(
      `  ${label.padEnd(20)} ${String(list.length).padStart(5)} calls, median ${list[list.length >> 1]?.toFixed(2)} ms, mean ${mean.toFixed(2)} ms`,
    );
  }
  times.clear();
}

await run(true, 50); // writes the first snapshot; warms up
times.clear();
report(`with a snapshot every ${EVERY} events`, await run(true, COMMANDS));
report('without snapshots', await run(false, 20));
await done();
