/**
 * The "given" events of a spec: event inputs (as an application appends them) turned into the
 * records a store would return — per-stream sequence numbers, increasing positions, sorted tags —
 * without a store, so a decider's unit test runs in microseconds.
 */

import {
  compareCodePoints,
  type EventMap,
  type EventRecord,
  type EventRecordOf,
  type JsonObject,
  type NewEventInput,
} from '@eventlog/core';

/** A given event: an event input (`streamId` defaults to the spec's stream) or a stored record. */
export type GivenEvent<E extends EventMap = EventMap, Tag extends string = string> =
  | {
      [K in keyof E & string]: NewEventInput<K, E[K], Tag>;
    }[keyof E & string]
  | EventRecordOf<E>;

/** Where given events go when they name no stream, and the instance their records belong to. */
export interface GivenDefaults {
  streamId: string;
  instanceId: string;
  /** The timestamp of events that give none. Default `2024-01-01T00:00:00.000Z`. */
  timestamp?: string;
}

function isRecord(event: unknown): event is EventRecord {
  const e = event as Partial<EventRecord>;
  return (
    typeof e.global_position === 'number' && typeof e.sequence_number === 'number' && typeof e.id === 'string'
  );
}

function timestampOf(value: string | number | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError(`given: ${JSON.stringify(value)} is not a timestamp.`);
  return new Date(ms).toISOString();
}

/**
 * Turns given events into records, in order: sequence numbers count per stream from 1, positions
 * from 1 (records keep theirs), tags are sorted and `[]` dropped, as a store does.
 *
 * @throws TypeError for an event without a type or with a bad timestamp
 * @example toRecords([{ eventType: 'CourseDefined', payload: { capacity: 2 }, tags: ['course:c1'] }], defaults)
 */
export function toRecords<E extends EventMap>(
  events: readonly GivenEvent<E, string>[],
  defaults: GivenDefaults,
): EventRecordOf<E>[] {
  const sequences = new Map<string, number>();
  let position = 0;
  return events.map((event, index) => {
    if (isRecord(event)) {
      position = Math.max(position, event.global_position);
      sequences.set(event.stream_id, Math.max(sequences.get(event.stream_id) ?? 0, event.sequence_number));
      return event as EventRecordOf<E>;
    }
    const input = event as NewEventInput;
    const eventType = input.eventType ?? input.event_type;
    if (typeof eventType !== 'string') {
      throw new TypeError(`given[${index}] has no eventType.`);
    }
    const stream = input.streamId ?? input.stream_id ?? defaults.streamId;
    const sequence = (sequences.get(stream) ?? 0) + 1;
    sequences.set(stream, sequence);
    position += 1;
    const record: EventRecord = {
      id: `given-${index + 1}`,
      instanceId: defaults.instanceId,
      stream_id: stream,
      event_type: eventType,
      payload: (input.payload ?? {}) as JsonObject,
      metadata: input.metadata ?? {},
      timestamp: timestampOf(input.timestamp, defaults.timestamp ?? '2024-01-01T00:00:00.000Z'),
      sequence_number: sequence,
      global_position: position,
    };
    if (input.eventId !== undefined) record.eventId = input.eventId;
    if (input.tags !== undefined && input.tags.length > 0)
      record.tags = [...new Set(input.tags)].sort(compareCodePoints);
    return record as EventRecordOf<E>;
  });
}
