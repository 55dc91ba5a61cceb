/**
 * The `tags` field (SPEC §8) in the DSL: an array of strings, or missing, with the DSL's array
 * semantics. The evaluator is the oracle the adapters are compared with.
 */

import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { EventRecord, Query } from '../model.js';
import { evaluateQuery } from './evaluate.js';
import { parseField, parseQuery } from './parse.js';
import { copyEvent, projectEvent } from './select.js';

function ev(position: number, tags?: string[]): EventRecord {
  const record: EventRecord = {
    id: `e${position}`,
    instanceId: 'i',
    stream_id: 's',
    event_type: 'T',
    payload: { n: position },
    metadata: {},
    timestamp: '2024-01-01T00:00:00.000Z',
    sequence_number: position,
    global_position: position,
  };
  if (tags !== undefined) record.tags = tags;
  return record;
}

const EVENTS = [ev(1, ['course:c1', 'student:s1']), ev(2), ev(3, ['course:c2']), ev(4, ['course:c1'])];

function run(query: Omit<Query, 'from'>) {
  return evaluateQuery(EVENTS, parseQuery({ from: { instance: 'i' }, ...query }), DEFAULT_LIMITS);
}

const ids = (query: Omit<Query, 'from'>) => (run(query).events ?? []).map((e) => e.id);

describe('the tags field', () => {
  it('given contains, then events holding the tag match', () => {
    expect(ids({ where: [{ field: 'tags', operator: 'contains', value: 'course:c1' }] })).toEqual([
      'e1',
      'e4',
    ]);
  });

  it('given contains with a substring of a tag, then nothing matches (elements, not text)', () => {
    expect(ids({ where: [{ field: 'tags', operator: 'contains', value: 'course' }] })).toEqual([]);
  });

  it('given two contains conditions, then events holding both tags match', () => {
    expect(
      ids({
        where: [
          { field: 'tags', operator: 'contains', value: 'course:c1' },
          { field: 'tags', operator: 'contains', value: 'student:s1' },
        ],
      }),
    ).toEqual(['e1']);
  });

  it('given eq, in or an ordering with a tag, then nothing matches; neq matches everything', () => {
    expect(ids({ where: [{ field: 'tags', operator: 'eq', value: 'course:c2' }] })).toEqual([]);
    expect(ids({ where: [{ field: 'tags', operator: 'in', value: ['course:c2'] }] })).toEqual([]);
    expect(ids({ where: [{ field: 'tags', operator: 'gte', value: 'a' }] })).toEqual([]);
    expect(ids({ where: [{ field: 'tags', operator: 'neq', value: 'course:c2' }] })).toEqual([
      'e1',
      'e2',
      'e3',
      'e4',
    ]);
  });

  it('given exists, then it tells events with tags from events without', () => {
    expect(ids({ where: [{ field: 'tags', operator: 'exists', value: true }] })).toEqual(['e1', 'e3', 'e4']);
    expect(ids({ where: [{ field: 'tags', operator: 'exists', value: false }] })).toEqual(['e2']);
  });

  it('given select, orderBy, groupBy and collect on tags, then the arrays behave as any JSON array', () => {
    expect(run({ select: ['tags'], limit: 2 }).events).toEqual([{ tags: ['course:c1', 'student:s1'] }, {}]);
    expect(ids({ orderBy: { field: 'tags', direction: 'desc' } })).toEqual(['e1', 'e3', 'e4', 'e2']);
    expect(run({ reduce: { type: 'count', groupBy: ['tags'] } }).aggregation?.groups).toEqual([
      { key: { tags: null }, value: 1 },
      // Arrays are equal in the total order; ties sort by canonical JSON text.
      { key: { tags: ['course:c1', 'student:s1'] }, value: 1 },
      { key: { tags: ['course:c1'] }, value: 1 },
      { key: { tags: ['course:c2'] }, value: 1 },
    ]);
    expect(run({ reduce: { type: 'count', field: 'tags' } }).aggregation?.value).toBe(3);
  });

  it('given a path below tags, then VALIDATION_ERROR: tags has no nested fields', () => {
    let error: unknown;
    try {
      parseField('tags.0', 'where[0].field');
    } catch (e) {
      error = e;
    }
    expect(EventLogError.isInstance(error) && error.message).toMatch(
      /below tags, which has no nested fields/,
    );
  });

  it('given a record with tags, then copies and projections never share the array', () => {
    const original = EVENTS[0] as EventRecord;
    const copy = copyEvent(original);
    copy.tags?.push('x');
    expect(original.tags).toEqual(['course:c1', 'student:s1']);
    const projected = projectEvent(original, [parseField('tags', 's')]);
    projected.tags?.push('y');
    expect(original.tags).toHaveLength(2);
    expect('tags' in copyEvent(ev(9))).toBe(false);
  });
});
