/**
 * What the instance catalog does, on any SQL database, as statement programs (see
 * `compiler/query-program.ts`): each yields the store's statements and receives their rows. The
 * driver runs them inside the transaction and lock it names (SQLite: `BEGIN IMMEDIATE`;
 * PostgreSQL: the catalog's or the instance's advisory lock).
 */

import {
  type Instance,
  type InstancePatch,
  instanceClash,
  instanceNotFound,
  type NewInstance,
  type Retention,
} from '@eventlog/core';
import type { Row, StatementProgram } from '../compiler/query-program.js';
import type { InstanceRow, StoreStatements } from './store-statements.js';

/** An instance row as the API's record (no `description` key when there is none). */
export function toInstance(row: InstanceRow): Instance {
  const instance: Instance = {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.description !== null) instance.description = row.description;
  const retention = retentionOf(row);
  if (retention !== undefined) instance.retention = retention;
  return instance;
}

/** The retention rules of an instance row, or undefined when it has none. */
export function retentionOf(row: InstanceRow): Retention | undefined {
  const maxAge = row.max_age_ms;
  const maxEvents = row.max_events;
  if ((maxAge === null || maxAge === undefined) && (maxEvents === null || maxEvents === undefined)) {
    return undefined;
  }
  const retention: Retention = {};
  if (maxAge !== null && maxAge !== undefined) retention.maxAgeMs = Number(maxAge);
  if (maxEvents !== null && maxEvents !== undefined) retention.maxEventsPerStream = Number(maxEvents);
  return retention;
}

function first(rows: readonly Row[]): InstanceRow | undefined {
  return rows[0] as InstanceRow | undefined;
}

/** Creates an instance; `ALREADY_EXISTS` when its name or id is taken (as an id or a name). */
export function* createInstanceProgram(S: StoreStatements, input: NewInstance): StatementProgram<Instance> {
  const { id, name } = input;
  const taken = (yield S.instancesUsing(name, id, name, id)) as readonly InstanceRow[];
  const clash = instanceClash(taken, { name, id }, true);
  if (clash !== undefined) throw clash;
  yield S.insertInstance(id, name, input.description ?? null, input.createdAt, input.createdAt);
  const instance: Instance = { id, name, createdAt: input.createdAt, updatedAt: input.createdAt };
  if (input.description !== undefined) instance.description = input.description;
  return instance;
}

/** Renames and/or re-describes an instance by id. */
export function* updateInstanceProgram(
  S: StoreStatements,
  id: string,
  patch: InstancePatch,
): StatementProgram<Instance> {
  const row = first(yield S.instanceById(id));
  if (row === undefined) throw instanceNotFound(id);
  const name = patch.name ?? row.name;
  if (name !== row.name) {
    const others = ((yield S.instancesUsing(name, name, name, name)) as readonly InstanceRow[]).filter(
      (other) => other.id !== row.id,
    );
    const clash = instanceClash(others, { name }, false);
    if (clash !== undefined) throw clash;
  }
  const next: InstanceRow = {
    ...row,
    name,
    description: patch.description === null ? null : (patch.description ?? row.description),
    updated_at: patch.updatedAt,
  };
  if (patch.retention !== undefined) {
    next.max_age_ms = patch.retention?.maxAgeMs ?? null;
    next.max_events = patch.retention?.maxEventsPerStream ?? null;
  }
  yield S.updateInstance(next.name, next.description, next.updated_at, next.max_age_ms, next.max_events, id);
  return toInstance(next);
}

/**
 * Deletes an instance by id with all its events. `beforeEvents` runs in the same transaction once
 * the instance is found, before its events go (an adapter drops there what would react to each
 * deleted row).
 */
export function* deleteInstanceProgram(
  S: StoreStatements,
  id: string,
  beforeEvents?: (key: string | number) => StatementProgram<void>,
): StatementProgram<{ instance: Instance; deletedEvents: number }> {
  const row = first(yield S.instanceById(id));
  if (row === undefined) throw instanceNotFound(id);
  if (beforeEvents !== undefined) yield* beforeEvents(row.key);
  yield S.deleteEventTags(row.key);
  yield S.deleteStreamFloors(row.key);
  yield S.deleteTypeCounts(row.key);
  yield S.deleteStreamCounts(row.key);
  const [deleted] = yield S.deleteEvents(row.key);
  yield S.deleteInstance(id);
  return { instance: toInstance(row), deletedEvents: Number(deleted?.changes ?? 0) };
}

/** The instance a reference means (id first, then name), if any. */
export function* resolveInstanceProgram(
  S: StoreStatements,
  ref: string,
): StatementProgram<Instance | undefined> {
  const row = first(yield S.instanceByRef(ref, ref, ref));
  return row === undefined ? undefined : toInstance(row);
}

/** Every instance, oldest first. */
export function* listInstancesProgram(S: StoreStatements): StatementProgram<Instance[]> {
  return ((yield S.listInstances()) as readonly InstanceRow[]).map(toInstance);
}
