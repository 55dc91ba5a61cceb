/**
 * `select` projection, and the deep copies that keep stored events out of callers' hands.
 */

import type { EventRecord, JsonObject, JsonValue } from '../model.js';
import type { FieldNode } from './ast.js';
import { lookupField, MISSING } from './values.js';

/**
 * Sets an own enumerable property, also for the key `__proto__` (which a plain assignment would
 * turn into a prototype change; JSON payloads may legitimately hold such a key).
 */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * A deep copy of a JSON value. Faster than `structuredClone` for the small documents events hold,
 * and safe for `__proto__` keys.
 *
 * @example
 * const copy = copyJson(event.payload); // mutating copy never changes event.payload
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i] as JsonValue);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, copyJson((value as JsonObject)[key] as JsonValue));
  return out as T;
}

/**
 * A deep copy of an event record: the caller may mutate it without touching the store. `eventId`
 * is present only when the record has one.
 */
export function copyEvent(record: EventRecord): EventRecord {
  const out: EventRecord = {
    id: record.id,
    instanceId: record.instanceId,
    stream_id: record.stream_id,
    event_type: record.event_type,
    payload: copyJson(record.payload),
    metadata: copyJson(record.metadata),
    timestamp: record.timestamp,
    sequence_number: record.sequence_number,
    global_position: record.global_position,
  };
  if (record.eventId !== undefined) out.eventId = record.eventId;
  if (record.tags !== undefined) out.tags = record.tags.slice();
  return out;
}

/**
 * Projects an event onto the selected fields, nested as stored: `payload.user.id` gives
 * `{ payload: { user: { id } } }`.
 *
 * - A selected path that is missing is left out (no key is created for it).
 * - Overlapping selections merge (`payload.a` and `payload.a.b` give the whole `payload.a`;
 *   `payload.a.b` and `payload.a.c` give both).
 * - Index segments produce arrays: `payload.items.1` gives `{ payload: { items: [null, <value>] } }`;
 *   positions not selected before the highest selected index are `null`.
 * - The result is a deep copy: it shares no object with `record`.
 *
 * @example
 * projectEvent(event, [fieldNode('event_type'), fieldNode('payload', ['user', 'id'])]);
 * // { event_type: 'UserLoggedIn', payload: { user: { id: 'u1' } } }
 */
export function projectEvent(record: EventRecord, select: readonly FieldNode[]): Partial<EventRecord> {
  const out: Record<string, unknown> = {};
  const source = record as unknown as Readonly<Record<string, unknown>>;
  for (const field of select) {
    const value = lookupField(source, field);
    if (value === MISSING) continue;
    const path = field.path;
    if (path.length === 0) {
      out[field.column] = copyJson(value);
      continue;
    }
    // Walk (creating as needed) the containers down to the parent of the last segment. A present
    // value implies the stored containers have the kinds the segments ask for, so an existing
    // value of another kind can only be a `null` filler of an array and is replaced.
    let parent: Record<string, unknown> | unknown[] = out;
    let key: string | number = field.column;
    for (const next of path) {
      // Own properties only: `parent.__proto__` must never lead into Object.prototype.
      let child: unknown = Object.hasOwn(parent, key)
        ? (parent as Record<string | number, unknown>)[key]
        : undefined;
      const wantArray = typeof next === 'number';
      if (child === null || typeof child !== 'object' || Array.isArray(child) !== wantArray) {
        child = wantArray ? [] : {};
        assign(parent, key, child);
      }
      parent = child as Record<string, unknown> | unknown[];
      key = next;
    }
    assign(parent, key, copyJson(value));
  }
  return out as Partial<EventRecord>;
}

function assign(parent: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (typeof key === 'number') {
    const array = parent as unknown[];
    for (let i = array.length; i < key; i++) array.push(null);
    array[key] = value;
  } else {
    setOwn(parent as Record<string, unknown>, key, value);
  }
}
