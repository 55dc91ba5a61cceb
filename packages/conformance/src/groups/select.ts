/**
 * `select` (SPEC §4): only the selected fields, nested as stored, missing paths left out, aliases
 * returned under canonical names.
 */

import type { Condition, Query } from '@eventlog/core';
import { beforeAll, expect, test } from 'vitest';
import { type ContextHolder, expectOk, useContext } from '../context.js';
import { FILTER_EVENTS, type Fixture, seedFixture } from '../fixtures.js';

const only = (...labelsIn: string[]): Condition[] => [
  { field: 'payload.label', operator: 'in', value: labelsIn },
];

/** Registers the `select` group. */
export function registerSelectTests(holder: ContextHolder): void {
  let fixture: Fixture | undefined;
  beforeAll(async () => {
    fixture = await seedFixture(useContext(holder), 'select', FILTER_EVENTS);
  });

  const run = async (query: Omit<Query, 'from'>) => {
    const ctx = useContext(holder);
    return expectOk(await ctx.log.queryEvents({ from: { instance: fixture!.instance.id }, ...query })).result;
  };

  test('given select of a column and a nested path, then each event holds only those, nested as stored, missing paths left out', async () => {
    const result = await run({ select: ['event_type', 'payload.nested.x'] });
    expect(result.events).toEqual([
      { event_type: 'login', payload: { nested: { x: 1 } } },
      { event_type: 'logout', payload: { nested: { x: 2 } } },
      { event_type: 'login', payload: { nested: { x: null } } },
      { event_type: 'view' },
      { event_type: 'view' },
      { event_type: 'purchase', payload: { nested: { x: 1 } } },
      { event_type: 'view' },
      { event_type: 'view' },
      { event_type: 'login' },
      { event_type: 'Login' },
    ]);
    expect(result.total).toBe(10);
  });

  test('given select of an array index, then the array is rebuilt with null before the index', async () => {
    const result = await run({ select: ['payload.tags.1'], where: only('e1', 'e2', 'e3') });
    expect(result.events).toEqual([
      { payload: { tags: [null, 'b'] } },
      {},
      { payload: { tags: [null, 'a'] } },
    ]);
  });

  test('given select of aliases, then results use the canonical names', async () => {
    const result = await run({ select: ['streamId', 'sequenceNumber', 'eventType'], where: only('e6') });
    expect(result.events).toEqual([{ stream_id: 's1', sequence_number: 3, event_type: 'purchase' }]);
  });

  test('given select of a path holding an array, an object or nothing, then the value is returned whole or left out', async () => {
    const result = await run({ select: ['payload.v'], where: only('e5', 'e7', 'e8') });
    expect(result.events).toEqual([{}, { payload: { v: [1] } }, { payload: { v: { a: 1 } } }]);
  });

  test('given select of payload, then the whole payload is returned', async () => {
    const result = await run({ select: ['payload'], where: only('e1') });
    expect(result.events).toEqual([{ payload: FILTER_EVENTS[0]?.payload }]);
  });

  test('given select of two paths under one parent and a metadata path with a dash, then they merge', async () => {
    const result = await run({
      select: ['payload.nested.x', 'payload.nested.y', 'metadata.x-request-id', 'payload.label'],
      where: only('e1', 'e6'),
    });
    expect(result.events).toEqual([
      { payload: { nested: { x: 1 }, label: 'e1' }, metadata: { 'x-request-id': 'r1' } },
      { payload: { nested: { x: 1, y: 'deep' }, label: 'e6' } },
    ]);
  });

  test('given select of top-level columns, then they carry the stored values', async () => {
    const f = fixture!;
    const result = await run({
      select: ['id', 'instanceId', 'timestamp', 'global_position', 'metadata'],
      where: only('e2'),
    });
    const e2 = f.byLabel.get('e2')!;
    expect(result.events).toEqual([
      {
        id: e2.id,
        instanceId: f.instance.id,
        timestamp: '2024-01-15T12:00:00.000Z',
        global_position: e2.global_position,
        metadata: { source: 'cli' },
      },
    ]);
  });

  test('given select with orderBy and limit on fields not selected, then ordering and paging still apply', async () => {
    const f = fixture!;
    const result = await run({
      select: ['id'],
      orderBy: { field: 'timestamp', direction: 'desc' },
      limit: 3,
    });
    expect(result.events).toEqual(['e10', 'e9', 'e8'].map((l) => ({ id: f.byLabel.get(l)!.id })));
    expect(result.total).toBe(10);
  });
}
