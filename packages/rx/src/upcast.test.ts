/**
 * Live readers see events in their current schema: `liveEvents` and projections apply the log's
 * upcasters (and their own), while `where` filters the stored form.
 */

import { createEventLog, type EventRecord, type Upcaster } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { liveEvents } from './live-events.js';
import { projection } from './projection.js';

const upcasters: Upcaster[] = [
  { eventType: 'Renamed', fromVersion: 1, upcast: (p) => ({ fullName: p.name ?? null }) },
  { eventType: 'Renamed', fromVersion: 2, upcast: (p) => ({ name: { full: p.fullName ?? null } }) },
];

async function seeded() {
  const log = createEventLog({ adapter: memoryAdapter(), upcasters });
  const { id } = await log.store.createInstance('people');
  await log.store.appendEvents({
    instanceId: id,
    events: [
      { eventType: 'Renamed', payload: { name: 'Ada' } },
      { eventType: 'Renamed', payload: { fullName: 'Grace' }, metadata: { schemaVersion: 2 } },
      { eventType: 'Other', payload: { name: 'x' } },
    ],
  });
  return { log, id };
}

describe('upcasting in live readers', () => {
  it('given v1 and v2 events, when followed with liveEvents, then each arrives as v3; where sees the stored form', async () => {
    const { log, id } = await seeded();
    const all = await firstValueFrom(liveEvents(log, { instance: id }).pipe(take(3), toArray()));
    expect(all.map((e) => [e.payload, e.metadata.schemaVersion])).toEqual([
      [{ name: { full: 'Ada' } }, 3],
      [{ name: { full: 'Grace' } }, 3],
      [{ name: 'x' }, undefined],
    ]);
    const filtered = await firstValueFrom(
      liveEvents(log, {
        instance: id,
        where: [{ field: 'payload.name', operator: 'eq', value: 'Ada' }],
      }).pipe(take(1)),
    );
    expect(filtered.payload).toEqual({ name: { full: 'Ada' } });
  });

  it('given a subscriber-level upcaster, then it overrides the log’s step', async () => {
    const { log, id } = await seeded();
    const shout: Upcaster = {
      eventType: 'Renamed',
      fromVersion: 2,
      upcast: (p) => ({ name: { full: String(p.fullName).toUpperCase() } }),
    };
    const [first] = await firstValueFrom(
      liveEvents(log, { instance: id, upcasters: [shout] }).pipe(take(1), toArray()),
    );
    expect(first?.payload).toEqual({ name: { full: 'ADA' } });
  });

  it('given an upcaster that throws, then the Observable errors with the event named', async () => {
    const log = createEventLog({
      adapter: memoryAdapter(),
      upcasters: [
        {
          eventType: 'Bad',
          fromVersion: 1,
          upcast: () => {
            throw new Error('cannot read v1');
          },
        },
      ],
    });
    const { id } = await log.store.createInstance('bad');
    await log.store.appendEvent({ instanceId: id, eventType: 'Bad' });
    await expect(firstValueFrom(liveEvents(log, { instance: id }))).rejects.toThrow(
      /"Bad" from version 1 failed .*cannot read v1/,
    );
  });

  it('given v1 events, when a projection runs, then its handler receives v3 events', async () => {
    const { log, id } = await seeded();
    const seen: EventRecord[] = [];
    const p = projection({ log, name: 'names', instance: id, handler: (e) => void seen.push(e) });
    p.start();
    await p.caughtUp();
    await p.stop();
    expect(seen.map((e) => e.payload)).toEqual([
      { name: { full: 'Ada' } },
      { name: { full: 'Grace' } },
      { name: 'x' },
    ]);
  });
});
