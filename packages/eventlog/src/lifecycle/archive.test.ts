import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  ENCRYPTED_PREFIX,
  ERASED,
  type EventLog,
  type EventRecord,
  hasCapability,
  type InstanceStats,
  SUBJECT_KEY_NAMESPACE,
} from '@eventlog/core';
import { storeUrlsForTests } from '@eventlog/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import { archiveEvents, openArchive, restoreArchive } from './archive.js';
import { fileChecksum, readManifest } from './archive-format.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-archive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const URLS = storeUrlsForTests('el_archive');
const CUTOFF = '2024-07-01T00:00:00.000Z';

/** Everything a store holds for an instance, as the store reads it (positions included). */
async function contents(
  log: EventLog,
  instanceId: string,
): Promise<{ events: EventRecord[]; stats: InstanceStats }> {
  const events: EventRecord[] = [];
  for (let after = 0; ; ) {
    const page = await log.store.readAfter({ instance: instanceId, after, limit: 500 });
    events.push(...page);
    if (page.length < 500) break;
    after = (page[page.length - 1] as EventRecord).global_position;
  }
  return { events, stats: await log.store.getInstanceStats(instanceId) };
}

/** Two instances of events from 2023 to 2025, with tags, eventIds, metadata and personal data. */
async function seed(log: EventLog): Promise<string[]> {
  const ids: string[] = [];
  for (const name of ['orders', 'audit']) {
    const { id } = await log.store.createInstance(
      `${name}-${Math.random().toString(36).slice(2, 8)}`,
      `the ${name}`,
    );
    ids.push(id);
    await log.store.appendEvents({
      instanceId: id,
      events: Array.from({ length: 120 }, (_, i) => ({
        streamId: `${name}-${i % 7}`,
        eventType: i % 3 === 0 ? 'Created' : 'Changed',
        payload: { i, email: `person-${i}@example.com`, nested: { text: `é ${i}\n"q"` } },
        metadata: { subject: `person-${i % 5}`, personal: ['payload.email'], source: 'seed' },
        timestamp: Date.UTC(2023, 0, 1) + i * 7 * 86_400_000,
        ...(i % 4 === 0 ? { eventId: `${name}-ev-${i}` } : {}),
        ...(i % 5 === 0 ? { tags: [`group:${i % 3}`, 'seeded'] } : {}),
      })),
    });
    if (hasCapability(log.store.adapter, 'lifecycle')) {
      await log.store.deleteStream({ instanceId: id, streamId: `${name}-6` });
    }
  }
  return ids;
}

describe.each(URLS)('archive and restore on %s', (url) => {
  it('given events older than a cutoff, when archived and restored, then the store equals the original, positions included', async (t) => {
    const log = await openEventLog(url);
    try {
      if (!hasCapability(log.store.adapter, 'archive')) {
        t.skip(
          `the ${log.store.adapter.name} adapter declares capabilities.archive = false (importEvents/removeEvents not implemented yet)`,
        );
      }
      const ids = await seed(log);
      const before = await Promise.all(ids.map((id) => contents(log, id)));
      const archive = join(dir, `archive-${Math.random().toString(36).slice(2, 8)}`);

      let moved = 0;
      for (const id of ids)
        moved += (
          await archiveEvents(log.store, { dir: archive, instance: id, before: CUTOFF, pageSize: 37 })
        ).removedEvents;
      const older = before.flatMap((b) => b.events.filter((e) => e.timestamp < CUTOFF));
      expect(moved).toBe(older.length);
      expect(moved).toBeGreaterThan(100);

      // The manifest: one file per instance, counts, ranges, checksums of the real files.
      const manifest = await readManifest(archive);
      expect(manifest.files.map((f) => f.instance.id)).toEqual(ids);
      for (const [k, entry] of manifest.files.entries()) {
        const archived = (before[k] as { events: EventRecord[] }).events.filter((e) => e.timestamp < CUTOFF);
        expect(entry).toMatchObject({
          count: archived.length,
          firstPosition: archived[0]?.global_position,
          lastPosition: archived.at(-1)?.global_position,
          cutoff: CUTOFF,
        });
        expect(await fileChecksum(join(archive, entry.file))).toEqual({
          sha256: entry.sha256,
          bytes: entry.bytes,
        });
        // Stored form: personal data stays encrypted in the file.
        const text = gunzipSync(readFileSync(join(archive, entry.file))).toString('utf8');
        expect(text).not.toContain('person-0@example.com');
        expect(text).toContain(ENCRYPTED_PREFIX);
      }

      // Only the newer events remain in the store.
      for (const [k, id] of ids.entries()) {
        const now = await contents(log, id);
        expect(now.events).toEqual(
          (before[k] as { events: EventRecord[] }).events.filter((e) => e.timestamp >= CUTOFF),
        );
      }

      // The archive answers the DSL read-only, personal fields erased unless given the keys.
      const view = await openArchive(archive);
      const viewWithKeys = await openArchive(archive, { subjectKeys: log.store.adapter.kv });
      try {
        const count = await view.queryEvents({
          from: { instance: ids[0] as string },
          reduce: { type: 'count', groupBy: ['event_type'] },
        });
        expect(count.success && count.data.result.total).toBe(manifest.files[0]?.count);
        const first = older[0] as EventRecord;
        const plain = await view.queryEvents({
          from: { instance: first.instanceId },
          where: [{ field: 'id', operator: 'eq', value: first.id }],
        });
        expect(plain.success && plain.data.result.events?.[0]).toMatchObject({
          global_position: first.global_position,
          payload: { email: ERASED },
        });
        const clear = await viewWithKeys.queryEvents({
          from: { instance: first.instanceId },
          where: [{ field: 'id', operator: 'eq', value: first.id }],
        });
        expect(clear.success && clear.data.result.events?.[0]).toEqual(first);
      } finally {
        await view.close();
        await viewWithKeys.close();
      }

      // A damaged file restores nothing.
      const damaged = join(dir, `damaged-${Math.random().toString(36).slice(2, 8)}`);
      rmSync(damaged, { recursive: true, force: true });
      await cp(archive, damaged, { recursive: true });
      const victim = join(damaged, (manifest.files[1] as { file: string }).file);
      const bytes = readFileSync(victim);
      bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 0xff;
      writeFileSync(victim, bytes);
      await expect(restoreArchive(log.store, { dir: damaged })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
      });
      expect((await contents(log, ids[0] as string)).events.length).toBe(
        (before[0] as { events: EventRecord[] }).events.filter((e) => e.timestamp >= CUTOFF).length,
      );

      // Restore: the original, exactly (ids, timestamps, eventIds, tags, sequences, positions).
      const restored = await restoreArchive(log.store, { dir: archive, pageSize: 50 });
      expect(restored).toEqual({ files: 2, imported: moved, skipped: 0 });
      for (const [k, id] of ids.entries()) expect(await contents(log, id)).toEqual(before[k]);
      // Again: nothing to do.
      expect(await restoreArchive(log.store, { dir: archive })).toEqual({
        files: 2,
        imported: 0,
        skipped: moved,
      });

      // New events come after every restored position.
      const highest = Math.max(...before.flatMap((b) => b.events.map((e) => e.global_position)));
      const next = await log.store.appendEvent({
        instanceId: ids[0] as string,
        streamId: 'orders-0',
        eventType: 'Later',
      });
      expect(next.event.global_position).toBeGreaterThan(highest);

      // A deleted instance comes back with its id, name and events.
      const name = (await log.store.getInstance(ids[1] as string)).name;
      await log.store.deleteInstance(ids[1] as string);
      expect(await restoreArchive(log.store, { dir: archive, instance: name })).toMatchObject({ files: 1 });
      const back = await log.store.getInstance(name);
      expect(back.id).toBe(ids[1]);
      expect((await contents(log, back.id)).events).toEqual(
        (before[1] as { events: EventRecord[] }).events.filter((e) => e.timestamp < CUTOFF),
      );
    } finally {
      await log.close();
    }
  }, 120_000);

  it('given an instance with retention rules archived and deleted, when restored, then it comes back without its rules and every restored event is visible', async (t) => {
    const log = await openEventLog(url);
    try {
      if (!hasCapability(log.store.adapter, 'archive') || !hasCapability(log.store.adapter, 'lifecycle')) {
        t.skip(`the ${log.store.adapter.name} adapter declares no archive or lifecycle capability`);
      }
      const name = `ruled-${Math.random().toString(36).slice(2, 8)}`;
      const { id } = await log.store.createInstance(name);
      await log.store.appendEvents({
        instanceId: id,
        streamId: 's',
        events: ['2020-01-01', '2020-01-02', '2020-01-03'].map((day) => ({
          eventType: 'Old',
          timestamp: `${day}T00:00:00.000Z`,
        })),
      });
      await log.store.setRetention({ instanceId: id, maxEventsPerStream: 5 });
      const archive = join(dir, `ruled-${Math.random().toString(36).slice(2, 8)}`);
      await archiveEvents(log.store, { dir: archive, instance: id, before: CUTOFF });
      expect((await readManifest(archive)).files[0]?.instance.retention).toEqual({ maxEventsPerStream: 5 });
      await log.store.deleteInstance(id);

      // The rules are not set again: archived events are usually past them (hidden, then pruned).
      await restoreArchive(log.store, { dir: archive });
      const back = await log.store.getInstance(name);
      expect(back).toMatchObject({ id, name });
      expect(back.retention).toBeUndefined();
      expect((await contents(log, id)).events.map((e) => e.sequence_number)).toEqual([1, 2, 3]);
    } finally {
      await log.close();
    }
  });
});

describe('archive: erasure and bad directories', () => {
  it('given a subject forgotten after archiving, then the archive reads their fields as erased too', async () => {
    const log = await openEventLog('memory:');
    const archive = join(dir, 'forgotten');
    try {
      const { id } = await log.store.createInstance('people');
      await log.store.appendEvent({
        instanceId: id,
        eventType: 'Registered',
        payload: { email: 'ada@example.com' },
        metadata: { subject: 'ada', personal: ['payload.email'] },
        timestamp: '2020-01-01T00:00:00Z',
      });
      await archiveEvents(log.store, { dir: archive, instance: id, before: CUTOFF });
      const keys = await log.store.adapter.kv.list(SUBJECT_KEY_NAMESPACE);
      expect(keys.map((k) => k.key)).toEqual(['ada']);
      await log.store.forgetSubject('ada');
      const view = await openArchive(archive, { subjectKeys: log.store.adapter.kv });
      const res = await view.queryEvents({ from: { instance: 'people' } });
      expect(res.success && res.data.result.events?.[0]?.payload).toEqual({ email: ERASED });
      await view.close();
    } finally {
      await log.close();
    }
  });

  it('given a directory that is not an archive, then restore and openArchive say so', async () => {
    const log = await openEventLog('memory:');
    const empty = mkdtempSync(join(dir, 'empty-'));
    try {
      await expect(restoreArchive(log.store, { dir: empty })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      writeFileSync(join(empty, 'manifest.json'), '{"format":"other"}');
      await expect(openArchive(empty)).rejects.toThrow(/not an Event Log archive manifest/);
    } finally {
      await log.close();
    }
  });
});
