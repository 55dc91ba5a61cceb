/**
 * The Dynamic Consistency Boundary example: courses with a capacity, students with a course limit,
 * and many subscriptions at once. No stream holds both rules — each subscription is its own stream —
 * yet concurrent decisions never overbook a course nor let a student exceed the limit: `decide`
 * appends with a condition on the tags it read, and retries when someone else got there first.
 *
 * `pnpm --filter course-subscriptions start` runs it on the embedded SQLite default; set
 * EVENTLOG_URL for another store (`memory:`, `sqlite:<path>`, `postgres://…`).
 */

import { pathToFileURL } from 'node:url';
import { decide, type EventLog } from '@eventlog/core';
import { openEventLog } from 'eventlog';
import {
  type CourseEvents,
  defineCourse,
  STUDENT_COURSE_LIMIT,
  type Subscribe,
  subscribe,
} from './courses.js';

const INSTANCE = 'school';

/** The outcome: subscriptions per course and per student, and how many decisions were retried. */
export interface Report {
  perCourse: Record<string, number>;
  perStudent: Record<string, number>;
  refused: number;
  retries: number;
}

async function count(log: EventLog<CourseEvents>, field: 'payload.courseId' | 'payload.studentId') {
  const { aggregation } = await log.store.queryEvents({
    from: { instance: INSTANCE },
    where: [{ field: 'event_type', operator: 'eq', value: 'StudentSubscribed' }],
    reduce: { type: 'count', groupBy: [field] },
  });
  return Object.fromEntries(
    (aggregation?.groups ?? []).map((g) => [String(g.key[field]), g.value as number]),
  );
}

/**
 * Runs the example on `url` (default: `EVENTLOG_URL`, else `sqlite:./eventlog.db`) and returns the
 * counts; `print` receives each line of the report.
 */
export async function main(url?: string, print: (line: string) => void = console.log): Promise<Report> {
  const log = await openEventLog<CourseEvents>(url);
  try {
    if ((await log.getInstance(INSTANCE)).success) await log.store.deleteInstance(INSTANCE);
    // Capacities chosen so that the totals do not depend on who wins which race (the invariants never do).
    const courses = { math: 3, music: 4, art: 7 };
    for (const [courseId, capacity] of Object.entries(courses)) {
      await decide(log, {
        instance: INSTANCE,
        decider: defineCourse,
        command: { courseId, capacity },
        autoCreateInstance: true,
      });
    }
    print(
      `courses: ${Object.entries(courses)
        .map(([c, n]) => `${c} (${n} seats)`)
        .join(', ')}; a student takes at most ${STUDENT_COURSE_LIMIT}`,
    );

    // 10 students each try 3 courses, all at once: 30 decisions racing on shared boundaries.
    const students = Array.from({ length: 10 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
    const commands: Subscribe[] = students.flatMap((studentId) =>
      Object.keys(courses).map((courseId) => ({ courseId, studentId })),
    );
    const outcomes = await Promise.allSettled(
      commands.map((command) => decide(log, { instance: INSTANCE, decider: subscribe, command })),
    );
    const retries = outcomes.reduce((n, o) => n + (o.status === 'fulfilled' ? o.value.retries : 0), 0);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    for (const o of refused) {
      const reason = (o as PromiseRejectedResult).reason as Error;
      if (reason.name !== 'SubscriptionError') throw reason; // anything but a business refusal is a bug
    }
    print(
      `${commands.length} concurrent subscriptions: ${commands.length - refused.length} accepted, ${refused.length} refused (full course or student limit)`,
    );

    const perCourse = await count(log, 'payload.courseId');
    const perStudent = await count(log, 'payload.studentId');
    for (const [courseId, capacity] of Object.entries(courses)) {
      const taken = perCourse[courseId] ?? 0;
      print(`  ${courseId.padEnd(5)} ${taken}/${capacity} seats taken`);
      if (taken > capacity) throw new Error(`Course ${courseId} is overbooked: ${taken} > ${capacity}.`);
    }
    const over = Object.entries(perStudent).filter(([, n]) => n > STUDENT_COURSE_LIMIT);
    if (over.length > 0) throw new Error(`Students over the limit: ${over.map(([s]) => s).join(', ')}.`);
    print(`every student takes at most ${STUDENT_COURSE_LIMIT} courses; no course is overbooked`);
    return { perCourse, perStudent, refused: refused.length, retries };
  } finally {
    await log.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
