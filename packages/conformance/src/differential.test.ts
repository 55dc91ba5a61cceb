/**
 * The differential test must catch adapters that are subtly wrong. Each mutant wraps the memory
 * adapter with one bug an SQL adapter could plausibly have (three-valued logic, LIKE wildcards,
 * SQLite's loose typing, collations, tie order, off-by-one reads, …); the property, run with the
 * suite's defaults, must fail on it and name the seed. Mutants that re-implement part of a query
 * also run as a control with the bug switched off, which must pass, so a catch is the bug's doing.
 */

import {
  type AggregationGroup,
  type ConditionNode,
  type ConditionSpec,
  canonicalJson,
  compareGroupKeys,
  compareValues,
  createEventLog,
  type EventRecord,
  type FieldNode,
  type FieldValue,
  fieldNode,
  type JsonScalar,
  type JsonValue,
  lookupField,
  MISSING,
  projectEvent,
  type QueryResult,
  rankOf,
  type StorageAdapter,
} from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { describe, expect, test } from 'vitest';
import { DifferentialMismatch, runDifferential } from './differential.js';

type Overrides = Partial<Pick<StorageAdapter, 'query' | 'readAfter' | 'stats' | 'append'>>;

/** The memory adapter with some methods replaced; each override receives the real adapter. */
function mutant(make: (real: StorageAdapter) => Overrides): StorageAdapter {
  const real = memoryAdapter();
  const overrides = make(real);
  return new Proxy(real, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof Overrides];
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function allEvents(real: StorageAdapter, instanceId: string): Promise<EventRecord[]> {
  return real.readAfter({ instanceId, after: 0, limit: 1_000_000 });
}

/** Rewrites every condition node bottom-up. */
function mapConditions(node: ConditionNode, f: (n: ConditionNode) => ConditionNode): ConditionNode {
  switch (node.kind) {
    case 'and':
    case 'or':
      return f({ ...node, conditions: node.conditions.map((c) => mapConditions(c, f)) });
    case 'not':
      return f({ ...node, condition: mapConditions(node.condition, f) });
    default:
      return f(node);
  }
}

/** A mutant whose `where` conditions are rewritten (given every event, for data-aware rewrites). */
function rewriteWhere(f: (n: ConditionNode, events: EventRecord[]) => ConditionNode): StorageAdapter {
  return mutant((real) => {
    const rewrite = async (instanceId: string, where: ConditionNode | undefined) => {
      if (where === undefined) return undefined;
      const events = await allEvents(real, instanceId);
      return mapConditions(where, (n) => f(n, events));
    };
    return {
      query: async (id, query, limits) =>
        real.query(id, { ...query, where: await rewrite(id, query.where) }, limits),
      readAfter: async (request) =>
        real.readAfter({ ...request, where: await rewrite(request.instanceId, request.where) }),
    };
  });
}

/** A mutant whose appends check a rewritten condition. */
function rewriteCondition(f: (condition: ConditionSpec) => ConditionSpec): StorageAdapter {
  return mutant((real) => ({
    append: (request) =>
      real.append(
        request.condition === undefined ? request : { ...request, condition: f(request.condition) },
      ),
  }));
}

/** A mutant that orders events with `compare` (ties by position ascending), paging after. */
function reorder(compare: (a: FieldValue, b: FieldValue) => number): StorageAdapter {
  return mutant((real) => ({
    query: async (id, query, limits) => {
      const order = query.orderBy[0];
      if (query.reduce !== undefined || order === undefined) return real.query(id, query, limits);
      const all = await real.query(
        id,
        {
          ...query,
          select: undefined,
          orderBy: [{ ...order, direction: 'asc' }],
          limit: limits.maxQueryLimit,
          offset: 0,
        },
        limits,
      );
      const sign = order.direction === 'desc' ? -1 : 1;
      const sorted = [...((all.events ?? []) as EventRecord[])].sort(
        (x, y) =>
          sign * compare(lookupField(x as never, order.field), lookupField(y as never, order.field)) ||
          x.global_position - y.global_position,
      );
      const page = sorted.slice(query.offset, query.offset + query.limit);
      const select = query.select;
      const events = select === undefined ? page : page.map((e) => projectEvent(e, select));
      return { ...all, events, limit: query.limit, offset: query.offset };
    },
  }));
}

/** A mutant that computes one aggregation type from the collected values with `fn`. */
function reaggregate(
  type: 'count' | 'sum' | 'min' | 'max',
  fn: (values: JsonValue[]) => JsonValue,
): StorageAdapter {
  return mutant((real) => ({
    query: async (id, query, limits) => {
      const reduce = query.reduce;
      if (reduce?.type !== type || reduce.field === undefined) return real.query(id, query, limits);
      const result = await real.query(id, { ...query, reduce: { ...reduce, type: 'collect' } }, limits);
      const agg = result.aggregation;
      const of = (v: JsonValue | undefined) => fn(Array.isArray(v) ? v : []);
      if (agg?.groups !== undefined) {
        return {
          ...result,
          aggregation: { ...agg, type, groups: agg.groups.map((g) => ({ ...g, value: of(g.value) })) },
        };
      }
      return { ...result, aggregation: { ...agg, type, value: of(agg?.value) } } as QueryResult;
    },
  }));
}

const inNode = (f: FieldNode, values: JsonScalar[]): ConditionNode => ({
  kind: 'in',
  field: f,
  values,
});
const or = (...conditions: ConditionNode[]): ConditionNode => ({ kind: 'or', conditions });
const and = (...conditions: ConditionNode[]): ConditionNode => ({ kind: 'and', conditions });

/** Whether SQL `LIKE '%' || v || '%'` (or, as a prefix, `LIKE v || '%'`; no ESCAPE) matches `s`. */
function likeMatches(s: string, v: string, caseInsensitive: boolean, prefix = false): boolean {
  const body = [...v]
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`${prefix ? '^' : ''}${body}`, caseInsensitive ? 'siu' : 'su').test(s);
}

/** Strings a field holds across events. */
function stringsAt(events: EventRecord[], f: FieldNode): string[] {
  const out = new Set<string>();
  for (const e of events) {
    const v = lookupField(e as never, f);
    if (typeof v === 'string') out.add(v);
  }
  return [...out];
}

function numbersOnly(values: JsonValue[]): number[] {
  return values.filter((v): v is number => typeof v === 'number');
}

/** Sunday 00:00 UTC of the week of an ISO instant. */
function sundayWeek(iso: string): string {
  const d = new Date(iso);
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - d.getUTCDay());
  return d.toISOString();
}

/**
 * A mutant that answers `count` grouped by one field itself, keying events with `keyOf` (a
 * string identity and the key value to report).
 */
function regroupCount(keyOf: (v: FieldValue) => [string, JsonValue]): StorageAdapter {
  return mutant((real) => ({
    query: async (id, query, limits) => {
      const reduce = query.reduce;
      const group = reduce?.groupBy?.[0];
      if (reduce?.type !== 'count' || reduce.groupBy?.length !== 1 || group?.kind !== 'groupField') {
        return real.query(id, query, limits);
      }
      const matched = (
        await real.query(
          id,
          { ...query, reduce: undefined, select: undefined, limit: limits.maxQueryLimit, offset: 0 },
          limits,
        )
      ).events as EventRecord[];
      const groups = new Map<string, { key: JsonValue; value: number }>();
      for (const e of matched) {
        if (reduce.field !== undefined) {
          const v = lookupField(e as never, reduce.field);
          if (v === MISSING || v === null) continue;
        }
        const [id, key] = keyOf(lookupField(e as never, group.field));
        const entry = groups.get(id) ?? { key, value: 0 };
        entry.value += 1;
        groups.set(id, entry);
      }
      const sorted = [...groups.values()].sort((a, b) => compareGroupKeys([a.key], [b.key]));
      const result = await real.query(id, query, limits);
      return {
        ...result,
        aggregation: {
          ...result.aggregation,
          type: 'count',
          groups: sorted.map((g) => ({ key: { [group.key]: g.key }, value: g.value })),
        },
      } as QueryResult;
    },
  }));
}

const jsonKey = (v: FieldValue): [string, JsonValue] => {
  const value = v === MISSING ? null : v;
  return [canonicalJson(value), value];
};

interface MutantCase {
  bug: string;
  make: () => StorageAdapter;
  /** The same machinery with the bug switched off; must pass. */
  control?: () => StorageAdapter;
  /** Text the failure report must contain. */
  mentions?: RegExp;
}

const utf16 = (a: FieldValue, b: FieldValue) => {
  if (rankOf(a) !== 5 || rankOf(b) !== 5) return compareValues(a, b);
  return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
};
const boolsAsNumbers = (a: FieldValue, b: FieldValue) => {
  const n = (v: FieldValue): FieldValue => (v === true ? 1 : v === false ? 0 : v);
  return compareValues(n(a), n(b));
};

const MUTANTS: MutantCase[] = [
  {
    bug: 'neq does not match missing fields (SQL three-valued logic)',
    make: () =>
      rewriteWhere((n) =>
        n.kind === 'compare' && n.op === 'neq' ? and({ kind: 'exists', field: n.field, exists: true }, n) : n,
      ),
    mentions: /neq/,
  },
  {
    bug: 'eq null also matches a missing field',
    make: () =>
      rewriteWhere((n) =>
        n.kind === 'compare' && n.op === 'eq' && n.value === null
          ? or(n, { kind: 'exists', field: n.field, exists: false })
          : n,
      ),
  },
  {
    bug: 'exists false also matches null',
    make: () =>
      rewriteWhere((n) =>
        n.kind === 'exists' && !n.exists
          ? or(n, { kind: 'compare', op: 'eq', field: n.field, value: null })
          : n,
      ),
  },
  {
    bug: 'eq compares numbers and numeric strings loosely (1 = "1")',
    make: () =>
      rewriteWhere((n) => {
        if (n.kind !== 'compare' || n.op !== 'eq') return n;
        if (typeof n.value === 'number') return inNode(n.field, [n.value, String(n.value)]);
        if (typeof n.value === 'string' && n.value.trim() !== '' && Number.isFinite(Number(n.value))) {
          return inNode(n.field, [n.value, Number(n.value)]);
        }
        return n;
      }),
  },
  {
    bug: 'booleans stored as 0/1 (SQLite json_extract), so eq 1 matches true',
    make: () =>
      rewriteWhere((n) => {
        if (n.kind !== 'compare' || n.op !== 'eq') return n;
        const twin =
          n.value === 1
            ? true
            : n.value === 0
              ? false
              : n.value === true
                ? 1
                : n.value === false
                  ? 0
                  : undefined;
        return twin === undefined ? n : inNode(n.field, [n.value, twin]);
      }),
  },
  {
    bug: 'gt/gte with a number also match strings (SQLite orders text above numbers)',
    make: () =>
      rewriteWhere((n) =>
        n.kind === 'compare' && (n.op === 'gt' || n.op === 'gte') && typeof n.value === 'number'
          ? or(n, { kind: 'compare', op: 'gte', field: n.field, value: '' })
          : n,
      ),
  },
  {
    bug: 'between excludes its upper bound',
    make: () =>
      rewriteWhere((n) =>
        n.kind === 'between'
          ? and(
              { kind: 'compare', op: 'gte', field: n.field, value: n.low },
              { kind: 'compare', op: 'lt', field: n.field, value: n.high },
            )
          : n,
      ),
  },
  {
    bug: 'contains uses LIKE, so % and _ are wildcards',
    make: () =>
      rewriteWhere((n, events) => {
        if (n.kind !== 'contains' || typeof n.value !== 'string') return n;
        const value = n.value;
        return or(
          n,
          inNode(
            n.field,
            stringsAt(events, n.field).filter((s) => likeMatches(s, value, false)),
          ),
        );
      }),
  },
  {
    bug: 'contains is case-insensitive (SQLite LIKE, ILIKE)',
    make: () =>
      rewriteWhere((n, events) => {
        if (n.kind !== 'contains' || typeof n.value !== 'string') return n;
        const needle = n.value.toLowerCase();
        return or(
          n,
          inNode(
            n.field,
            stringsAt(events, n.field).filter((s) => s.toLowerCase().includes(needle)),
          ),
        );
      }),
  },
  {
    bug: "startsWith uses LIKE 'prefix%', so % and _ in the prefix are wildcards",
    make: () =>
      rewriteWhere((n, events) => {
        if (n.kind !== 'startsWith') return n;
        const prefix = n.prefix;
        return or(
          n,
          inNode(
            n.field,
            stringsAt(events, n.field).filter((s) => likeMatches(s, prefix, false, true)),
          ),
        );
      }),
  },
  {
    bug: 'startsWith is case-insensitive (ILIKE, NOCASE)',
    make: () =>
      rewriteWhere((n, events) => {
        if (n.kind !== 'startsWith') return n;
        const prefix = n.prefix.toLowerCase();
        return or(
          n,
          inNode(
            n.field,
            stringsAt(events, n.field).filter((s) => s.toLowerCase().startsWith(prefix)),
          ),
        );
      }),
  },
  {
    bug: 'desc ordering reverses ties too',
    make: () =>
      mutant((real) => ({
        query: async (id, query, limits) => {
          const order = query.orderBy[0];
          if (query.reduce !== undefined || order === undefined || order.direction === 'asc') {
            return real.query(id, query, limits);
          }
          const all = await real.query(
            id,
            { ...query, orderBy: [{ ...order, direction: 'asc' }], limit: limits.maxQueryLimit, offset: 0 },
            limits,
          );
          const events = (all.events ?? []).reverse().slice(query.offset, query.offset + query.limit);
          return { ...all, events, limit: query.limit, offset: query.offset };
        },
      })),
  },
  {
    bug: 'strings ordered by UTF-16 code unit instead of code point',
    make: () => reorder(utf16),
    control: () => reorder(compareValues),
  },
  {
    bug: 'booleans ordered among numbers as 0 and 1',
    make: () => reorder(boolsAsNumbers),
    control: () => reorder(compareValues),
  },
  {
    bug: 'count of a field also counts nulls',
    make: () => reaggregate('count', (values) => values.length),
    control: () => reaggregate('count', (values) => values.filter((v) => v !== null).length),
  },
  {
    bug: 'sum adds numeric strings (SQLite SUM)',
    make: () =>
      reaggregate('sum', (values) =>
        values.reduce<number>(
          (acc, v) =>
            acc +
            (typeof v === 'number'
              ? v
              : typeof v === 'string' && Number.isFinite(Number(v)) && v.trim() !== ''
                ? Number(v)
                : 0),
          0,
        ),
      ),
    control: () => reaggregate('sum', (values) => numbersOnly(values).reduce((a, b) => a + b, 0)),
  },
  {
    bug: 'max over every type by the total order, not numbers first',
    make: () =>
      reaggregate('max', (values) => {
        const present = values.filter((v) => v !== null && typeof v !== 'object');
        return present.length === 0 ? null : present.reduce((a, b) => (compareValues(a, b) >= 0 ? a : b));
      }),
    control: () =>
      reaggregate('max', (values) => {
        const nums = numbersOnly(values);
        if (nums.length > 0) return Math.max(...nums);
        const strs = values.filter((v): v is string => typeof v === 'string');
        return strs.length === 0 ? null : strs.reduce((a, b) => (compareValues(a, b) >= 0 ? a : b));
      }),
  },
  {
    bug: 'sums off by one part in a million',
    make: () =>
      mutant((real) => ({
        query: async (id, query, limits) => {
          const result = await real.query(id, query, limits);
          const agg = result.aggregation;
          if (agg?.type !== 'sum') return result;
          const off = (v: JsonValue | undefined) => (typeof v === 'number' ? v * (1 + 1e-6) : (v ?? null));
          return {
            ...result,
            aggregation: agg.groups
              ? { ...agg, groups: agg.groups.map((g) => ({ ...g, value: off(g.value) })) }
              : { ...agg, value: off(agg.value) },
          };
        },
      })),
    mentions: /tolerance/,
  },
  {
    bug: 'week buckets start on Sunday',
    make: () =>
      mutant((real) => ({
        query: async (id, query, limits) => {
          const reduce = query.reduce;
          const bucket = reduce?.groupBy?.[0];
          if (
            reduce?.type !== 'count' ||
            reduce.groupBy?.length !== 1 ||
            bucket?.kind !== 'timeBucket' ||
            bucket.interval !== 'week'
          ) {
            return real.query(id, query, limits);
          }
          const events = (
            await real.query(
              id,
              { ...query, reduce: undefined, limit: limits.maxQueryLimit, offset: 0 },
              limits,
            )
          ).events as EventRecord[];
          const counts = new Map<string, number>();
          for (const e of events) {
            if (reduce.field !== undefined) {
              const v = lookupField(e as never, reduce.field);
              if (v === MISSING || v === null) continue;
            }
            const key = sundayWeek(e.timestamp);
            counts.set(key, (counts.get(key) ?? 0) + 1);
          }
          const groups: AggregationGroup[] = [...counts.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([timestamp, value]) => ({ key: { timestamp }, value }));
          const result = await real.query(id, query, limits);
          return { ...result, aggregation: { ...result.aggregation, type: 'count', groups } } as QueryResult;
        },
      })),
  },
  {
    bug: 'group keys of missing and null fields form two groups',
    make: () => regroupCount((v) => (v === MISSING ? ['missing', null] : jsonKey(v))),
    control: () => regroupCount(jsonKey),
  },
  {
    bug: 'group keys 1 and true (0 and false) form one group',
    make: () => regroupCount((v) => (v === true ? jsonKey(1) : v === false ? jsonKey(0) : jsonKey(v))),
    control: () => regroupCount(jsonKey),
  },
  {
    bug: 'readAfter includes the position it starts after',
    make: () =>
      mutant((real) => ({
        readAfter: (request) => real.readAfter({ ...request, after: Math.max(0, request.after - 1) }),
      })),
    mentions: /readAfter/,
  },
  {
    bug: 'stats lastEventAt is the last appended event, not the latest timestamp',
    make: () =>
      mutant((real) => ({
        stats: async (id) => {
          const stats = await real.stats(id);
          const events = await allEvents(real, id);
          return { ...stats, lastEventAt: events[events.length - 1]?.timestamp ?? null };
        },
      })),
    mentions: /lastEventAt/,
  },
  {
    bug: 'tags contains matches a tag by substring (a LIKE over the joined tags)',
    make: () =>
      rewriteWhere((n, events) => {
        if (n.kind !== 'contains' || n.field.column !== 'tags' || typeof n.value !== 'string') return n;
        const needle = n.value;
        const ids = events.filter((e) => e.tags?.some((t) => t.includes(needle))).map((e) => e.id);
        return ids.length === 0 ? n : inNode(fieldNode('id'), ids);
      }),
  },
  {
    bug: 'records come back without their tags (a decoder that forgets the tag table)',
    make: () => {
      const strip = <T extends Partial<EventRecord>>(e: T): T => {
        const { tags: _dropped, ...rest } = e;
        return rest as T;
      };
      return mutant((real) => ({
        query: async (id, query, limits) => {
          const result = await real.query(id, query, limits);
          return result.events === undefined ? result : { ...result, events: result.events.map(strip) };
        },
      }));
    },
    mentions: /tags/,
  },
  {
    bug: "a condition's after counts inclusively (>= instead of >)",
    make: () => rewriteCondition((c) => ({ ...c, after: Math.max(0, c.after - 1) })),
    mentions: /Condition/,
  },
  {
    bug: 'a condition checks only its first item',
    make: () => rewriteCondition((c) => ({ ...c, items: c.items.slice(0, 1) })),
    mentions: /Condition/,
  },
  {
    bug: 'select drops null values',
    make: () => {
      const dropNulls = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(dropNulls);
        if (value !== null && typeof value === 'object') {
          return Object.fromEntries(
            Object.entries(value)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => [k, dropNulls(v)]),
          );
        }
        return value;
      };
      return mutant((real) => ({
        query: async (id, query, limits) => {
          const result = await real.query(id, query, limits);
          if (query.select === undefined || result.events === undefined) return result;
          return { ...result, events: result.events.map((e) => dropNulls(e) as typeof e) };
        },
      }));
    },
  },
];

async function run(adapter: StorageAdapter): Promise<Error | undefined> {
  const log = createEventLog({ adapter });
  try {
    // The suite's own defaults: the mutants must be caught by what describeAdapter runs.
    await runDifferential(log);
    return undefined;
  } catch (error) {
    return error as Error;
  } finally {
    await log.close();
  }
}

describe('differential test against mutant adapters', () => {
  test('given the correct memory adapter, then it passes and reports its coverage', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const report = await runDifferential(log);
    expect(report.queries).toBe(240);
    expect(report.readAfterChecks).toBe(32);
    expect(report.conditionChecks).toBe(64);
    expect(report.conditionConflicts).toBeGreaterThan(0);
    await log.close();
  });

  test.each(MUTANTS)('given a mutant where $bug, then the differential test catches it', async (m) => {
    if (m.control) expect(await run(m.control()), 'the control (bug switched off) must pass').toBeUndefined();
    const error = await run(m.make());
    expect(error, 'the differential test did not catch the mutant').toBeInstanceOf(DifferentialMismatch);
    expect(error?.message).toMatch(/seed \d+/);
    if (m.mentions) expect(error?.message).toMatch(m.mentions);
  });
});
