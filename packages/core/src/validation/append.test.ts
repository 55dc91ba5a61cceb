import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { DEFAULT_LIMITS, type Limits, resolveLimits } from '../limits.js';
import { toVersionCheck, validateAppendEvent, validateAppendEvents } from './append.js';

const NOW = '2024-01-19T10:00:00.000Z';
let counter = 0;
const ctx = (limits: Partial<Limits> = {}) => ({
  limits: resolveLimits(limits),
  now: NOW,
  newId: () => `id-${++counter}`,
});

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

function expectError(fn: () => unknown, code: string, path: string, text?: string | RegExp): EventLogError {
  const error = errorOf(fn);
  expect(error.code).toBe(code);
  expect(error.message.startsWith(`${path}: `)).toBe(true);
  if (typeof text === 'string') expect(error.message).toContain(text);
  else if (text !== undefined) expect(error.message).toMatch(text);
  return error;
}

describe('validateAppendEvent', () => {
  it('given minimal params, when validated, then stream defaults to "default", payload/metadata to {} and timestamp to now', () => {
    const request = validateAppendEvent({ instanceId: 'audit', eventType: 'login' }, ctx());
    expect(request).toEqual({
      instance: 'audit',
      autoCreate: false,
      now: NOW,
      events: [
        {
          id: expect.stringMatching(/^id-/),
          streamId: 'default',
          eventType: 'login',
          payload: {},
          metadata: {},
          timestamp: NOW,
        },
      ],
    });
    expect(request.expectedVersion).toBeUndefined();
    expect('eventId' in (request.events[0] ?? {})).toBe(false);
  });

  it('given camelCase spellings, when validated, then they are used', () => {
    const request = validateAppendEvent(
      {
        instanceId: 'audit',
        streamId: 'user-1',
        eventType: 'login',
        payload: { ip: '1.2.3.4' },
        metadata: { source: 'web' },
        timestamp: '2024-01-19T12:00:00+02:00',
        eventId: 'evt-1',
        expectedVersion: 3,
        autoCreateInstance: true,
      },
      ctx(),
    );
    expect(request.autoCreate).toBe(true);
    expect(request.expectedVersion).toEqual({ check: { kind: 'exact', version: 3 }, raw: 3 });
    expect(request.events[0]).toMatchObject({
      streamId: 'user-1',
      eventType: 'login',
      payload: { ip: '1.2.3.4' },
      metadata: { source: 'web' },
      timestamp: '2024-01-19T10:00:00.000Z',
      eventId: 'evt-1',
    });
  });

  it('given snake_case spellings, when validated, then they are used', () => {
    const request = validateAppendEvent({ instanceId: 'a', stream_id: 's', event_type: 't' }, ctx());
    expect(request.events[0]).toMatchObject({ streamId: 's', eventType: 't' });
  });

  it('given both spellings with the same value, when validated, then it is accepted', () => {
    const request = validateAppendEvent(
      { instanceId: 'a', streamId: 's', stream_id: 's', eventType: 't', event_type: 't' },
      ctx(),
    );
    expect(request.events[0]).toMatchObject({ streamId: 's', eventType: 't' });
  });

  it('given both spellings with different values, when validated, then VALIDATION_ERROR names both', () => {
    expectError(
      () => validateAppendEvent({ instanceId: 'a', streamId: 's', stream_id: 'x', eventType: 't' }, ctx()),
      'VALIDATION_ERROR',
      'stream_id',
      'streamId "s" and stream_id "x" disagree',
    );
    expectError(
      () => validateAppendEvent({ instanceId: 'a', eventType: 't', event_type: 'u' }, ctx()),
      'VALIDATION_ERROR',
      'event_type',
      'eventType "t" and event_type "u" disagree',
    );
  });

  it('given keys whose value is undefined, when validated, then they count as absent', () => {
    const request = validateAppendEvent(
      {
        instanceId: 'a',
        eventType: 't',
        streamId: undefined,
        payload: undefined,
        unknownButUndefined: undefined,
      },
      ctx(),
    );
    expect(request.events[0]).toMatchObject({ streamId: 'default', payload: {} });
  });

  it('given a payload, when validated, then the event holds a copy, not the caller object', () => {
    const payload = { list: [1] };
    const request = validateAppendEvent({ instanceId: 'a', eventType: 't', payload }, ctx());
    payload.list.push(2);
    expect(request.events[0]?.payload).toEqual({ list: [1] });
  });

  it('given epoch milliseconds, when validated, then the timestamp is normalized', () => {
    const request = validateAppendEvent({ instanceId: 'a', eventType: 't', timestamp: 0 }, ctx());
    expect(request.events[0]?.timestamp).toBe('1970-01-01T00:00:00.000Z');
  });

  it('given no newId, when validated, then ids are random UUIDs', () => {
    const request = validateAppendEvent(
      { instanceId: 'a', eventType: 't' },
      { limits: DEFAULT_LIMITS, now: NOW },
    );
    expect(request.events[0]?.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it.each([
    [0, { kind: 'exact', version: 0 }],
    [7, { kind: 'exact', version: 7 }],
    ['no_stream', { kind: 'exact', version: 0 }],
    ['any', { kind: 'any' }],
    ['stream_exists', { kind: 'exists' }],
  ] as const)(
    'given expectedVersion %j, when validated, then the check is %j with the raw value kept',
    (raw, check) => {
      const request = validateAppendEvent({ instanceId: 'a', eventType: 't', expectedVersion: raw }, ctx());
      expect(request.expectedVersion).toEqual({ check, raw });
      expect(toVersionCheck(raw)).toEqual(check);
    },
  );

  it.each([
    ['not an object', 'x', 'params', 'expected the appendEvent params (an object), got the string "x"'],
    ['undefined', undefined, 'params', 'got nothing'],
    ['null', null, 'params', 'got null'],
    ['an array', [], 'params', 'got an array'],
    ['no instanceId', { eventType: 't' }, 'instanceId', 'is required'],
    ['an empty instanceId', { instanceId: '', eventType: 't' }, 'instanceId', 'must not be empty'],
    ['a numeric instanceId', { instanceId: 5, eventType: 't' }, 'instanceId', 'got the number 5'],
    ['no eventType', { instanceId: 'a' }, 'eventType', 'is required; give eventType (or event_type)'],
    ['a numeric eventType', { instanceId: 'a', eventType: 5 }, 'eventType', 'expected an event type'],
    ['an empty eventType', { instanceId: 'a', eventType: '' }, 'eventType', 'must not be empty'],
    [
      'a blank eventType',
      { instanceId: 'a', eventType: ' \t ' },
      'eventType',
      /control character|only whitespace/,
    ],
    [
      'a whitespace-only stream',
      { instanceId: 'a', eventType: 't', streamId: '   ' },
      'streamId',
      'only whitespace',
    ],
    [
      'a 201-character event type',
      { instanceId: 'a', eventType: 'x'.repeat(201) },
      'eventType',
      'is 201 characters long',
    ],
    [
      'a 201-character stream id',
      { instanceId: 'a', eventType: 't', stream_id: 's'.repeat(201) },
      'stream_id',
      '1–200',
    ],
    ['a control character', { instanceId: 'a', eventType: 'a\nb' }, 'eventType', 'control character U+000A'],
    ['a DEL character', { instanceId: 'a', eventType: 'a\u007f' }, 'eventType', 'control character U+007F'],
    ['a lone surrogate in a name', { instanceId: 'a', eventType: '\ud800' }, 'eventType', 'lone surrogate'],
    [
      'a non-string eventId',
      { instanceId: 'a', eventType: 't', eventId: 1 },
      'eventId',
      'expected an eventId',
    ],
    ['an empty eventId', { instanceId: 'a', eventType: 't', eventId: '' }, 'eventId', 'must not be empty'],
    ['an unknown key', { instanceId: 'a', eventType: 't', streamID: 's' }, 'streamID', 'is not a known key'],
    [
      'a negative version',
      { instanceId: 'a', eventType: 't', expectedVersion: -1 },
      'expectedVersion',
      'got the number -1',
    ],
    [
      'a fractional version',
      { instanceId: 'a', eventType: 't', expectedVersion: 1.5 },
      'expectedVersion',
      'non-negative integer',
    ],
    [
      'an unknown version word',
      { instanceId: 'a', eventType: 't', expectedVersion: 'latest' },
      'expectedVersion',
      '"no_stream", "any" or "stream_exists"',
    ],
    [
      'a huge version',
      { instanceId: 'a', eventType: 't', expectedVersion: 2 ** 60 },
      'expectedVersion',
      'non-negative integer',
    ],
    [
      'a string autoCreate',
      { instanceId: 'a', eventType: 't', autoCreateInstance: 'true' },
      'autoCreateInstance',
      'expected true or false',
    ],
    [
      'a null payload',
      { instanceId: 'a', eventType: 't', payload: null },
      'payload',
      'must be a JSON object',
    ],
    [
      'an array payload',
      { instanceId: 'a', eventType: 't', payload: [1] },
      'payload',
      'must be a JSON object',
    ],
    [
      'a string metadata',
      { instanceId: 'a', eventType: 't', metadata: 'x' },
      'metadata',
      'must be a JSON object',
    ],
    [
      'NaN in the payload',
      { instanceId: 'a', eventType: 't', payload: { n: NaN } },
      'payload.n',
      'NaN is not JSON',
    ],
    [
      'a Date in metadata',
      { instanceId: 'a', eventType: 't', metadata: { at: new Date() } },
      'metadata.at',
      'a Date',
    ],
    [
      'a bad timestamp',
      { instanceId: 'a', eventType: 't', timestamp: '2024-02-30T00:00:00Z' },
      'timestamp',
      'February 2024 has 29 days',
    ],
    [
      'a Date timestamp',
      { instanceId: 'a', eventType: 't', timestamp: new Date() },
      'timestamp',
      'toISOString',
    ],
    [
      'a year-0 timestamp',
      { instanceId: 'a', eventType: 't', timestamp: '0000-06-01T00:00:00Z' },
      'timestamp',
      '0001–9999',
    ],
  ])('given %s, when validated, then VALIDATION_ERROR names the location', (_name, params, path, text) => {
    const error = expectError(
      () => validateAppendEvent(params, ctx()),
      'VALIDATION_ERROR',
      path as string,
      text,
    );
    expect(error.details?.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
  });

  it('given several problems, when validated, then the message names the first and details list all', () => {
    const error = errorOf(() => validateAppendEvent({ instanceId: 5, eventType: 6, foo: 1 }, ctx()));
    expect(error.message).toMatch(/^instanceId: .*\(2 more problems in details\.issues\.\)$/);
    expect(error.details?.issues).toHaveLength(3);
  });

  it('given payload + metadata over maxEventBytes, when validated, then LIMIT_EXCEEDED with the sizes', () => {
    const limits = { maxEventBytes: 100 };
    const ok = {
      instanceId: 'a',
      eventType: 't',
      payload: { s: 'x'.repeat(40) },
      metadata: { s: 'y'.repeat(40) },
    };
    expect(() => validateAppendEvent(ok, ctx(limits))).not.toThrow(); // 48 + 48 = 96 bytes
    const error = expectError(
      () => validateAppendEvent({ ...ok, metadata: { s: 'y'.repeat(45) } }, ctx(limits)),
      'LIMIT_EXCEEDED',
      'params',
      'take 101 bytes of JSON; the maximum per event is 100 (limits.maxEventBytes)',
    );
    expect(error.details).toMatchObject({ limit: 'maxEventBytes', max: 100, actual: 101 });
  });

  it('given multi-byte characters, when sizes are checked, then UTF-8 bytes count, not characters', () => {
    const limits = { maxEventBytes: 20 };
    // {"s":"éééééé"} is 14 characters but 20 bytes; metadata {} adds 2.
    expectError(
      () => validateAppendEvent({ instanceId: 'a', eventType: 't', payload: { s: 'éééééé' } }, ctx(limits)),
      'LIMIT_EXCEEDED',
      'params',
      '22 bytes',
    );
  });

  it('given a default 1 MiB limit, when a payload is just over it, then LIMIT_EXCEEDED', () => {
    const big = 'x'.repeat(1024 * 1024);
    expectError(
      () => validateAppendEvent({ instanceId: 'a', eventType: 't', payload: { big } }, ctx()),
      'LIMIT_EXCEEDED',
      'params',
      'limits.maxEventBytes',
    );
  });
});

describe('validateAppendEvents', () => {
  const base = { instanceId: 'shop' };

  it('given a batch, when validated, then events keep order, defaults apply and each gets its own id', () => {
    const request = validateAppendEvents(
      {
        ...base,
        streamId: 'orders',
        events: [
          { eventType: 'A', payload: { n: 1 } },
          { event_type: 'B', stream_id: 'other', eventId: 'e2' },
          { eventType: 'C', timestamp: 1000 },
        ],
        autoCreateInstance: true,
      },
      ctx(),
    );
    expect(request.autoCreate).toBe(true);
    expect(request.events.map((e) => [e.streamId, e.eventType, e.eventId, e.timestamp])).toEqual([
      ['orders', 'A', undefined, NOW],
      ['other', 'B', 'e2', NOW],
      ['orders', 'C', undefined, '1970-01-01T00:00:01.000Z'],
    ]);
    expect(new Set(request.events.map((e) => e.id)).size).toBe(3);
  });

  it('given no top-level stream, when events name none, then they go to "default"', () => {
    const request = validateAppendEvents({ ...base, events: [{ eventType: 'A' }] }, ctx());
    expect(request.events[0]?.streamId).toBe('default');
  });

  it('given the top-level stream_id spelling, when validated, then it is the default stream', () => {
    const request = validateAppendEvents({ ...base, stream_id: 's', events: [{ eventType: 'A' }] }, ctx());
    expect(request.events[0]?.streamId).toBe('s');
  });

  it('given expectedVersion and one stream, when validated, then the version check is kept', () => {
    const request = validateAppendEvents(
      {
        ...base,
        events: [
          { eventType: 'A', streamId: 's' },
          { eventType: 'B', streamId: 's' },
        ],
        expectedVersion: 'no_stream',
      },
      ctx(),
    );
    expect(request.expectedVersion).toEqual({ check: { kind: 'exact', version: 0 }, raw: 'no_stream' });
  });

  it('given expectedVersion and two streams, when validated, then VALIDATION_ERROR names them', () => {
    expectError(
      () =>
        validateAppendEvents(
          {
            ...base,
            streamId: 's',
            events: [{ eventType: 'A' }, { eventType: 'B', streamId: 't' }],
            expectedVersion: 0,
          },
          ctx(),
        ),
      'VALIDATION_ERROR',
      'expectedVersion',
      'all events go to one stream, but this batch writes to "s" and "t"',
    );
  });

  it.each([
    ['no events key', { ...base }, 'events', 'expected an array of events, got nothing'],
    ['an empty batch', { ...base, events: [] }, 'events', 'must hold at least one event'],
    ['a non-array', { ...base, events: { eventType: 'A' } }, 'events', 'expected an array of events'],
    [
      'a non-object event',
      { ...base, events: [{ eventType: 'A' }, 'B'] },
      'events[1]',
      'expected an event (an object)',
    ],
    [
      'an event without type',
      { ...base, events: [{ eventType: 'A' }, {}] },
      'events[1].eventType',
      'is required',
    ],
    [
      'a numeric event type',
      { ...base, events: [{ eventType: 'A' }, { eventType: 3 }] },
      'events[1].eventType',
      'got the number 3',
    ],
    [
      'an unknown event key',
      { ...base, events: [{ eventType: 'A', expectedVersion: 1 }] },
      'events[0].expectedVersion',
      'is not a known key of an event',
    ],
    [
      'an unknown batch key',
      { ...base, events: [{ eventType: 'A' }], eventType: 'A' },
      'eventType',
      'is not a known key of the appendEvents params',
    ],
    [
      'conflicting event spellings',
      { ...base, events: [{ eventType: 'A' }, { eventType: 'A', streamId: 'x', stream_id: 'y' }] },
      'events[1].stream_id',
      'disagree',
    ],
    [
      'conflicting batch spellings',
      { ...base, streamId: 'x', stream_id: 'y', events: [{ eventType: 'A' }] },
      'stream_id',
      'disagree',
    ],
    [
      'a bad nested payload',
      {
        ...base,
        events: [
          { eventType: 'A' },
          { eventType: 'A' },
          { eventType: 'A', payload: { items: [0, 1, 2, NaN] } },
        ],
      },
      'events[2].payload.items[3]',
      'NaN is not JSON; use a finite number or null.',
    ],
    [
      'a bad timestamp',
      { ...base, events: [{ eventType: 'A', timestamp: 'soon' }] },
      'events[0].timestamp',
      'is not an ISO 8601',
    ],
    [
      'a bad version',
      { ...base, events: [{ eventType: 'A' }], expectedVersion: -1 },
      'expectedVersion',
      'non-negative integer',
    ],
  ])('given %s, when validated, then VALIDATION_ERROR names the location', (_name, params, path, text) => {
    expectError(() => validateAppendEvents(params, ctx()), 'VALIDATION_ERROR', path, text);
  });

  it('given duplicate eventIds in one batch, when validated, then VALIDATION_ERROR names both positions', () => {
    expectError(
      () =>
        validateAppendEvents(
          {
            ...base,
            events: [
              { eventType: 'A', eventId: 'x' },
              { eventType: 'B', eventId: 'y' },
              { eventType: 'C', eventId: 'x' },
            ],
          },
          ctx(),
        ),
      'VALIDATION_ERROR',
      'events[2].eventId',
      '"x" is also the eventId of events[0]; eventIds must be unique within a batch',
    );
  });

  it('given more events than maxBatchEvents, when validated, then LIMIT_EXCEEDED before any event is checked', () => {
    const events = Array.from({ length: 11 }, () => ({ eventType: 5 })); // invalid, but the cap comes first
    const error = expectError(
      () => validateAppendEvents({ ...base, events }, ctx({ maxBatchEvents: 10 })),
      'LIMIT_EXCEEDED',
      'events',
      'the batch has 11 events; the maximum is 10 (limits.maxBatchEvents)',
    );
    expect(error.details).toMatchObject({ limit: 'maxBatchEvents', max: 10, actual: 11 });
    const exactly = Array.from({ length: 10 }, () => ({ eventType: 'A' }));
    expect(
      validateAppendEvents({ ...base, events: exactly }, ctx({ maxBatchEvents: 10 })).events,
    ).toHaveLength(10);
  });

  it('given the default caps, when 10,001 events are sent, then LIMIT_EXCEEDED', () => {
    const events = Array.from({ length: 10_001 }, () => ({ eventType: 'A' }));
    expectError(() => validateAppendEvents({ ...base, events }, ctx()), 'LIMIT_EXCEEDED', 'events', '10000');
  });

  it('given a batch over maxBatchBytes, when validated, then LIMIT_EXCEEDED', () => {
    const events = Array.from({ length: 5 }, () => ({ eventType: 'A', payload: { s: 'x'.repeat(10) } })); // 18 + 2 bytes each
    expect(() => validateAppendEvents({ ...base, events }, ctx({ maxBatchBytes: 100 }))).not.toThrow();
    const error = expectError(
      () => validateAppendEvents({ ...base, events }, ctx({ maxBatchBytes: 99 })),
      'LIMIT_EXCEEDED',
      'events',
      'limits.maxBatchBytes',
    );
    expect(error.details).toMatchObject({ limit: 'maxBatchBytes', max: 99 });
  });

  it('given one event over maxEventBytes in a batch, when validated, then LIMIT_EXCEEDED names it', () => {
    const events = [{ eventType: 'A' }, { eventType: 'B', payload: { s: 'x'.repeat(200) } }];
    expectError(
      () => validateAppendEvents({ ...base, events }, ctx({ maxEventBytes: 100 })),
      'LIMIT_EXCEEDED',
      'events[1]',
      'limits.maxEventBytes',
    );
  });

  it('given an event whose prototype holds an unknown enumerable key, when validated, then VALIDATION_ERROR as for appendEvent', () => {
    const event = Object.assign(Object.create({ colour: 'red' }) as object, { eventType: 'A' });
    expectError(
      () => validateAppendEvents({ ...base, events: [event] }, ctx()),
      'VALIDATION_ERROR',
      'events[0].colour',
    );
    const params = Object.assign(Object.create({ colour: 'red' }) as object, {
      instanceId: 'audit',
      eventType: 'A',
    });
    expectError(() => validateAppendEvent(params, ctx()), 'VALIDATION_ERROR', 'colour');
  });
});
