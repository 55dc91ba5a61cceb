/**
 * `decide`: decisions whose consistency boundary spans streams (SPEC §8, §10 — the Dynamic
 * Consistency Boundary). Instead of one stream's version, the boundary is a set of items
 * (`{ types?, tags? }`): the events matching them are read and folded, the decider decides, and
 * the new events are appended with the condition "no event matching the boundary arrived after
 * what I read". A concurrent decision that touched the boundary makes the append fail with the
 * condition `CONFLICT`; `decide` then reads again and decides again, after a jittered backoff.
 */

import { type AggregateSource, type ReaderOptions, storeOf, upcastersFor } from './aggregate.js';
import { conditionMatchesEvent } from './append-plan.js';
import { EventLogError, isConditionConflict } from './errors.js';
import type { EventStore } from './event-log.js';
import type {
  Condition,
  ConditionItem,
  EventMap,
  EventRecordOf,
  NewEventInput,
  NewEventInputOf,
} from './model.js';
import { backoffDelay, type RetryOptions, resolveRetry, sleep } from './retry.js';
import { appendConditionSchema } from './validation/boundaries.js';
import { parseWith } from './validation/schema.js';

/** An event a cross-stream decider produces: an event input with its stream and tags. */
export type DecisionEvent<E extends EventMap = EventMap, Tag extends string = string> = {
  [K in keyof E & string]: NewEventInput<K, E[K], Tag>;
}[keyof E & string];

/** The boundary of a decision: events matching any item are read, folded and guarded. */
export type Boundary<E extends EventMap = EventMap, Tag extends string = string> = ConditionItem<
  keyof E & string,
  Tag
>[];

/**
 * A decider whose consistency boundary is a set of items rather than one stream.
 *
 * @example
 * const subscribe: BoundaryDecider<Seats, Subscribe, CourseEvents, CourseTag> = {
 *   boundary: (cmd) => [
 *     { types: ['CourseDefined', 'StudentSubscribed'], tags: [`course:${cmd.courseId}`] },
 *     { types: ['StudentSubscribed'], tags: [`student:${cmd.studentId}`] },
 *   ],
 *   initialState: (cmd) => ({ cmd, capacity: 0, taken: 0, studentCourses: 0 }),
 *   evolve: (s, e) => …, // s.cmd tells this course's events from the student's other courses
 *   decide: (cmd, s) => {
 *     if (s.taken >= s.capacity) throw new Error('The course is full.');
 *     return { streamId: `course-${cmd.courseId}`, eventType: 'StudentSubscribed', payload: cmd,
 *              tags: [`course:${cmd.courseId}`, `student:${cmd.studentId}`] };
 *   },
 * };
 */
export interface BoundaryDecider<State, Command, E extends EventMap = EventMap, Tag extends string = string> {
  /** The items whose events decide this command (and that no one may add to while it decides). */
  boundary: (command: Command) => Boundary<E, Tag>;
  /**
   * The state before any event of the boundary. It gets the command, so the state can hold what
   * `evolve` needs to tell the command's course from another (a decision's state is per command).
   */
  initialState: (command: Command) => State;
  /** Applies one event of the boundary, upcast to its current schema, in position order. */
  evolve: (state: State, event: EventRecordOf<E>) => State;
  /**
   * The events the command produces (each names its stream; `"default"` when it does not), or a
   * throw to refuse it.
   */
  decide: (
    command: Command,
    state: State,
  ) => DecisionEvent<E, Tag> | readonly DecisionEvent<E, Tag>[] | undefined;
}

/** Options of {@link decide}. */
export interface DecideOptions<State, Command, E extends EventMap, Tag extends string = string>
  extends ReaderOptions<E> {
  /** The instance's id or name. */
  instance: string;
  decider: BoundaryDecider<State, Command, E, Tag>;
  command: Command;
  /** Retries after a condition `CONFLICT`: count and backoff. Default {@link DEFAULT_RETRY}. */
  retry?: RetryOptions;
  /** Create the instance on the first append if it does not exist. Default false. */
  autoCreateInstance?: boolean;
  /** Events read per page. Default 1000. */
  pageSize?: number;
}

/** The outcome of {@link decide}. */
export interface DecisionResult<State, E extends EventMap> {
  /** The boundary's state after the decision (its new events folded in). */
  state: State;
  /** The events stored (none when the decider produced none). */
  events: EventRecordOf<E>[];
  /** The position the decision read up to: the condition's `after`. */
  position: number;
  /** How many times it read again after a condition `CONFLICT`. */
  retries: number;
}

/** Checks a boundary as an append condition's items are checked (`VALIDATION_ERROR` naming the spot). */
function checkBoundary(items: unknown): asserts items is Boundary {
  parseWith(appendConditionSchema, { failIfEventsMatch: items }, 'decider.boundary(command)');
}

/** The `where` of one item (its types, each of its tags), bounded by the position read up to. */
function whereOf(item: ConditionItem, head: number): Condition[] {
  const where: Condition[] = [{ field: 'global_position', operator: 'lte', value: head }];
  if (item.types !== undefined) where.push({ field: 'event_type', operator: 'in', value: item.types });
  for (const tag of item.tags ?? []) where.push({ field: 'tags', operator: 'contains', value: tag });
  return where;
}

/**
 * The events of an instance matching any item of `boundary`, in position order, up to the
 * instance's head position when the read started (returned as `position`). Events visible up to a
 * position never change later (SPEC §3), so the reads of several items form one consistent view.
 */
export async function readBoundary<E extends EventMap>(
  store: EventStore<E>,
  instance: string,
  boundary: Boundary<E, string>,
  pageSize = 1000,
): Promise<{ events: EventRecordOf<E>[]; position: number }> {
  // The instance's id once, then every read by it: a reference by name would be resolved again
  // by each read.
  let id: string;
  let head: number;
  try {
    id = (await store.getInstance(instance)).id;
    head = await store.headPosition(id);
  } catch (error) {
    if (EventLogError.isInstance(error) && error.code === 'NOT_FOUND') return { events: [], position: 0 };
    throw error;
  }
  if (head === 0) return { events: [], position: 0 };
  const limit = Math.min(pageSize, store.limits.maxQueryLimit);
  // The items' reads in parallel: each is bounded by the same head, so together they are one view.
  const pages = await Promise.all(
    boundary.map(async (item) => {
      const where = whereOf(item as ConditionItem, head);
      const found: EventRecordOf<E>[] = [];
      for (let after = 0; ; ) {
        const page = await store.readAfter({ instance: id, after, where, limit });
        found.push(...page);
        if (page.length < limit) return found;
        after = (page[page.length - 1] as EventRecordOf<E>).global_position;
      }
    }),
  );
  const byPosition = new Map<number, EventRecordOf<E>>();
  for (const page of pages) for (const event of page) byPosition.set(event.global_position, event);
  const events = [...byPosition.values()].sort((a, b) => a.global_position - b.global_position);
  return { events, position: head };
}

/**
 * Decides a command over a consistency boundary that spans streams: reads the events matching
 * `decider.boundary(command)` (upcast), folds them, calls `decider.decide`, and appends its events
 * with `condition: { failIfEventsMatch: boundary, after: <the position read up to> }`. When the
 * condition fails (someone appended to the boundary meanwhile) it waits a jittered backoff and
 * starts over, up to `retry.maxRetries` times (default 20); other errors and what `decide` throws
 * propagate. A decision with no events writes nothing.
 *
 * @example
 * const { state, events, retries } = await decide(log, {
 *   instance: 'school', decider: subscribe, command: { courseId: 'c1', studentId: 's7' },
 * });
 */
export async function decide<State, Command, E extends EventMap = EventMap, Tag extends string = string>(
  source: AggregateSource<E> | AggregateSource,
  options: DecideOptions<State, Command, E, Tag>,
): Promise<DecisionResult<State, E>> {
  const store = storeOf(source as AggregateSource<E>);
  const { decider, command, instance } = options;
  const retry = resolveRetry(options.retry);
  const upcast = upcastersFor(store, options.upcasters);
  const boundary = decider.boundary(command);
  checkBoundary(boundary);
  const condition = { items: boundary as ConditionItem[] };
  for (let attempt = 0; ; attempt++) {
    const read = await readBoundary(store, instance, boundary, options.pageSize);
    let state = decider.initialState(command);
    for (const event of read.events) state = decider.evolve(state, upcast.apply(event) as EventRecordOf<E>);
    const decided = decider.decide(command, state);
    const produced = decided === undefined ? [] : Array.isArray(decided) ? decided : [decided];
    if (produced.length === 0) return { state, events: [], position: read.position, retries: attempt };
    try {
      const { events } = await store.appendEvents({
        instanceId: instance,
        events: produced as NewEventInputOf<E>[],
        condition: { failIfEventsMatch: boundary as ConditionItem[], after: read.position },
        ...(options.autoCreateInstance ? { autoCreateInstance: true } : {}),
      } as Parameters<EventStore<E>['appendEvents']>[0]);
      for (const event of events) {
        if (conditionMatchesEvent(condition, event)) {
          state = decider.evolve(state, upcast.apply(event) as EventRecordOf<E>);
        }
      }
      return { state, events, position: read.position, retries: attempt };
    } catch (error) {
      if (!isConditionConflict(error) || attempt >= retry.maxRetries) throw error;
      await sleep(backoffDelay(attempt, retry));
    }
  }
}
