/**
 * Courses and subscriptions, decided across streams (the Dynamic Consistency Boundary pattern):
 * a course holds at most `capacity` students and a student takes at most `STUDENT_COURSE_LIMIT`
 * courses. Each subscription is its own stream; the rules span the course's subscriptions and the
 * student's, so the boundary of a decision is a set of tags, not a stream.
 */

import type { BoundaryDecider } from '@eventlog/core';

/** The events, by type. */
export type CourseEvents = {
  CourseDefined: { courseId: string; capacity: number };
  StudentSubscribed: { courseId: string; studentId: string };
};

/** The tags events carry: which course, which student. */
export type CourseTag = `course:${string}` | `student:${string}`;

/** A student takes at most this many courses. */
export const STUDENT_COURSE_LIMIT = 2;

/** A refused command. */
export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
}

// --- define a course -------------------------------------------------------------------------

export type DefineCourse = { courseId: string; capacity: number };

/** Defines a course once: the boundary is the course's definition. */
export const defineCourse: BoundaryDecider<{ exists: boolean }, DefineCourse, CourseEvents, CourseTag> = {
  boundary: ({ courseId }) => [{ types: ['CourseDefined'], tags: [`course:${courseId}`] }],
  initialState: () => ({ exists: false }),
  evolve: () => ({ exists: true }),
  decide: ({ courseId, capacity }, state) => {
    if (state.exists) throw new SubscriptionError(`Course ${courseId} exists already.`);
    return {
      streamId: `course-${courseId}`,
      eventType: 'CourseDefined',
      payload: { courseId, capacity },
      tags: [`course:${courseId}`],
    };
  },
};

// --- subscribe a student ---------------------------------------------------------------------

export type Subscribe = { courseId: string; studentId: string };

/** What a subscription is decided on. */
export interface Seats {
  command: Subscribe;
  capacity: number | null;
  taken: number;
  coursesOfStudent: number;
  subscribed: boolean;
}

/**
 * Subscribes a student: the boundary is the course (its definition and subscriptions) and the
 * student's subscriptions. A subscription by anyone else to this course, or by this student to any
 * course, between our read and our append fails the append's condition, and `decide` decides again.
 */
export const subscribe: BoundaryDecider<Seats, Subscribe, CourseEvents, CourseTag> = {
  boundary: ({ courseId, studentId }) => [
    { types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${courseId}`] },
    { types: ['StudentSubscribed'], tags: [`student:${studentId}`] },
  ],
  initialState: (command) => ({ command, capacity: null, taken: 0, coursesOfStudent: 0, subscribed: false }),
  evolve: (state, event) => {
    if (event.event_type === 'CourseDefined') return { ...state, capacity: event.payload.capacity };
    const here = event.payload.courseId === state.command.courseId;
    const mine = event.payload.studentId === state.command.studentId;
    return {
      ...state,
      taken: state.taken + (here ? 1 : 0),
      coursesOfStudent: state.coursesOfStudent + (mine ? 1 : 0),
      subscribed: state.subscribed || (here && mine),
    };
  },
  decide: ({ courseId, studentId }, state) => {
    if (state.capacity === null) throw new SubscriptionError(`Course ${courseId} does not exist.`);
    if (state.subscribed) return []; // subscribing twice changes nothing
    if (state.taken >= state.capacity) throw new SubscriptionError(`Course ${courseId} is full.`);
    if (state.coursesOfStudent >= STUDENT_COURSE_LIMIT) {
      throw new SubscriptionError(`Student ${studentId} already takes ${STUDENT_COURSE_LIMIT} courses.`);
    }
    return {
      streamId: `subscription-${courseId}-${studentId}`,
      eventType: 'StudentSubscribed',
      payload: { courseId, studentId },
      tags: [`course:${courseId}`, `student:${studentId}`],
    };
  },
};
