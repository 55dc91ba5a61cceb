import { describe, expect, it } from 'vitest';
import { EventLogError } from '../errors.js';
import { DEFAULT_LIMITS, resolveLimits } from '../limits.js';
import { fieldNode } from './ast.js';
import { OPERATORS, parseField, parseQuery, parseWhere } from './parse.js';

function errorOf(fn: () => unknown): EventLogError {
  try {
    fn();
  } catch (error) {
    if (EventLogError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

function expectError(fn: () => unknown, code: string, path: string, text?: string): EventLogError {
  const error = errorOf(fn);
  expect(error.code).toBe(code);
  expect(error.message.startsWith(`${path}: `)).toBe(true);
  if (text !== undefined) expect(error.message).toContain(text);
  return error;
}

const from = { instance: 'audit' };
const where = (...conditions: unknown[]) => parseQuery({ from, where: conditions }).where;
const condition = (c: unknown) => {
  const node = where(c);
  if (node?.kind !== 'and') throw new Error('expected an and node');
  return node.conditions[0];
};

describe('parseField', () => {
  it.each([
    ['id', 'id', []],
    ['instanceId', 'instanceId', []],
    ['stream_id', 'stream_id', []],
    ['event_type', 'event_type', []],
    ['timestamp', 'timestamp', []],
    ['sequence_number', 'sequence_number', []],
    ['global_position', 'global_position', []],
    ['payload', 'payload', []],
    ['metadata', 'metadata', []],
    ['streamId', 'stream_id', []],
    ['eventType', 'event_type', []],
    ['sequenceNumber', 'sequence_number', []],
    ['globalPosition', 'global_position', []],
    ['payload.a.b', 'payload', ['a', 'b']],
    ['metadata.x-request-id', 'metadata', ['x-request-id']],
    ['payload.items.0.sku', 'payload', ['items', 0, 'sku']],
    ['payload._private', 'payload', ['_private']],
    ['payload.a1_b-2', 'payload', ['a1_b-2']],
    ['payload.123456789', 'payload', [123456789]],
    [
      `payload.${Array.from({ length: 16 }, (_, i) => `k${i}`).join('.')}`,
      'payload',
      Array.from({ length: 16 }, (_, i) => `k${i}`),
    ],
  ])('given %s, when parsed, then column %s and path %j', (raw, column, path) => {
    const field = parseField(raw, 'f');
    expect(field).toEqual(fieldNode(column as never, path));
    expect(Object.isFrozen(field)).toBe(true);
  });

  it('given an alias, when parsed, then the name is canonical', () => {
    expect(parseField('eventType', 'f').name).toBe('event_type');
    expect(parseField('payload.items.0', 'f').name).toBe('payload.items.0');
  });

  it.each([
    ['unknown', 'is not a field'],
    ['Event_Type', 'is not a field'],
    ['constructor', 'is not a field'],
    ['__proto__', 'is not a field'],
    ['toString', 'is not a field'],
    ['', 'is not a field'],
    ['payload.', 'empty segment'],
    ['payload..a', 'empty segment'],
    ['.payload', 'is not a field'],
    ['payload.a b', 'has the segment "a b"'],
    ['payload.a[0]', 'has the segment "a[0]"'],
    ['payload.-a', 'has the segment "-a"'],
    ['payload.1a', 'has the segment "1a"'],
    ['payload.é', 'has the segment "é"'],
    ["payload.a'b", 'has the segment'],
    ['payload.01', 'has the index segment "01"'],
    ['payload.1234567890', 'has the index segment "1234567890"'],
    ['stream_id.x', 'goes below stream_id, which has no nested fields'],
    ['streamId.x', 'goes below streamId'],
    ['timestamp.year', 'goes below timestamp'],
    [
      `payload.${Array.from({ length: 17 }, () => 'a').join('.')}`,
      'is 17 levels deep below payload; the maximum depth is 16',
    ],
  ])('given %j, when parsed, then VALIDATION_ERROR mentions %s', (raw, text) => {
    expectError(() => parseField(raw, 'where[0].field'), 'VALIDATION_ERROR', 'where[0].field', text);
  });

  it.each([[1], [null], [undefined], [['payload']], [{}]])(
    'given the non-string %j, when parsed, then VALIDATION_ERROR',
    (raw) => {
      expectError(
        () => parseField(raw, 'select[0]'),
        'VALIDATION_ERROR',
        'select[0]',
        'expected a field name',
      );
    },
  );
});

describe('parseQuery — defaults and structure', () => {
  it('given only from, when parsed, then defaults apply and the AST is deeply frozen', () => {
    const query = parseQuery({ from });
    expect(query).toEqual({
      kind: 'query',
      instance: 'audit',
      stream: undefined,
      where: undefined,
      select: undefined,
      orderBy: [{ kind: 'order', field: fieldNode('global_position'), direction: 'asc' }],
      limit: 100,
      offset: 0,
      reduce: undefined,
    });
    expect(Object.isFrozen(query)).toBe(true);
    expect(Object.isFrozen(query.orderBy)).toBe(true);
    expect(Object.isFrozen(query.orderBy[0])).toBe(true);
  });

  it('given configured limits, when no limit is given, then defaultQueryLimit applies', () => {
    expect(parseQuery({ from }, resolveLimits({ defaultQueryLimit: 7 })).limit).toBe(7);
  });

  it('given the document example, when parsed, then every part is in the AST', () => {
    const query = parseQuery({
      from: { instance: 'instance-id', stream: 'optional-stream' },
      where: [{ field: 'event_type', operator: 'eq', value: 'login' }],
      select: ['event_type', 'payload'],
      orderBy: { field: 'timestamp', direction: 'desc' },
      limit: 100,
      offset: 0,
      reduce: { type: 'count', field: 'payload.duration', groupBy: ['event_type'] },
    });
    expect(query.instance).toBe('instance-id');
    expect(query.stream).toBe('optional-stream');
    expect(query.where).toEqual({
      kind: 'and',
      conditions: [{ kind: 'compare', op: 'eq', field: fieldNode('event_type'), value: 'login' }],
    });
    expect(query.select).toEqual([fieldNode('event_type'), fieldNode('payload')]);
    expect(query.orderBy).toEqual([{ kind: 'order', field: fieldNode('timestamp'), direction: 'desc' }]);
    expect(query.reduce).toEqual({
      kind: 'reduce',
      type: 'count',
      field: fieldNode('payload', ['duration']),
      groupBy: [{ kind: 'groupField', field: fieldNode('event_type'), key: 'event_type' }],
    });
    expect(Object.isFrozen(query.where)).toBe(true);
    expect(Object.isFrozen(query.reduce?.groupBy)).toBe(true);
  });

  it('given an empty where, when parsed, then where is undefined', () => {
    expect(parseQuery({ from, where: [] }).where).toBeUndefined();
  });

  it('given keys whose value is undefined, when parsed, then they count as absent', () => {
    const query = parseQuery({
      from: { instance: 'a', stream: undefined },
      where: undefined,
      limit: undefined,
      extra: undefined,
    });
    expect(query.stream).toBeUndefined();
    expect(query.limit).toBe(100);
  });

  it('given duplicate select fields (also via aliases), when parsed, then each field appears once', () => {
    expect(parseQuery({ from, select: ['eventType', 'event_type', 'payload.a'] }).select).toEqual([
      fieldNode('event_type'),
      fieldNode('payload', ['a']),
    ]);
  });

  it('given orderBy without direction, when parsed, then it is ascending', () => {
    expect(parseQuery({ from, orderBy: { field: 'payload.n' } }).orderBy).toEqual([
      { kind: 'order', field: fieldNode('payload', ['n']), direction: 'asc' },
    ]);
  });

  it.each([
    [0, 0],
    [10_000, 10_000],
    [-0, 0],
  ])('given limit %d, when parsed, then it is %d', (limit, expected) => {
    expect(Object.is(parseQuery({ from, limit }).limit, expected)).toBe(true);
  });

  it('given an offset, when parsed, then it is kept', () => {
    expect(parseQuery({ from, offset: 25 }).offset).toBe(25);
  });
});

describe('parseQuery — conditions', () => {
  it.each(['eq', 'neq'] as const)(
    'given %s with each scalar type, when parsed, then a compare node holds it',
    (op) => {
      for (const value of ['x', 1.5, true, false, null, 0]) {
        expect(condition({ field: 'payload.v', operator: op, value })).toEqual({
          kind: 'compare',
          op,
          field: fieldNode('payload', ['v']),
          value,
        });
      }
    },
  );

  it.each(['gt', 'gte', 'lt', 'lte'] as const)(
    'given %s with a number or a string, when parsed, then a compare node',
    (op) => {
      expect(condition({ field: 'sequenceNumber', operator: op, value: 3 })).toEqual({
        kind: 'compare',
        op,
        field: fieldNode('sequence_number'),
        value: 3,
      });
      expect(condition({ field: 'payload.name', operator: op, value: 'm' })).toMatchObject({ value: 'm' });
    },
  );

  it('given -0, when parsed, then the value is 0', () => {
    expect(
      Object.is((condition({ field: 'payload.v', operator: 'eq', value: -0 }) as { value: number }).value, 0),
    ).toBe(true);
  });

  it('given contains, when parsed, then a contains node with the literal value (no wildcards)', () => {
    expect(condition({ field: 'payload.message', operator: 'contains', value: '50%_\\' })).toEqual({
      kind: 'contains',
      field: fieldNode('payload', ['message']),
      value: '50%_\\',
    });
    expect(condition({ field: 'payload.tags', operator: 'contains', value: 3 })).toMatchObject({ value: 3 });
  });

  it('given startsWith, when parsed, then a startsWith node with the literal prefix', () => {
    expect(condition({ field: 'streamId', operator: 'startsWith', value: 'order-%_\\' })).toEqual({
      kind: 'startsWith',
      field: fieldNode('stream_id'),
      prefix: 'order-%_\\',
    });
  });

  it.each([[''], [1], [null], [true], [['a']], [{ a: 1 }], ['a\u0000'], ['\ud800']])(
    'given startsWith with %j, when parsed, then VALIDATION_ERROR at the value',
    (value) => {
      expectError(
        () => where({ field: 'stream_id', operator: 'startsWith', value }),
        'VALIDATION_ERROR',
        'where[0].value',
      );
    },
  );

  it('given in, when parsed, then an in node with the values', () => {
    expect(condition({ field: 'eventType', operator: 'in', value: ['login', 'logout', null, 1] })).toEqual({
      kind: 'in',
      field: fieldNode('event_type'),
      values: ['login', 'logout', null, 1],
    });
  });

  it('given in with exactly maxInValues values, when parsed, then it is accepted', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    expect(condition({ field: 'payload.n', operator: 'in', value: values })).toMatchObject({ kind: 'in' });
  });

  it('given between numbers or strings, when parsed, then a between node (low > high is allowed)', () => {
    expect(condition({ field: 'payload.n', operator: 'between', value: [1, 5] })).toEqual({
      kind: 'between',
      field: fieldNode('payload', ['n']),
      low: 1,
      high: 5,
    });
    expect(condition({ field: 'payload.s', operator: 'between', value: ['b', 'a'] })).toMatchObject({
      low: 'b',
      high: 'a',
    });
  });

  it('given exists true or false, when parsed, then an exists node', () => {
    expect(condition({ field: 'metadata.trace', operator: 'exists', value: true })).toEqual({
      kind: 'exists',
      field: fieldNode('metadata', ['trace']),
      exists: true,
    });
    expect(condition({ field: 'payload.x', operator: 'exists', value: false })).toMatchObject({
      exists: false,
    });
  });

  it('given or and not, when parsed, then nested nodes', () => {
    expect(
      condition({
        or: [
          { field: 'eventType', operator: 'eq', value: 'a' },
          { not: { field: 'payload.n', operator: 'gt', value: 1 } },
        ],
      }),
    ).toEqual({
      kind: 'or',
      conditions: [
        { kind: 'compare', op: 'eq', field: fieldNode('event_type'), value: 'a' },
        {
          kind: 'not',
          condition: { kind: 'compare', op: 'gt', field: fieldNode('payload', ['n']), value: 1 },
        },
      ],
    });
  });

  it('given several conditions, when parsed, then where is one and node in order', () => {
    const node = where(
      { field: 'eventType', operator: 'eq', value: 'a' },
      { field: 'payload.n', operator: 'gte', value: 2 },
    );
    expect(node?.kind).toBe('and');
    expect(node?.kind === 'and' && node.conditions.map((c) => c.kind)).toEqual(['compare', 'compare']);
  });

  it('given nesting exactly 16 deep, when parsed, then it is accepted', () => {
    let c: unknown = { field: 'eventType', operator: 'eq', value: 'a' };
    for (let i = 1; i < 16; i++) c = { not: c };
    expect(() => where(c)).not.toThrow();
    expectError(
      () => where({ not: c }),
      'VALIDATION_ERROR',
      `where[0]${'.not'.repeat(16)}`,
      'more than 16 levels',
    );
  });

  it('given more than 1000 conditions in all, when parsed, then VALIDATION_ERROR', () => {
    const leaf = { field: 'eventType', operator: 'eq', value: 'a' };
    expect(() => where(...Array.from({ length: 1000 }, () => leaf))).not.toThrow();
    expectError(
      () =>
        where(...Array.from({ length: 500 }, () => leaf), { or: Array.from({ length: 500 }, () => leaf) }),
      'VALIDATION_ERROR',
      'where[500].or[499]',
      'more than 1000 conditions',
    );
  });
});

describe('parseQuery — timestamp values', () => {
  it.each([
    ['eq', '2024-01-19T12:00:00+02:00', '2024-01-19T10:00:00.000Z'],
    ['neq', 1705658400000, '2024-01-19T10:00:00.000Z'],
    ['gt', '2024-01-19T10:00Z', '2024-01-19T10:00:00.000Z'],
    ['gte', 0, '1970-01-01T00:00:00.000Z'],
    ['lt', '2024-01-19T10:00:00.123456Z', '2024-01-19T10:00:00.123Z'],
    ['lte', '2024-01-19T10:00:00.000Z', '2024-01-19T10:00:00.000Z'],
  ])('given timestamp %s %j, when parsed, then the value is normalized', (op, value, expected) => {
    expect(condition({ field: 'timestamp', operator: op, value })).toMatchObject({
      kind: 'compare',
      op,
      value: expected,
    });
  });

  it('given timestamp between and in, when parsed, then every value is normalized', () => {
    expect(
      condition({ field: 'timestamp', operator: 'between', value: [0, '2024-01-01T01:00:00+01:00'] }),
    ).toEqual({
      kind: 'between',
      field: fieldNode('timestamp'),
      low: '1970-01-01T00:00:00.000Z',
      high: '2024-01-01T00:00:00.000Z',
    });
    expect(
      condition({ field: 'timestamp', operator: 'in', value: [0, '1970-01-01T00:00:00Z'] }),
    ).toMatchObject({
      values: ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000Z'],
    });
  });

  it('given contains on timestamp, when parsed, then the substring is kept as given', () => {
    expect(condition({ field: 'timestamp', operator: 'contains', value: '2024-01' })).toMatchObject({
      value: '2024-01',
    });
  });

  it.each([
    ['eq', null, 'expected a timestamp'],
    ['eq', true, 'expected a timestamp'],
    ['gt', 'yesterday', 'is not an ISO 8601 timestamp'],
    ['lt', '2024-02-30T00:00:00Z', 'February 2024 has 29 days'],
    ['gte', 1.5, 'must be an integer'],
  ])('given timestamp %s %j, when parsed, then VALIDATION_ERROR at the value', (op, value, text) => {
    expectError(
      () => where({ field: 'timestamp', operator: op, value }),
      'VALIDATION_ERROR',
      'where[0].value',
      text,
    );
  });

  it('given a bad timestamp inside between, when parsed, then the error names the bound', () => {
    expectError(
      () => where({ field: 'timestamp', operator: 'between', value: [0, 'x'] }),
      'VALIDATION_ERROR',
      'where[0].value[1]',
    );
  });

  it('given a payload field named timestamp, when compared, then values are not normalized', () => {
    expect(
      condition({ field: 'payload.timestamp', operator: 'eq', value: '2024-01-19T10:00Z' }),
    ).toMatchObject({
      value: '2024-01-19T10:00Z',
    });
  });
});

describe('parseQuery — errors', () => {
  it.each([
    ['a non-object query', 'x', 'query', 'expected a query'],
    ['null', null, 'query', 'got null'],
    ['undefined', undefined, 'query', 'got nothing'],
    ['an array', [], 'query', 'got an array'],
    ['an unknown top-level key', { from, filter: [] }, 'filter', 'is not a known key of a query'],
    ['no from', {}, 'from', 'is required'],
    ['a string from', { from: 'audit' }, 'from', 'expected a source { instance, stream? }'],
    ['an unknown from key', { from: { instance: 'a', streams: 'x' } }, 'from.streams', 'is not a known key'],
    ['no instance', { from: {} }, 'from.instance', 'is required'],
    ['an empty instance', { from: { instance: '' } }, 'from.instance', 'must not be empty'],
    ['a numeric stream', { from: { instance: 'a', stream: 1 } }, 'from.stream', 'expected a stream id'],
    ['a non-array where', { from, where: { field: 'id' } }, 'where', 'expected an array of conditions'],
    ['a non-object condition', { from, where: ['x'] }, 'where[0]', 'expected a condition'],
    [
      'an unknown condition key',
      { from, where: [{ field: 'id', operator: 'eq', value: 1, op: 'x' }] },
      'where[0].op',
      'is not a known key of a condition',
    ],
    [
      'or with another key',
      { from, where: [{ or: [], field: 'id' }] },
      'where[0].field',
      'is not a known key of an or condition',
    ],
    ['an empty or', { from, where: [{ or: [] }] }, 'where[0].or', 'must hold at least one condition'],
    ['a non-array or', { from, where: [{ or: {} }] }, 'where[0].or', 'expected an array of conditions'],
    [
      'a bad condition in or',
      { from, where: [{ or: [{ field: 'x', operator: 'eq', value: 1 }] }] },
      'where[0].or[0].field',
      'is not a field',
    ],
    [
      'a bad condition in not',
      { from, where: [{ not: { field: 'id', operator: 'like', value: 1 } }] },
      'where[0].not.operator',
      '"like" is not an operator',
    ],
    ['no field', { from, where: [{ operator: 'eq', value: 1 }] }, 'where[0].field', 'expected a field name'],
    [
      'no operator',
      { from, where: [{ field: 'id', value: 1 }] },
      'where[0].operator',
      'is required; operators are eq, neq',
    ],
    [
      'an unknown operator',
      { from, where: [{ field: 'id', operator: 'like', value: 'x' }] },
      'where[0].operator',
      'operators are eq, neq, gt, gte, lt, lte, contains, startsWith, in, between, exists',
    ],
    [
      'an uppercase operator',
      { from, where: [{ field: 'id', operator: 'EQ', value: 'x' }] },
      'where[0].operator',
      'is not an operator',
    ],
    [
      'no value',
      { from, where: [{ field: 'id', operator: 'eq' }] },
      'where[0].value',
      'is required for eq; to match a missing field use',
    ],
    [
      'an object for eq',
      { from, where: [{ field: 'payload', operator: 'eq', value: { a: 1 } }] },
      'where[0].value',
      'expected a scalar',
    ],
    [
      'an array for neq',
      { from, where: [{ field: 'payload.a', operator: 'neq', value: [1] }] },
      'where[0].value',
      'expected a scalar',
    ],
    [
      'NaN for eq',
      { from, where: [{ field: 'payload.a', operator: 'eq', value: Number.NaN }] },
      'where[0].value',
      'is not a finite number',
    ],
    [
      'Infinity for gt',
      { from, where: [{ field: 'payload.a', operator: 'gt', value: Infinity }] },
      'where[0].value',
      'is not a finite number',
    ],
    [
      'a boolean for gt',
      { from, where: [{ field: 'payload.a', operator: 'gt', value: true }] },
      'where[0].value',
      'expected a number or a string for gt',
    ],
    [
      'null for lte',
      { from, where: [{ field: 'payload.a', operator: 'lte', value: null }] },
      'where[0].value',
      'expected a number or a string',
    ],
    [
      'a NUL in a value',
      { from, where: [{ field: 'payload.a', operator: 'eq', value: 'a\u0000' }] },
      'where[0].value',
      'NUL',
    ],
    [
      'a lone surrogate in a value',
      { from, where: [{ field: 'payload.a', operator: 'contains', value: '\ud800' }] },
      'where[0].value',
      'lone surrogate',
    ],
    [
      'an object for contains',
      { from, where: [{ field: 'payload.a', operator: 'contains', value: {} }] },
      'where[0].value',
      'expected a scalar',
    ],
    [
      'a scalar for in',
      { from, where: [{ field: 'id', operator: 'in', value: 'x' }] },
      'where[0].value',
      'expected a non-empty array',
    ],
    [
      'an empty in',
      { from, where: [{ field: 'id', operator: 'in', value: [] }] },
      'where[0].value',
      'expected a non-empty array',
    ],
    [
      'an object in the in list',
      { from, where: [{ field: 'id', operator: 'in', value: ['a', {}] }] },
      'where[0].value[1]',
      'expected a scalar',
    ],
    [
      'one bound for between',
      { from, where: [{ field: 'payload.n', operator: 'between', value: [1] }] },
      'where[0].value',
      'expected [low, high]',
    ],
    [
      'three bounds for between',
      { from, where: [{ field: 'payload.n', operator: 'between', value: [1, 2, 3] }] },
      'where[0].value',
      'expected [low, high]',
    ],
    [
      'mixed bounds for between',
      { from, where: [{ field: 'payload.n', operator: 'between', value: [1, 'z'] }] },
      'where[0].value',
      'both be numbers or both be strings',
    ],
    [
      'a null bound for between',
      { from, where: [{ field: 'payload.n', operator: 'between', value: [null, 1] }] },
      'where[0].value[0]',
      'as the low bound',
    ],
    [
      'a string for exists',
      { from, where: [{ field: 'payload.n', operator: 'exists', value: 'yes' }] },
      'where[0].value',
      'expected true (the field is present) or false',
    ],
    [
      'a bad path',
      { from, where: [{ field: 'payload.a..b', operator: 'eq', value: 1 }] },
      'where[0].field',
      'empty segment',
    ],
    [
      'a non-array select',
      { from, select: 'payload' },
      'select',
      'expected a non-empty array of field names',
    ],
    ['an empty select', { from, select: [] }, 'select', 'expected a non-empty array'],
    ['a bad select field', { from, select: ['payload', 'stream_id.x'] }, 'select[1]', 'has no nested fields'],
    [
      'an orderBy array',
      { from, orderBy: [{ field: 'timestamp' }] },
      'orderBy',
      'expected an ordering { field, direction? }',
    ],
    ['an orderBy string', { from, orderBy: 'timestamp' }, 'orderBy', 'expected an ordering'],
    [
      'an unknown orderBy key',
      { from, orderBy: { field: 'timestamp', dir: 'asc' } },
      'orderBy.dir',
      'is not a known key',
    ],
    [
      'a bad direction',
      { from, orderBy: { field: 'timestamp', direction: 'DESC' } },
      'orderBy.direction',
      'expected "asc" or "desc"',
    ],
    ['a bad orderBy field', { from, orderBy: { field: 'nope' } }, 'orderBy.field', 'is not a field'],
    ['a negative limit', { from, limit: -1 }, 'limit', 'expected an integer from 0 to 10000'],
    ['a fractional limit', { from, limit: 1.5 }, 'limit', 'expected an integer'],
    ['a string limit', { from, limit: '10' }, 'limit', 'expected an integer'],
    ['an infinite limit', { from, limit: Infinity }, 'limit', 'expected an integer'],
    ['a negative offset', { from, offset: -5 }, 'offset', 'expected an integer ≥ 0'],
    ['a fractional offset', { from, offset: 0.5 }, 'offset', 'expected an integer ≥ 0'],
    ['an unsafe offset', { from, offset: 2 ** 60 }, 'offset', 'beyond the largest safe integer'],
    [
      'a non-object reduce',
      { from, reduce: 'count' },
      'reduce',
      'expected a reduce { type, field?, groupBy? }',
    ],
    [
      'no reduce type',
      { from, reduce: {} },
      'reduce.type',
      'is required; types are count, sum, avg, min, max, collect',
    ],
    [
      'an unknown reduce type',
      { from, reduce: { type: 'median', field: 'payload.n' } },
      'reduce.type',
      '"median" is not an aggregation',
    ],
    ['sum without field', { from, reduce: { type: 'sum' } }, 'reduce.field', 'is required for sum'],
    [
      'collect without field',
      { from, reduce: { type: 'collect' } },
      'reduce.field',
      'is required for collect',
    ],
    [
      'a bad reduce field',
      { from, reduce: { type: 'max', field: 'payload.' } },
      'reduce.field',
      'empty segment',
    ],
    [
      'an unknown reduce key',
      { from, reduce: { type: 'count', by: 'x' } },
      'reduce.by',
      'is not a known key',
    ],
    [
      'a non-array groupBy',
      { from, reduce: { type: 'count', groupBy: 'event_type' } },
      'reduce.groupBy',
      'expected a non-empty array',
    ],
    [
      'an empty groupBy',
      { from, reduce: { type: 'count', groupBy: [] } },
      'reduce.groupBy',
      'expected a non-empty array',
    ],
    [
      'nine groupBy entries',
      { from, reduce: { type: 'count', groupBy: Array.from({ length: 9 }, (_, i) => `payload.k${i}`) } },
      'reduce.groupBy',
      'has 9 entries; the maximum is 8',
    ],
    [
      'a repeated group key',
      { from, reduce: { type: 'count', groupBy: ['eventType', 'event_type'] } },
      'reduce.groupBy[1]',
      'groups by "event_type" a second time',
    ],
    [
      'timestamp twice',
      { from, reduce: { type: 'count', groupBy: ['timestamp', { field: 'timestamp', interval: 'day' }] } },
      'reduce.groupBy[1]',
      'a second time',
    ],
    [
      'a bucket on another field',
      { from, reduce: { type: 'count', groupBy: [{ field: 'payload.at', interval: 'day' }] } },
      'reduce.groupBy[0].field',
      'only allowed on timestamp',
    ],
    [
      'a bad interval',
      { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'year' }] } },
      'reduce.groupBy[0].interval',
      'intervals are minute, hour, day, week, month',
    ],
    [
      'no interval',
      { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp' }] } },
      'reduce.groupBy[0].interval',
      'is required',
    ],
    [
      'an unknown bucket key',
      { from, reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day', tz: 'UTC' }] } },
      'reduce.groupBy[0].tz',
      'is not a known key',
    ],
    [
      'a number in groupBy',
      { from, reduce: { type: 'count', groupBy: [1] } },
      'reduce.groupBy[0]',
      'expected a field name or a time bucket',
    ],
    [
      'a bad groupBy field',
      { from, reduce: { type: 'count', groupBy: ['nope'] } },
      'reduce.groupBy[0]',
      'is not a field',
    ],
  ])('given %s, when parsed, then VALIDATION_ERROR names the location', (_name, raw, path, text) => {
    expectError(() => parseQuery(raw), 'VALIDATION_ERROR', path as string, text);
  });

  it('given a limit above maxQueryLimit, when parsed, then LIMIT_EXCEEDED with details', () => {
    const error = expectError(
      () => parseQuery({ from, limit: 10_001 }),
      'LIMIT_EXCEEDED',
      'limit',
      'maximum of 10000',
    );
    expect(error.details).toMatchObject({ limit: 'maxQueryLimit', max: 10_000, actual: 10_001 });
    expectError(() => parseQuery({ from, limit: 1e300 }), 'LIMIT_EXCEEDED', 'limit');
    expectError(
      () => parseQuery({ from, limit: 51 }, resolveLimits({ maxQueryLimit: 50 })),
      'LIMIT_EXCEEDED',
      'limit',
    );
  });

  it('given an in list over maxInValues, when parsed, then LIMIT_EXCEEDED', () => {
    const value = Array.from({ length: 1001 }, (_, i) => i);
    const error = expectError(
      () => where({ field: 'payload.n', operator: 'in', value }),
      'LIMIT_EXCEEDED',
      'where[0].value',
      'in lists 1001 values; the maximum is 1000 (limits.maxInValues)',
    );
    expect(error.details).toMatchObject({ limit: 'maxInValues', max: 1000, actual: 1001 });
    expectError(
      () =>
        parseWhere(
          [{ field: 'id', operator: 'in', value: ['a', 'b', 'c'] }],
          resolveLimits({ maxInValues: 2 }),
        ),
      'LIMIT_EXCEEDED',
      'where[0].value',
    );
  });
});

describe('parseQuery — reduce', () => {
  it.each(['count', 'sum', 'avg', 'min', 'max', 'collect'] as const)(
    'given %s with a field, when parsed, then a reduce node',
    (type) => {
      expect(parseQuery({ from, reduce: { type, field: 'payload.amount' } }).reduce).toEqual({
        kind: 'reduce',
        type,
        field: fieldNode('payload', ['amount']),
        groupBy: undefined,
      });
    },
  );

  it('given count without a field, when parsed, then the field is undefined', () => {
    expect(parseQuery({ from, reduce: { type: 'count' } }).reduce).toEqual({
      kind: 'reduce',
      type: 'count',
      field: undefined,
      groupBy: undefined,
    });
  });

  it.each(['minute', 'hour', 'day', 'week', 'month'] as const)(
    'given a %s bucket, when parsed, then a timeBucket node keyed timestamp',
    (interval) => {
      expect(
        parseQuery({
          from,
          reduce: { type: 'count', groupBy: ['eventType', { field: 'timestamp', interval }] },
        }).reduce?.groupBy,
      ).toEqual([
        { kind: 'groupField', field: fieldNode('event_type'), key: 'event_type' },
        { kind: 'timeBucket', field: fieldNode('timestamp'), interval, key: 'timestamp' },
      ]);
    },
  );

  it('given reduce with select, orderBy, limit and offset, when parsed, then they are still validated and kept', () => {
    const query = parseQuery({
      from,
      reduce: { type: 'count' },
      select: ['payload'],
      orderBy: { field: 'timestamp' },
      limit: 5,
      offset: 2,
    });
    expect(query).toMatchObject({ limit: 5, offset: 2 });
    expectError(
      () => parseQuery({ from, reduce: { type: 'count' }, limit: -1 }),
      'VALIDATION_ERROR',
      'limit',
    );
  });
});

describe('parseWhere', () => {
  it('given nothing or an empty list, when parsed, then undefined', () => {
    expect(parseWhere(undefined)).toBeUndefined();
    expect(parseWhere([])).toBeUndefined();
  });

  it('given conditions, when parsed, then one frozen and node', () => {
    const node = parseWhere([{ field: 'streamId', operator: 'eq', value: 's' }], DEFAULT_LIMITS);
    expect(node).toEqual({
      kind: 'and',
      conditions: [{ kind: 'compare', op: 'eq', field: fieldNode('stream_id'), value: 's' }],
    });
    expect(Object.isFrozen(node)).toBe(true);
  });

  it('given a bad condition, when parsed, then the error path starts with where', () => {
    expectError(
      () => parseWhere([{ field: 'id', operator: 'nope', value: 1 }]),
      'VALIDATION_ERROR',
      'where[0].operator',
    );
    expectError(() => parseWhere({}), 'VALIDATION_ERROR', 'where', 'expected an array of conditions');
  });

  it('lists exactly the operators of the DSL', () => {
    expect([...OPERATORS]).toEqual([
      'eq',
      'neq',
      'gt',
      'gte',
      'lt',
      'lte',
      'contains',
      'startsWith',
      'in',
      'between',
      'exists',
    ]);
  });
});
