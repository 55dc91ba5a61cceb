import { describe, expect, it } from 'vitest';
import type { AppendRequest, NewEvent } from './adapter.js';
import {
  conditionMatchesEvent,
  firstConditionMatch,
  isUnconditionalAppend,
  itemMatchesEvent,
  planAppend,
  versionChecksOf,
} from './append-plan.js';
import { EventLogError, isConditionConflict } from './errors.js';
import type { EventRecord } from './model.js';

const T = '2024-01-01T00:00:00.000Z';

function newEvent(streamId: string, eventType = 'e', extra: Partial<NewEvent> = {}): NewEvent {
  return {
    id: `id-${streamId}-${eventType}`,
    streamId,
    eventType,
    payload: {},
    metadata: {},
    timestamp: T,
    ...extra,
  };
}

function record(
  position: number,
  eventType: string,
  tags?: string[],
  extra: Partial<EventRecord> = {},
): EventRecord {
  const r: EventRecord = {
    id: `r${position}`,
    instanceId: 'i',
    stream_id: 's',
    event_type: eventType,
    payload: {},
    metadata: {},
    timestamp: T,
    sequence_number: position,
    global_position: position,
    ...extra,
  };
  if (tags !== undefined) r.tags = tags;
  return r;
}

function request(events: NewEvent[], extra: Partial<AppendRequest> = {}): AppendRequest {
  return { instance: 'i', autoCreate: false, now: T, events, ...extra };
}

function thrown(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

const NONE = new Map<string, EventRecord>();

describe('itemMatchesEvent / conditionMatchesEvent', () => {
  it.each<[string, { types?: string[]; tags?: string[] }, boolean]>([
    ['its type', { types: ['Subscribed', 'Other'] }, true],
    ['another type', { types: ['Other'] }, false],
    ['one of its tags', { tags: ['course:c1'] }, true],
    ['all of its tags', { tags: ['student:s1', 'course:c1'] }, true],
    ['a tag it lacks', { tags: ['course:c1', 'course:c2'] }, false],
    ['its type and tag', { types: ['Subscribed'], tags: ['course:c1'] }, true],
    ['its type but not its tag', { types: ['Subscribed'], tags: ['course:c9'] }, false],
    ['its tag but not its type', { types: ['Other'], tags: ['course:c1'] }, false],
  ])('given an item naming %s, then a stored and a new event match: %s', (_label, item, expected) => {
    const stored = record(1, 'Subscribed', ['course:c1', 'student:s1']);
    const fresh = newEvent('s', 'Subscribed', { tags: ['course:c1', 'student:s1'] });
    expect(itemMatchesEvent(item, stored)).toBe(expected);
    expect(itemMatchesEvent(item, fresh)).toBe(expected);
  });

  it('given an event without tags, then only items without tags can match it', () => {
    expect(itemMatchesEvent({ tags: ['a'] }, record(1, 'A'))).toBe(false);
    expect(itemMatchesEvent({ types: ['A'] }, record(1, 'A'))).toBe(true);
  });

  it('given several items, then an event matching any one matches the condition', () => {
    const condition = { items: [{ types: ['X'] }, { tags: ['t'] }] };
    expect(conditionMatchesEvent(condition, record(1, 'Y', ['t']))).toBe(true);
    expect(conditionMatchesEvent(condition, record(1, 'X'))).toBe(true);
    expect(conditionMatchesEvent(condition, record(1, 'Y', ['u']))).toBe(false);
  });
});

describe('firstConditionMatch', () => {
  const events = [record(3, 'A', ['t']), record(5, 'B'), record(8, 'A', ['t']), record(9, 'B', ['t'])];

  it('given after, then the first matching position after it, or null', () => {
    expect(firstConditionMatch({ items: [{ types: ['A'] }], after: 0 }, events)).toBe(3);
    expect(firstConditionMatch({ items: [{ types: ['A'] }], after: 3 }, events)).toBe(8);
    expect(firstConditionMatch({ items: [{ types: ['B'], tags: ['t'] }], after: 0 }, events)).toBe(9);
    expect(firstConditionMatch({ items: [{ types: ['A'] }], after: 8 }, events)).toBeNull();
  });

  it('given events out of position order, then still the smallest matching position', () => {
    expect(firstConditionMatch({ items: [{ tags: ['t'] }], after: 4 }, [...events].reverse())).toBe(8);
  });
});

describe('versionChecksOf / isUnconditionalAppend', () => {
  it('given a contract-1 request with expectedVersion, then it is one check of the first stream', () => {
    const req = request([newEvent('s')], {
      expectedVersion: { check: { kind: 'exact', version: 2 }, raw: 2 },
    });
    expect(versionChecksOf(req)).toEqual([{ streamId: 's', check: { kind: 'exact', version: 2 }, raw: 2 }]);
  });

  it('given versionChecks and the legacy field, then versionChecks wins', () => {
    const req = request([newEvent('a'), newEvent('b')], {
      versionChecks: [{ streamId: 'b', check: { kind: 'any' }, raw: 'any' }],
      expectedVersion: { check: { kind: 'exact', version: 9 }, raw: 9 },
    });
    expect(versionChecksOf(req)).toEqual([{ streamId: 'b', check: { kind: 'any' }, raw: 'any' }]);
  });

  it.each<[string, Partial<AppendRequest>, NewEvent[], boolean]>([
    ['nothing', {}, [newEvent('s')], true],
    [
      "an 'any' check",
      { versionChecks: [{ streamId: 's', check: { kind: 'any' }, raw: 'any' }] },
      [newEvent('s')],
      true,
    ],
    [
      'an exact check',
      { versionChecks: [{ streamId: 's', check: { kind: 'exact', version: 0 }, raw: 0 }] },
      [newEvent('s')],
      false,
    ],
    ['a condition', { condition: { items: [{ tags: ['t'] }], after: 0 } }, [newEvent('s')], false],
    ['an eventId', {}, [newEvent('s', 'e', { eventId: 'x' })], false],
  ])('given %s, then unconditional is %s', (_label, extra, events, expected) => {
    expect(isUnconditionalAppend(request(events, extra))).toBe(expected);
  });
});

describe('planAppend', () => {
  const exact = (streamId: string, version: number) => ({
    streamId,
    check: { kind: 'exact' as const, version },
    raw: version,
  });

  it('given version checks of two streams that hold, then rows continue both streams', () => {
    const req = request([newEvent('a'), newEvent('b'), newEvent('a')], {
      versionChecks: [exact('a', 2), exact('b', 0)],
    });
    const plan = planAppend(req, NONE, new Map([['a', 2]]));
    expect(plan.kind === 'insert' && plan.rows.map((r) => [r.event.streamId, r.sequence])).toEqual([
      ['a', 3],
      ['b', 1],
      ['a', 4],
    ]);
  });

  it('given the second of two version checks fails, then a version CONFLICT names that stream', () => {
    const req = request([newEvent('a'), newEvent('b')], { versionChecks: [exact('a', 2), exact('b', 0)] });
    const error = thrown(() =>
      planAppend(
        req,
        NONE,
        new Map([
          ['a', 2],
          ['b', 4],
        ]),
      ),
    );
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toEqual({ streamId: 'b', expectedVersion: 0, actualVersion: 4 });
  });

  it('given a condition that matched, then CONFLICT with condition details', () => {
    const req = request([newEvent('s')], { condition: { items: [{ tags: ['t'] }], after: 7 } });
    const error = thrown(() => planAppend(req, NONE, new Map(), 9));
    expect(isConditionConflict(error)).toBe(true);
    expect(error.details).toEqual({ condition: true, after: 7, position: 9 });
    expect(error.message).toMatch(/position 9.*after position 7/);
  });

  it('given a condition that matched nothing, then the rows are planned', () => {
    const req = request([newEvent('s')], { condition: { items: [{ tags: ['t'] }], after: 7 } });
    expect(planAppend(req, NONE, new Map(), null).kind).toBe('insert');
  });

  it('given a condition whose fact the adapter did not gather, then STORAGE_ERROR (never a silent pass)', () => {
    const req = request([newEvent('s')], { condition: { items: [{ tags: ['t'] }], after: 0 } });
    expect(thrown(() => planAppend(req, NONE, new Map())).code).toBe('STORAGE_ERROR');
  });

  it('given a failing version check and a matching condition, then the version CONFLICT comes first', () => {
    const req = request([newEvent('s')], {
      versionChecks: [exact('s', 0)],
      condition: { items: [{ tags: ['t'] }], after: 0 },
    });
    const error = thrown(() => planAppend(req, NONE, new Map([['s', 1]]), 1));
    expect(error.details).toEqual({ streamId: 's', expectedVersion: 0, actualVersion: 1 });
  });

  it('given every eventId stored, then the duplicate wins over failing versions and conditions', () => {
    const stored = record(1, 'e', undefined, { eventId: 'x' });
    const req = request([newEvent('s', 'e', { eventId: 'x' })], {
      versionChecks: [exact('s', 0)],
      condition: { items: [{ types: ['e'] }], after: 0 },
    });
    const plan = planAppend(req, new Map([['x', stored]]), new Map([['s', 1]]), 1);
    expect(plan).toEqual({ kind: 'duplicate', events: [stored] });
  });
});
