/**
 * The records the log writes about itself (SPEC §9): reserved names, the `$system` stream, and
 * typed readers of its events for subscribers and projections.
 */

import type { EventRecord, JsonObject } from './model.js';

/** Stream ids and event types starting with this are reserved: user appends of them are refused. */
export const RESERVED_PREFIX = '$';

/** The stream where the log records deletions, truncations and erasures. */
export const SYSTEM_STREAM = '$system';

/** The type of the event recording a `deleteStream`: payload `{ streamId, deletedEvents }`. */
export const STREAM_DELETED = '$stream.deleted';

/** The type of the event recording a `truncateStream`: payload `{ streamId, before, deletedEvents }`. */
export const STREAM_TRUNCATED = '$stream.truncated';

/** The type of the event recording a `forgetSubject`: payload `{ subjectId }`. */
export const SUBJECT_FORGOTTEN = '$subject.forgotten';

/** True when a stream id or event type is reserved for the log's own records (starts with `$`). */
export function isReservedName(name: string): boolean {
  return name.startsWith(RESERVED_PREFIX);
}

/** What a `$stream.deleted` or `$stream.truncated` event says. */
export interface StreamRemovalInfo {
  kind: 'deleted' | 'truncated';
  /** The stream whose events were removed. */
  streamId: string;
  /** For truncations: events with `sequence_number < before` were removed. */
  before?: number;
  deletedEvents: number;
  /** The `$system` event itself (its position orders the removal among other events). */
  event: EventRecord;
}

/**
 * Reads a `$stream.deleted` / `$stream.truncated` event; undefined for any other event.
 *
 * @example
 * liveEvents(log, { instance: 'orders' }).subscribe((event) => {
 *   const removal = streamRemovalOf(event);
 *   if (removal?.kind === 'deleted') readModel.forget(removal.streamId);
 * });
 */
export function streamRemovalOf(event: EventRecord): StreamRemovalInfo | undefined {
  if (event.stream_id !== SYSTEM_STREAM) return undefined;
  const kind =
    event.event_type === STREAM_DELETED
      ? 'deleted'
      : event.event_type === STREAM_TRUNCATED
        ? 'truncated'
        : undefined;
  if (kind === undefined) return undefined;
  const payload = event.payload as JsonObject;
  const streamId = payload.streamId;
  if (typeof streamId !== 'string') return undefined;
  const info: StreamRemovalInfo = {
    kind,
    streamId,
    deletedEvents: typeof payload.deletedEvents === 'number' ? payload.deletedEvents : 0,
    event,
  };
  if (typeof payload.before === 'number') info.before = payload.before;
  return info;
}

/** True for the log's own records (events of the `$system` stream). */
export function isSystemEvent(event: Pick<EventRecord, 'stream_id'>): boolean {
  return event.stream_id === SYSTEM_STREAM;
}
