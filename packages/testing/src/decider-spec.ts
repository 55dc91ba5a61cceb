/**
 * `deciderSpec`: unit tests of deciders in the given / when / then style, without a database.
 * Given events are folded with the decider's `evolve` (upcast first, when upcasters are given),
 * the command is decided, and the produced events — or the error — are compared with vitest's
 * `expect`, so a failure shows a diff.
 */

import {
  type BoundaryDecider,
  compareCodePoints,
  compileUpcasters,
  type Decider,
  type EventMap,
  type EventRecordOf,
  type NewEventInput,
  type Upcaster,
} from '@eventlog/core';
import { expect } from 'vitest';
import { type GivenEvent, toRecords } from './given-events.js';

/** A decider of one stream (`handleCommand`) or of a boundary across streams (`decide`). */
export type AnyDecider<State, Command, E extends EventMap, Tag extends string = string> =
  | Decider<State, Command, E>
  | BoundaryDecider<State, Command, E, Tag>;

/** An expected event: its type and payload, and — when given — its stream, tags and metadata. */
export type ExpectedEvent<E extends EventMap = EventMap, Tag extends string = string> = {
  [K in keyof E & string]: NewEventInput<K, E[K], Tag>;
}[keyof E & string];

/** An expected refusal: an error like this one (class and message), a message (part or pattern), or an error class. */
export type ExpectedError = Error | string | RegExp | (abstract new (...args: never[]) => Error);

/** What a command did: the events it produced, or the error it threw. */
export type Outcome<E extends EventMap, Tag extends string = string> =
  | { events: ExpectedEvent<E, Tag>[] }
  | { error: unknown };

/** Options of {@link deciderSpec}. */
export interface DeciderSpecOptions<E extends EventMap> {
  /** Upcasters applied to the given events before `evolve` (as the log would on read). */
  upcasters?: readonly Upcaster<E>[];
  /** The stream of given events that name none. Default `"test"`. */
  streamId?: string;
}

/** The last step: assert the outcome. */
export interface DeciderSpecWhen<E extends EventMap, Tag extends string> {
  /**
   * Asserts the outcome: an array means "produced exactly these events" (`[]`: none); an Error,
   * a string, a RegExp or an error class means "refused with this error". Compares type and
   * payload of each event always, and its stream, tags and metadata when the expected event
   * names them. Throws vitest's assertion error (with a diff) on a mismatch.
   */
  then(expected: readonly ExpectedEvent<E, Tag>[] | ExpectedError): void;
  /** The state the command was decided on (the given events folded), for extra assertions. */
  readonly state: unknown;
  /** What the command did, for assertions `then` does not cover. */
  readonly outcome: Outcome<E, Tag>;
}

/** The second step: the command. */
export interface DeciderSpecGiven<Command, E extends EventMap, Tag extends string> {
  when(command: Command): DeciderSpecWhen<E, Tag>;
}

/** The first step: the history. */
export interface DeciderSpec<Command, E extends EventMap, Tag extends string> {
  /** The events already stored (in order). `given([])` or no `given` at all: a fresh stream. */
  given(events: readonly GivenEvent<E, Tag>[]): DeciderSpecGiven<Command, E, Tag>;
  when(command: Command): DeciderSpecWhen<E, Tag>;
}

function isErrorClass(value: unknown): value is abstract new (...args: never[]) => Error {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}

/** An event as compared: `eventType` and `payload` always, the rest when `like` names it. */
function comparable(event: NewEventInput, like: NewEventInput | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {
    eventType: event.eventType ?? event.event_type,
    payload: event.payload ?? {},
  };
  if (like === undefined) {
    // Unexpected extra events show everything they carry.
    for (const key of ['streamId', 'tags', 'metadata'] as const) {
      const value = key === 'streamId' ? (event.streamId ?? event.stream_id) : event[key];
      if (value !== undefined)
        out[key] = key === 'tags' ? [...(value as string[])].sort(compareCodePoints) : value;
    }
    return out;
  }
  if (like.streamId !== undefined || like.stream_id !== undefined)
    out.streamId = event.streamId ?? event.stream_id;
  if (like.tags !== undefined) out.tags = [...(event.tags ?? [])].sort(compareCodePoints);
  if (like.metadata !== undefined) out.metadata = event.metadata ?? {};
  return out;
}

function describeError(expected: ExpectedError): string {
  if (typeof expected === 'string') return JSON.stringify(expected);
  if (expected instanceof RegExp) return String(expected);
  if (isErrorClass(expected)) return expected.name;
  return `${expected.name}: ${expected.message}`;
}

/**
 * A given / when / then test of a decider, run with vitest.
 *
 * @example
 * import { deciderSpec } from '@eventlog/testing';
 *
 * it('given a full course, when a student subscribes, then it is refused', () => {
 *   deciderSpec(subscribe)
 *     .given([{ eventType: 'CourseDefined', payload: { courseId: 'c1', capacity: 1 }, tags: ['course:c1'] },
 *             { eventType: 'StudentSubscribed', payload: { courseId: 'c1', studentId: 's1' } }])
 *     .when({ courseId: 'c1', studentId: 's2' })
 *     .then(/is full/);
 * });
 *
 * it('given a cart, when an item is added, then ItemAdded', () => {
 *   deciderSpec(cart).given([]).when({ sku: 'A1' }).then([{ eventType: 'ItemAdded', payload: { sku: 'A1' } }]);
 * });
 */
export function deciderSpec<State, Command, E extends EventMap = EventMap, Tag extends string = string>(
  decider: AnyDecider<State, Command, E, Tag>,
  options: DeciderSpecOptions<E> = {},
): DeciderSpec<Command, E, Tag> {
  const { apply } = compileUpcasters([options.upcasters as readonly Upcaster[] | undefined]);
  const when =
    (history: readonly GivenEvent<E, Tag>[]) =>
    (command: Command): DeciderSpecWhen<E, Tag> => {
      const records = toRecords<E>(history as readonly GivenEvent<E, string>[], {
        streamId: options.streamId ?? 'test',
        instanceId: 'test',
      });
      const initial = (decider.initialState as (command: Command) => State)(command);
      const state = records.reduce(
        (s, record) => decider.evolve(s, apply(record) as EventRecordOf<E>),
        initial,
      );
      let outcome: Outcome<E, Tag>;
      try {
        const decided = (decider.decide as (c: Command, s: State) => unknown)(command, state);
        const events = decided === undefined ? [] : Array.isArray(decided) ? decided : [decided];
        outcome = { events: events as ExpectedEvent<E, Tag>[] };
      } catch (error) {
        outcome = { error };
      }
      return {
        state,
        outcome,
        // biome-ignore lint/suspicious/noThenProperty: `then` is the pinned name of the assertion step (SPEC §10)
        then(expected: readonly ExpectedEvent<E, Tag>[] | ExpectedError): void {
          // A step awaited by mistake (from JavaScript) is a thenable: resolve it with the outcome.
          if (typeof expected === 'function' && !isErrorClass(expected)) {
            (expected as (value: Outcome<E, Tag>) => void)(outcome);
            return;
          }
          if (Array.isArray(expected)) {
            if ('error' in outcome) {
              const error = outcome.error;
              expect.fail(
                `Expected the command to produce ${expected.length} event(s), but decide threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
              );
              return;
            }
            const wanted = expected as readonly ExpectedEvent<E, Tag>[];
            const actual = outcome.events.map((e, i) =>
              comparable(e as NewEventInput, wanted[i] as NewEventInput | undefined),
            );
            const want = wanted.map((e) => comparable(e as NewEventInput, e as NewEventInput));
            expect(actual, 'the events the command produced').toEqual(want);
            return;
          }
          const error = expected as ExpectedError;
          if (!('error' in outcome)) {
            expect(
              outcome.events.map((e) => comparable(e as NewEventInput, undefined)),
              `Expected the command to be refused with ${describeError(error)}, but it produced these events`,
            ).toEqual([]);
            // An empty decision is not a refusal either.
            expect.fail(
              `Expected the command to be refused with ${describeError(error)}, but it produced no events and threw nothing`,
            );
            return;
          }
          const thrower = () => {
            throw outcome.error;
          };
          if (typeof error === 'string' || error instanceof RegExp || isErrorClass(error)) {
            expect(thrower, 'the error the command was refused with').toThrow(error);
          } else {
            expect(thrower, 'the error the command was refused with').toThrow(error.message);
            expect((outcome.error as object | null)?.constructor, 'the class of the error').toBe(
              error.constructor,
            );
          }
        },
      };
    };
  return {
    given: (events) => ({ when: when(events) }),
    when: when([]),
  };
}
