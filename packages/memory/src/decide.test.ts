import {
  type BoundaryDecider,
  createEventLog,
  decide,
  EventLogError,
  isConditionConflict,
  readBoundary,
} from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

type CourseEvents = {
  CourseDefined: { courseId: string; capacity: number };
  StudentSubscribed: { courseId: string; studentId: string };
};
type CourseTag = `course:${string}` | `student:${string}`;
type Subscribe = { courseId: string; studentId: string };
type Seats = {
  command: Subscribe;
  defined: boolean;
  capacity: number;
  taken: number;
  coursesOfStudent: number;
  already: boolean;
};

const STUDENT_LIMIT = 2;

const subscribe: BoundaryDecider<Seats, Subscribe, CourseEvents, CourseTag> = {
  boundary: ({ courseId, studentId }) => [
    { types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${courseId}`] },
    { types: ['StudentSubscribed'], tags: [`student:${studentId}`] },
  ],
  initialState: (command) => ({
    command,
    defined: false,
    capacity: 0,
    taken: 0,
    coursesOfStudent: 0,
    already: false,
  }),
  evolve: (state, event) => {
    if (event.event_type === 'CourseDefined')
      return { ...state, defined: true, capacity: event.payload.capacity };
    // An event of both items (this student in this course) is read once and folded once.
    const { courseId, studentId } = state.command;
    const here = event.payload.courseId === courseId;
    const mine = event.payload.studentId === studentId;
    return {
      ...state,
      taken: state.taken + (here ? 1 : 0),
      coursesOfStudent: state.coursesOfStudent + (mine ? 1 : 0),
      already: state.already || (here && mine),
    };
  },
  decide: (command, state) => {
    if (!state.defined) throw new Error(`Course ${command.courseId} does not exist.`);
    if (state.already) return [];
    if (state.taken >= state.capacity) throw new Error(`Course ${command.courseId} is full.`);
    if (state.coursesOfStudent >= STUDENT_LIMIT)
      throw new Error(`Student ${command.studentId} has ${STUDENT_LIMIT} courses.`);
    return {
      streamId: `subscriptions-${command.courseId}`,
      eventType: 'StudentSubscribed',
      payload: command,
      tags: [`course:${command.courseId}`, `student:${command.studentId}`],
    };
  },
};

async function school() {
  const log = createEventLog<CourseEvents>({ adapter: memoryAdapter() });
  await log.store.createInstance('school');
  for (const [courseId, capacity] of [
    ['c1', 2],
    ['c2', 5],
    ['c3', 5],
  ] as const) {
    await log.store.appendEvent({
      instanceId: 'school',
      streamId: `course-${courseId}`,
      eventType: 'CourseDefined',
      payload: { courseId, capacity },
      tags: [`course:${courseId}`],
    });
  }
  return log;
}

const run = (log: Awaited<ReturnType<typeof school>>, command: Subscribe) =>
  decide(log, { instance: 'school', decider: subscribe, command });

describe('decide', () => {
  it('given a free seat, when a student subscribes, then the event is appended with its tags and folded into the state', async () => {
    const log = await school();
    const result = await run(log, { courseId: 'c1', studentId: 's1' });
    expect(result.events.map((e) => [e.event_type, e.stream_id, e.tags])).toEqual([
      ['StudentSubscribed', 'subscriptions-c1', ['course:c1', 'student:s1']],
    ]);
    expect(result.state).toMatchObject({ taken: 1, coursesOfStudent: 1, already: true });
    expect(result.retries).toBe(0);
    expect(result.position).toBe(3);
  });

  it('given a full course or a student at the limit, when subscribing, then the decider refuses and nothing is written', async () => {
    const log = await school();
    await run(log, { courseId: 'c1', studentId: 's1' });
    await run(log, { courseId: 'c1', studentId: 's2' });
    await expect(run(log, { courseId: 'c1', studentId: 's3' })).rejects.toThrow('Course c1 is full.');
    await run(log, { courseId: 'c2', studentId: 's1' });
    await expect(run(log, { courseId: 'c3', studentId: 's1' })).rejects.toThrow('Student s1 has 2 courses.');
    expect((await log.store.getInstanceStats('school')).eventCount).toBe(6);
  });

  it('given a repeated subscription, when decided, then no event and nothing written', async () => {
    const log = await school();
    await run(log, { courseId: 'c2', studentId: 's1' });
    const again = await run(log, { courseId: 'c2', studentId: 's1' });
    expect(again.events).toEqual([]);
    expect((await log.store.getInstanceStats('school')).eventCount).toBe(4);
  });

  it('given an event appended to the boundary between read and append, then the condition CONFLICT makes it read again', async () => {
    const log = await school();
    let interfered = false;
    const sneaky: BoundaryDecider<Seats, Subscribe, CourseEvents, CourseTag> = {
      ...subscribe,
      decide: (command, state) => {
        if (!interfered) {
          interfered = true;
          // Another process takes the last seat while we decide.
          void log.store.appendEvent({
            instanceId: 'school',
            eventType: 'StudentSubscribed',
            payload: { courseId: 'c1', studentId: 'other' },
            tags: ['course:c1', 'student:other'],
          });
        }
        return subscribe.decide(command, state);
      },
    };
    const result = await decide(log, {
      instance: 'school',
      decider: sneaky,
      command: { courseId: 'c1', studentId: 's1' },
    });
    expect(result.retries).toBe(1);
    expect(result.state.taken).toBe(2);
  });

  it('given retries exhausted, then the condition CONFLICT propagates', async () => {
    const log = await school();
    const always: BoundaryDecider<Seats, Subscribe, CourseEvents, CourseTag> = {
      ...subscribe,
      decide: (command, state) => {
        void log.store.appendEvent({
          instanceId: 'school',
          eventType: 'CourseDefined',
          payload: { courseId: 'c1', capacity: 9 },
          tags: ['course:c1'],
        });
        return subscribe.decide(command, state);
      },
    };
    const error = await decide(log, {
      instance: 'school',
      decider: always,
      command: { courseId: 'c1', studentId: 's1' },
      retry: { maxRetries: 2, initialDelayMs: 0 },
    }).catch((e: unknown) => e);
    expect(isConditionConflict(error)).toBe(true);
  });

  it('given 12 concurrent subscriptions to a course of 2 seats, then exactly 2 succeed and the course is never overbooked', async () => {
    const log = await school();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => run(log, { courseId: 'c1', studentId: `s${i}` })),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    for (const o of outcomes.filter((x) => x.status === 'rejected')) {
      expect(String((o as PromiseRejectedResult).reason)).toContain('Course c1 is full.');
    }
    const { result } = await log.store
      .queryEvents({
        from: { instance: 'school' },
        where: [
          { field: 'tags', operator: 'contains', value: 'course:c1' },
          { field: 'event_type', operator: 'eq', value: 'StudentSubscribed' },
        ],
        reduce: { type: 'count' },
      })
      .then((r) => ({ result: r }));
    expect(result.aggregation?.value).toBe(2);
  });

  it('given a missing instance and autoCreateInstance, when deciding, then the boundary is empty and the instance is created', async () => {
    const log = createEventLog<CourseEvents>({ adapter: memoryAdapter() });
    const define: BoundaryDecider<{ exists: boolean }, { courseId: string }, CourseEvents, CourseTag> = {
      boundary: ({ courseId }) => [{ types: ['CourseDefined'], tags: [`course:${courseId}`] }],
      initialState: () => ({ exists: false }),
      evolve: () => ({ exists: true }),
      decide: ({ courseId }, state) =>
        state.exists
          ? []
          : { eventType: 'CourseDefined', payload: { courseId, capacity: 3 }, tags: [`course:${courseId}`] },
    };
    const first = await decide(log, {
      instance: 'new-school',
      decider: define,
      command: { courseId: 'c9' },
      autoCreateInstance: true,
    });
    expect(first).toMatchObject({ state: { exists: true }, position: 0 });
    const second = await decide(log, {
      instance: 'new-school',
      decider: define,
      command: { courseId: 'c9' },
    });
    expect(second.events).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['an empty boundary', []],
    ['an item without types or tags', [{}]],
    ['an empty tag list', [{ tags: [] }]],
  ])(
    'given %s, when deciding, then VALIDATION_ERROR before anything is read or written',
    async (_label, boundary) => {
      const log = await school();
      const bad = { ...subscribe, boundary: () => boundary } as unknown as typeof subscribe;
      const command = { courseId: 'c1', studentId: 's1' };
      const error = await decide(log, { instance: 'school', decider: bad, command }).catch((e: unknown) => e);
      expect(EventLogError.isInstance(error) && error.code).toBe('VALIDATION_ERROR');
      expect((error as Error).message).toContain('decider.boundary(command)');
    },
  );
});

describe('readBoundary', () => {
  it('given events matching several items, then each comes once, in position order, up to the head read', async () => {
    const log = await school();
    await run(log, { courseId: 'c1', studentId: 's1' });
    const { events, position } = await readBoundary(log.store, 'school', [
      { tags: ['course:c1'] },
      { tags: ['student:s1'] },
      { types: ['CourseDefined'] },
    ]);
    expect(events.map((e) => e.global_position)).toEqual([1, 2, 3, 4]);
    expect(position).toBe(4);
  });

  it('given more matching events than a page, then every one is read', async () => {
    const log = await school();
    await log.store.appendEvents({
      instanceId: 'school',
      events: Array.from({ length: 25 }, (_, i) => ({
        eventType: 'StudentSubscribed' as const,
        payload: { courseId: 'c2', studentId: `x${i}` },
        tags: ['course:c2'],
      })),
    });
    const { events } = await readBoundary(log.store, 'school', [{ tags: ['course:c2'] }], 7);
    expect(events).toHaveLength(26);
  });
});
