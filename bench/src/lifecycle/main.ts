/**
 * `pnpm bench:lifecycle`: pruning and archiving figures on one store (SPEC §9, issue 13).
 *
 * 1. **Prune under load**: loads `LIFECYCLE_EVENTS` events (batches of 1000, timestamps one per
 *    millisecond, 100 streams) into an instance, sets `maxAgeMs` so that all but the last 1% are
 *    expired, then runs `pruneExpired` (batches of `LIFECYCLE_PRUNE_BATCH`) while one writer
 *    appends single events to the same instance back to back; reports the prune's duration and
 *    rate, and the appends' p50/p99/max latency during the prune and, for comparison, before it.
 * 2. **Archive and restore**: loads `LIFECYCLE_EVENTS` events into another instance and archives
 *    those older than the middle one (gzip NDJSON + manifest), then restores them; reports events
 *    per second, the file size and bytes per event, and checks the store equals the original.
 *
 * Knobs: `LIFECYCLE_URL` (default `memory:`; `sqlite:/tmp/x.db`, `postgres://…` once those
 * adapters declare `lifecycle` / `archive`), `LIFECYCLE_EVENTS` (default 200,000),
 * `LIFECYCLE_PRUNE_BATCH` (default 1000).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCapability } from '@eventlog/core';
import { archiveEvents, openEventLog, restoreArchive } from 'eventlog';
import { now, percentile } from '../measure.js';

const url = process.env.LIFECYCLE_URL ?? 'memory:';
const total = Number(process.env.LIFECYCLE_EVENTS ?? 200_000);
const pruneBatchSize = Number(process.env.LIFECYCLE_PRUNE_BATCH ?? 1000);
const T0 = Date.UTC(2020, 0, 1);
const say = (line: string) => process.stdout.write(`${line}\n`);

async function load(log: Awaited<ReturnType<typeof openEventLog>>, instanceId: string): Promise<number> {
  const start = now();
  for (let i = 0; i < total; i += 1000) {
    await log.store.appendEvents({
      instanceId,
      streamId: `stream-${(i / 1000) % 100}`,
      events: Array.from({ length: Math.min(1000, total - i) }, (_, k) => ({
        eventType: 'Measured',
        payload: {
          n: i + k,
          sensor: `s-${(i + k) % 37}`,
          value: ((i + k) * 7919) % 1000,
          note: 'x'.repeat(60),
        },
        timestamp: T0 + i + k,
      })),
    });
  }
  return now() - start;
}

/** Appends single events back to back until `done()`; returns each call's latency in ms. */
async function appendLoop(
  log: Awaited<ReturnType<typeof openEventLog>>,
  instanceId: string,
  done: () => boolean,
) {
  const latencies: number[] = [];
  while (!done()) {
    const start = now();
    await log.store.appendEvent({
      instanceId,
      streamId: 'live',
      eventType: 'Live',
      payload: { at: Date.now() },
    });
    latencies.push(now() - start);
    // A store that answers without I/O (memory) would never let timers run otherwise.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return latencies;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const stats = (l: number[]) =>
  `${l.length} appends, p50 ${fmt(percentile(l, 50))}, p99 ${fmt(percentile(l, 99))}, max ${fmt(l.reduce((m, x) => Math.max(m, x), 0))}`;

const log = await openEventLog(url, { pruneBatchSize });
const dir = mkdtempSync(join(tmpdir(), 'eventlog-bench-archive-'));
try {
  say(`store ${url.replace(/:[^:@/]*@/, ':***@')}, ${total} events, prune batches of ${pruneBatchSize}`);
  if (!hasCapability(log.store.adapter, 'lifecycle')) {
    say(`the ${log.store.adapter.name} adapter does not declare capabilities.lifecycle: nothing to measure`);
  } else {
    const { id } = await log.store.createInstance(`prune-${Date.now()}`);
    say(`load: ${fmt(await load(log, id))}`);
    let stop = false;
    const baseline = appendLoop(log, id, () => stop);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop = true;
    const before = await baseline;
    // All but the last 1% expire: the clock is the store's (now), the data is from 2020.
    const keepMs = Math.max(1, Math.floor(total / 100));
    await log.store.setRetention({ instanceId: id, maxAgeMs: Date.now() - (T0 + total - keepMs) });
    stop = false;
    const during = appendLoop(log, id, () => stop);
    const start = now();
    const { deletedEvents } = await log.store.pruneExpired({ instanceId: id });
    const pruneMs = now() - start;
    stop = true;
    const latencies = await during;
    say(
      `prune: ${deletedEvents} events in ${fmt(pruneMs)} (${Math.round(deletedEvents / (pruneMs / 1000))} events/s)`,
    );
    say(`appends before the prune: ${stats(before)}`);
    say(`appends during the prune: ${stats(latencies)}`);
    await log.store.deleteInstance(id);
  }
  if (!hasCapability(log.store.adapter, 'archive')) {
    say(`the ${log.store.adapter.name} adapter does not declare capabilities.archive: no archive figures`);
  } else {
    const { id } = await log.store.createInstance(`archive-${Date.now()}`);
    await load(log, id);
    const original = await log.store.readAfter({ instance: id, after: 0, limit: 10 });
    const cutoff = new Date(T0 + Math.floor(total / 2)).toISOString();
    let start = now();
    const archived = await archiveEvents(log.store, { dir, instance: id, before: cutoff });
    const archiveMs = now() - start;
    const bytes = archived.file?.bytes ?? 0;
    say(
      `archive: ${archived.removedEvents} events in ${fmt(archiveMs)} (${Math.round(archived.removedEvents / (archiveMs / 1000))} events/s), ${(bytes / 1e6).toFixed(1)} MB gzip, ${(bytes / Math.max(1, archived.removedEvents)).toFixed(1)} bytes/event`,
    );
    start = now();
    const restored = await restoreArchive(log.store, { dir });
    const restoreMs = now() - start;
    say(
      `restore: ${restored.imported} events in ${fmt(restoreMs)} (${Math.round(restored.imported / (restoreMs / 1000))} events/s)`,
    );
    const back = await log.store.readAfter({ instance: id, after: 0, limit: 10 });
    say(
      `store equals the original after restore (first page): ${JSON.stringify(back) === JSON.stringify(original)}`,
    );
    await log.store.deleteInstance(id);
  }
} finally {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
}
