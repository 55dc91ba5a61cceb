/**
 * Stream lifecycle and retention on any SQL database (SPEC §9), as statement programs the driver
 * runs in a write transaction holding the instance's lock: deleting or truncating a stream (its
 * version kept in `stream_floors`, the removal recorded as a `$system` event), pruning expired
 * events in bounded batches, and the visibility of events under an instance's retention rules.
 */

import {
  instanceNotFound,
  MIN_TIMESTAMP_MS,
  newEventRecord,
  type Retention,
  type StreamRemoval,
  type StreamRemovalOutcome,
  versionConflict,
} from '@eventlog/core';
import type { Visibility } from '../compiler/query-compiler.js';
import type { Row, StatementProgram } from '../compiler/query-program.js';
import { retentionOf } from './instance-programs.js';
import type { InstanceRow, StoreStatements } from './store-statements.js';

/** The SYSTEM stream, where removals are recorded. */
export const SYSTEM_STREAM = '$system';

/**
 * The events visible under `retention` at `now` (epoch ms): those at most `maxAgeMs` old, and the
 * newest `maxEventsPerStream` of each stream.
 */
export function visibilityAt(retention: Retention | undefined, now: number): Visibility | undefined {
  if (retention === undefined) return undefined;
  const visibility: { minTimestamp?: string; maxEventsPerStream?: number } = {};
  if (retention.maxAgeMs !== undefined) {
    const cutoff = now - retention.maxAgeMs;
    // Before year 0001 no event can be older: the rule hides nothing.
    if (cutoff > MIN_TIMESTAMP_MS) visibility.minTimestamp = new Date(cutoff).toISOString();
  }
  if (retention.maxEventsPerStream !== undefined)
    visibility.maxEventsPerStream = retention.maxEventsPerStream;
  return visibility.minTimestamp === undefined && visibility.maxEventsPerStream === undefined
    ? undefined
    : visibility;
}

/** A stream's version: its last sequence number, or the floor a removal kept (0 when none). */
export function* streamVersionProgram(
  S: StoreStatements,
  key: string | number,
  streamId: string,
): StatementProgram<number> {
  const [row] = yield S.streamVersion(key, streamId, key, streamId);
  return Number(row?.version ?? 0);
}

/** Whether the stream holds an event (the instance's stream count counts those streams). */
export function* streamHoldsEventsProgram(
  S: StoreStatements,
  key: string | number,
  streamId: string,
): StatementProgram<boolean> {
  return ((yield S.streamHoldsEvents(key, streamId)) as readonly Row[]).length > 0;
}

/** After a removal: lowers the instance's stream count by the streams of `streams` left empty. */
function* countEmptiedStreams(
  S: StoreStatements,
  key: string | number,
  streams: Iterable<string>,
): StatementProgram<void> {
  let emptied = 0;
  for (const streamId of streams) if (!(yield* streamHoldsEventsProgram(S, key, streamId))) emptied++;
  if (emptied > 0) yield S.countStreams(key, -emptied);
}

/** Deletes or truncates a stream (see core's `StreamRemoval`). */
export function* removeStreamProgram(
  S: StoreStatements,
  removal: StreamRemoval,
): StatementProgram<StreamRemovalOutcome> {
  const [row] = (yield S.instanceById(removal.instanceId)) as readonly InstanceRow[];
  if (row === undefined) throw instanceNotFound(removal.instanceId);
  const { key } = row;
  const { streamId } = removal;
  const version = yield* streamVersionProgram(S, key, streamId);
  const expected = removal.expectedVersion;
  if (expected !== undefined) {
    const { check, raw } = expected;
    const ok =
      check.kind === 'any' ||
      (check.kind === 'exists' && version > 0) ||
      (check.kind === 'exact' && version === check.version);
    if (!ok) throw versionConflict({ streamId, expectedVersion: raw, actualVersion: version });
  }
  // Everything below `before` (truncation), or the whole stream (deletion).
  const before = removal.before ?? Number.MAX_SAFE_INTEGER;
  for (const { t, n } of yield S.typesInStream(key, streamId, before))
    yield S.countEvents(key, t, -Number(n));
  yield S.deleteStreamTags(key, key, streamId, before);
  const [deleted] = yield S.deleteStreamEvents(key, streamId, before);
  const deletedEvents = Number(deleted?.changes ?? 0);
  if (deletedEvents > 0) yield* countEmptiedStreams(S, key, [streamId]);
  if (version > 0) yield S.keepStreamVersion(key, streamId, version);

  const record = removal.record;
  const payload = { ...record.payload, deletedEvents };
  const sequence = (yield* streamVersionProgram(S, key, record.streamId)) + 1;
  const recordStreamIsNew = !(yield* streamHoldsEventsProgram(S, key, record.streamId));
  const [inserted] = yield S.insertSystemEvent(
    key,
    record.streamId,
    sequence,
    record.eventType,
    record.id,
    record.timestamp,
    JSON.stringify(payload),
  );
  yield S.countEvents(key, record.eventType, 1);
  if (recordStreamIsNew) yield S.countStreams(key, 1);
  const event = newEventRecord({ ...record, payload }, row.id, sequence, Number(inserted?.global_position));
  return { deletedEvents, version, event };
}

/** Removes up to `limit` events expired at `now` from one instance; returns how many. */
export function* pruneBatchProgram(
  S: StoreStatements,
  row: InstanceRow,
  now: number,
  limit: number,
): StatementProgram<number> {
  const visibility = visibilityAt(retentionOf(row), now);
  if (visibility === undefined) return 0;
  const found: Row[] = [];
  if (visibility.minTimestamp !== undefined) {
    found.push(...(yield S.expiredByAge(row.key, visibility.minTimestamp, limit)));
  }
  if (found.length < limit && visibility.maxEventsPerStream !== undefined) {
    found.push(...(yield S.expiredByCount(row.key, visibility.maxEventsPerStream, limit - found.length)));
  }
  if (found.length === 0) return 0;
  const positions = [...new Set(found.map((r) => Number(r.p)))];
  return yield* removeAtProgram(S, row.key, positions, new Set(found.map((r) => r.s as string)));
}

/**
 * Removes an instance's events at `positions` (of the given streams), with their tags and counts
 * (by type, and of streams left empty), keeping each stream's version so a stream emptied this way
 * continues from where it was.
 */
export function* removeAtProgram(
  S: StoreStatements,
  key: string | number,
  positions: readonly number[],
  streams: Iterable<string>,
): StatementProgram<number> {
  const affected = [...streams];
  for (const streamId of affected) {
    const version = yield* streamVersionProgram(S, key, streamId);
    if (version > 0) yield S.keepStreamVersion(key, streamId, version);
  }
  const list = JSON.stringify(positions);
  for (const { t, n } of yield S.typesAt(key, list)) yield S.countEvents(key, t, -Number(n));
  yield S.deleteTagsAt(key, list);
  const [deleted] = yield S.deleteEventsAt(key, list);
  yield* countEmptiedStreams(S, key, affected);
  return Number(deleted?.changes ?? 0);
}
