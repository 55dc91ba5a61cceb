import { deciderSpec } from '@eventlog/testing';
import { describe, it } from 'vitest';
import { defineCourse, SubscriptionError, subscribe } from './courses.js';

const math = {
  eventType: 'CourseDefined',
  payload: { courseId: 'math', capacity: 2 },
  tags: ['course:math'],
} as const;
const subscribed = (courseId: string, studentId: string) =>
  ({
    eventType: 'StudentSubscribed',
    payload: { courseId, studentId },
    tags: [`course:${courseId}`, `student:${studentId}`],
  }) as const;

describe('defining a course', () => {
  it('given no course, when defined, then CourseDefined tagged with the course', () => {
    deciderSpec(defineCourse)
      .when({ courseId: 'math', capacity: 2 })
      .then([
        {
          streamId: 'course-math',
          eventType: 'CourseDefined',
          payload: { courseId: 'math', capacity: 2 },
          tags: ['course:math'],
        },
      ]);
  });

  it('given the course, when defined again, then refused', () => {
    deciderSpec(defineCourse).given([math]).when({ courseId: 'math', capacity: 5 }).then(SubscriptionError);
  });
});

describe('subscribing', () => {
  it('given a course with a free seat, when a student subscribes, then StudentSubscribed tagged with course and student', () => {
    deciderSpec(subscribe)
      .given([math, subscribed('math', 's1')])
      .when({ courseId: 'math', studentId: 's2' })
      .then([
        {
          streamId: 'subscription-math-s2',
          eventType: 'StudentSubscribed',
          payload: { courseId: 'math', studentId: 's2' },
          tags: ['course:math', 'student:s2'],
        },
      ]);
  });

  it('given a full course, when a student subscribes, then refused', () => {
    deciderSpec(subscribe)
      .given([math, subscribed('math', 's1'), subscribed('math', 's2')])
      .when({ courseId: 'math', studentId: 's3' })
      .then('Course math is full.');
  });

  it('given a student in two other courses, when subscribing to a third, then refused (a rule across streams)', () => {
    deciderSpec(subscribe)
      .given([math, subscribed('art', 's1'), subscribed('music', 's1')])
      .when({ courseId: 'math', studentId: 's1' })
      .then(/already takes 2 courses/);
  });

  it('given the student subscribed already, when subscribing again, then nothing happens', () => {
    deciderSpec(subscribe)
      .given([math, subscribed('math', 's1')])
      .when({ courseId: 'math', studentId: 's1' })
      .then([]);
  });

  it('given no course, when subscribing, then refused', () => {
    deciderSpec(subscribe).when({ courseId: 'math', studentId: 's1' }).then('does not exist');
  });

  it('given other courses’ subscriptions of other students, then they do not count against this course', () => {
    deciderSpec(subscribe)
      .given([math, subscribed('art', 's7'), subscribed('art', 's8'), subscribed('math', 's9')])
      .when({ courseId: 'math', studentId: 's1' })
      .then([{ eventType: 'StudentSubscribed', payload: { courseId: 'math', studentId: 's1' } }]);
  });
});
