import { createEventLog, type KeyValueStore } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { projection } from '@eventlog/rx';
import { describe, expect, it } from 'vitest';
import { runProjection, type TestProjectionHandler } from './run-projection.js';

type Events = {
  StudentSubscribed: { courseId: string; studentId: string };
  StudentLeft: { courseId: string };
};

/** A read model in the key-value store: seats taken per course. */
const seats: TestProjectionHandler<Events> = async (event, { kv }) => {
  const courseId = event.payload.courseId;
  const taken = ((await kv.get('seats', courseId))?.value as number | undefined) ?? 0;
  await kv.put('seats', courseId, event.event_type === 'StudentSubscribed' ? taken + 1 : taken - 1);
};

const history = [
  { eventType: 'StudentSubscribed' as const, payload: { courseId: 'c1', studentId: 's1' } },
  { eventType: 'StudentSubscribed' as const, payload: { courseId: 'c1', studentId: 's2' } },
  { eventType: 'StudentSubscribed' as const, payload: { courseId: 'c2', studentId: 's1' } },
  { eventType: 'StudentLeft' as const, payload: { courseId: 'c1' } },
];

describe('runProjection', () => {
  it('given events, when a kv handler runs over them, then the read model is the kv contents by namespace', async () => {
    expect(await runProjection({ events: history, handler: seats })).toEqual({ seats: { c1: 1, c2: 1 } });
  });

  it('given a model the handler keeps itself, then readModel returns it', async () => {
    const names = new Map<string, string[]>();
    const model = await runProjection<Events, Record<string, string[]>>({
      events: history,
      handler: (event) => {
        if (event.event_type !== 'StudentSubscribed') return;
        names.set(event.payload.courseId, [
          ...(names.get(event.payload.courseId) ?? []),
          event.payload.studentId,
        ]);
      },
      readModel: () => Object.fromEntries(names),
    });
    expect(model).toEqual({ c1: ['s1', 's2'], c2: ['s1'] });
  });

  it('given the same handler in a real projection over a log, then the read model is the same', async () => {
    const log = createEventLog<Events>({ adapter: memoryAdapter() });
    const { id } = await log.store.createInstance('school');
    await log.store.appendEvents({ instanceId: id, events: history });
    const p = projection({ log, name: 'seats', instance: id, handler: seats });
    p.start();
    await p.caughtUp();
    await p.stop();
    const kv: KeyValueStore = log.store.adapter.kv;
    const stored = Object.fromEntries((await kv.list('seats')).map((e) => [e.key, e.value]));
    expect(stored).toEqual((await runProjection({ events: history, handler: seats })).seats);
  });

  it('given events in order, then the handler sees positions and per-stream sequences as a store gives them', async () => {
    const seen: Array<[number, string, number]> = [];
    await runProjection<Events>({
      events: [
        ...history.slice(0, 2),
        { eventType: 'StudentLeft', payload: { courseId: 'c2' }, streamId: 'other' },
      ],
      handler: (e) => void seen.push([e.global_position, e.stream_id, e.sequence_number]),
    });
    expect(seen).toEqual([
      [1, 'test', 1],
      [2, 'test', 2],
      [3, 'other', 1],
    ]);
  });
});
