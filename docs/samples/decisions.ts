import { type BoundaryDecider, decide } from '@eventlog/core';
import { openEventLog } from 'eventlog';

// #region decider
type SchoolEvents = {
  CourseDefined: { courseId: string; capacity: number };
  StudentSubscribed: { courseId: string; studentId: string };
};
type Subscribe = { courseId: string; studentId: string };
type Seats = { courseId: string; studentId: string; capacity: number; taken: number; studentCourses: number };

/** A course holds at most `capacity` students; a student takes at most 2 courses. */
const subscribe: BoundaryDecider<Seats, Subscribe, SchoolEvents> = {
  // The facts this decision depends on: the course's events and the student's subscriptions.
  boundary: ({ courseId, studentId }) => [
    { types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${courseId}`] },
    { types: ['StudentSubscribed'], tags: [`student:${studentId}`] },
  ],
  // The state of a decision is per command: it knows which course and student it counts.
  initialState: ({ courseId, studentId }) => ({
    courseId,
    studentId,
    capacity: 0,
    taken: 0,
    studentCourses: 0,
  }),
  evolve: (s, e) => {
    if (e.event_type === 'CourseDefined') return { ...s, capacity: e.payload.capacity };
    return {
      ...s,
      taken: s.taken + (e.payload.courseId === s.courseId ? 1 : 0),
      studentCourses: s.studentCourses + (e.payload.studentId === s.studentId ? 1 : 0),
    };
  },
  decide: ({ courseId, studentId }, s) => {
    if (s.taken >= s.capacity) throw new Error(`Course ${courseId} is full.`);
    if (s.studentCourses >= 2) throw new Error(`Student ${studentId} already takes 2 courses.`);
    return {
      streamId: `subscription-${studentId}-${courseId}`,
      eventType: 'StudentSubscribed',
      payload: { courseId, studentId },
      tags: [`course:${courseId}`, `student:${studentId}`],
    };
  },
};
// #endregion decider

const log = await openEventLog<SchoolEvents>();
await log.createInstance('school');

// #region define
for (const [courseId, capacity] of [
  ['math', 2],
  ['art', 3],
] as const) {
  await log.store.appendEvent({
    instanceId: 'school',
    streamId: `course-${courseId}`,
    eventType: 'CourseDefined',
    payload: { courseId, capacity },
    tags: [`course:${courseId}`],
  });
}
// #endregion define

// #region decide
for (const command of [
  { courseId: 'math', studentId: 's1' },
  { courseId: 'math', studentId: 's2' },
  { courseId: 'math', studentId: 's3' }, // math is full
  { courseId: 'art', studentId: 's1' },
  { courseId: 'art', studentId: 's1' }, // s1 already takes math and art
]) {
  try {
    const { events } = await decide(log, { instance: 'school', decider: subscribe, command });
    console.log('✓', events.map((e) => e.stream_id).join(', '));
  } catch (error) {
    console.log('✗', (error as Error).message);
  }
}
// #endregion decide

// #region condition
// What decide does for you: read up to a position, decide, append with a condition.
const head = await log.store.headPosition('school'); // "I decided on everything up to here"

// Meanwhile another writer subscribes s5 to art…
await log.store.appendEvent({
  instanceId: 'school',
  streamId: 'subscription-s5-art',
  eventType: 'StudentSubscribed',
  payload: { courseId: 'art', studentId: 's5' },
  tags: ['course:art', 'student:s5'],
});

// …so this append, which decided on what it read up to `head`, fails and writes nothing.
const res = await log.appendEvent({
  instanceId: 'school',
  streamId: 'subscription-s4-art',
  eventType: 'StudentSubscribed',
  payload: { courseId: 'art', studentId: 's4' },
  tags: ['course:art', 'student:s4'],
  condition: { failIfEventsMatch: [{ types: ['StudentSubscribed'], tags: ['course:art'] }], after: head },
});
if (!res.success) console.log(res.code, JSON.stringify(res.details));
// #endregion condition

await log.close();
