/**
 * Type tests: one event map types the whole path — appends and their conditions, `evolve`,
 * `decide` (stream and boundary deciders), upcasters and tags.
 */

import { describe, expectTypeOf, it } from 'vitest';
import type { Decider, handleCommand } from './aggregate.js';
import type { BoundaryDecider, DecisionEvent } from './decide.js';
import type { EventLog } from './event-log.js';
import type { EventRecordOf } from './model.js';
import { type Upcaster, upcastChain } from './upcast.js';

type CourseEvents = {
  CourseDefined: { courseId: string; capacity: number };
  StudentSubscribed: { courseId: string; studentId: string };
};
type CourseTag = `course:${string}` | `student:${string}`;

describe('an event map types', () => {
  it('evolve: the event is a union discriminated by event_type, each with its payload', () => {
    const decider: Decider<number, 'inc', CourseEvents> = {
      initialState: () => 0,
      evolve: (state, event) => {
        if (event.event_type === 'CourseDefined') {
          expectTypeOf(event.payload).toEqualTypeOf<{ courseId: string; capacity: number }>();
          return state + event.payload.capacity;
        }
        expectTypeOf(event.payload).toEqualTypeOf<{ courseId: string; studentId: string }>();
        return state;
      },
      decide: () => ({ eventType: 'CourseDefined', payload: { courseId: 'c', capacity: 1 } }),
    };
    expectTypeOf(decider.evolve).parameter(1).toEqualTypeOf<EventRecordOf<CourseEvents>>();
  });

  it('decide: a produced event must be a type of the map with its payload', () => {
    const ok: Decider<number, 'inc', CourseEvents>['decide'] = () => ({
      eventType: 'StudentSubscribed',
      payload: { courseId: 'c', studentId: 's' },
    });
    // @ts-expect-error — an unknown event type
    const unknownType: Decider<number, 'inc', CourseEvents>['decide'] = () => ({
      eventType: 'Nope',
      payload: {},
    });
    // @ts-expect-error — the payload of another type
    const wrongPayload: Decider<number, 'inc', CourseEvents>['decide'] = () => ({
      eventType: 'CourseDefined',
      payload: { courseId: 'c', studentId: 's' },
    });
    void [ok, unknownType, wrongPayload];
  });

  it('decide across streams: boundary items name types of the map and tags of the tag type', () => {
    const subscribe: BoundaryDecider<number, { c: string }, CourseEvents, CourseTag> = {
      boundary: ({ c }) => [{ types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${c}`] }],
      initialState: (command) => {
        expectTypeOf(command).toEqualTypeOf<{ c: string }>();
        return 0;
      },
      evolve: (s) => s,
      decide: ({ c }) => ({
        streamId: `course-${c}`,
        eventType: 'StudentSubscribed',
        payload: { courseId: c, studentId: 's' },
        tags: [`course:${c}`, 'student:s'],
      }),
    };
    // @ts-expect-error — a type the map does not have
    const badType: typeof subscribe.boundary = () => [{ types: ['CourseRenamed'] }];
    // @ts-expect-error — a tag outside the tag type
    const badTag: typeof subscribe.boundary = () => [{ tags: ['room:r1'] }];
    const badEvent: DecisionEvent<CourseEvents, CourseTag> = {
      eventType: 'CourseDefined',
      payload: { courseId: 'c', capacity: 1 },
      // @ts-expect-error — produced events carry tags of the tag type only
      tags: ['room:r1'],
    };
    void [subscribe, badType, badTag, badEvent];
  });

  it('appends: event types, payloads and condition types of a typed log', () => {
    const log = {} as EventLog<CourseEvents>;
    expectTypeOf(log.appendEvent)
      .parameter(0)
      .toMatchTypeOf<{ instanceId: string; eventType?: 'CourseDefined' | 'StudentSubscribed' }>();
    const append = (p: Parameters<typeof log.appendEvents>[0]) => p;
    append({
      instanceId: 'school',
      events: [{ eventType: 'CourseDefined', payload: { courseId: 'c1', capacity: 2 }, tags: ['course:c1'] }],
      condition: { failIfEventsMatch: [{ types: ['CourseDefined'], tags: ['course:c1'] }], after: 3 },
      expectedVersions: { 'course-c1': 'no_stream' },
    });
    append({
      instanceId: 'school',
      events: [{ eventType: 'CourseDefined', payload: { courseId: 'c1', capacity: 2 } }],
      // @ts-expect-error — the condition names a type the map does not have
      condition: { failIfEventsMatch: [{ types: ['CourseRenamed'] }] },
    });
  });

  it('helpers: an untyped log takes the decider’s map; a log of another map is refused', () => {
    type Other = { Unrelated: { x: number } };
    const decider = {} as Decider<number, null, CourseEvents>;
    const run = (source: Parameters<typeof handleCommand<number, null, CourseEvents>>[0]) => source;
    run({} as EventLog);
    run({} as EventLog<CourseEvents>);
    // @ts-expect-error — a log typed with another event map
    run({} as EventLog<Other>);
    void decider;
  });

  it('upcasters: the event type is a type of the map; a chain must end in the current payload', () => {
    const step: Upcaster<CourseEvents> = {
      eventType: 'CourseDefined',
      fromVersion: 1,
      upcast: (p) => ({ ...p, capacity: 30 }),
    };
    // @ts-expect-error — an event type the map does not have
    const unknown: Upcaster<CourseEvents> = { eventType: 'CourseRenamed', fromVersion: 1, upcast: (p) => p };
    const chain = upcastChain<CourseEvents, 'CourseDefined'>('CourseDefined', [
      (v1: { id: string }) => ({ courseId: v1.id }),
      (v2: { courseId: string }) => ({ courseId: v2.courseId, capacity: 30 }),
    ]);
    // @ts-expect-error — the last step does not produce today's payload (capacity is missing)
    const broken = upcastChain<CourseEvents, 'CourseDefined'>('CourseDefined', [
      (v1: { id: string }) => ({ courseId: v1.id }),
    ]);
    expectTypeOf(chain).toEqualTypeOf<Upcaster<CourseEvents>[]>();
    void [step, unknown, broken];
  });
});
