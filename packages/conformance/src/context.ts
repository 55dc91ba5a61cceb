/**
 * What every test group of the suite shares: the adapter under test, the facades over it, fresh
 * instance names, and assertion helpers for envelopes.
 */

import { randomUUID } from 'node:crypto';
import type {
  Envelope,
  EventLog,
  EventRecord,
  FailureEnvelope,
  Instance,
  InstanceStats,
  Limits,
  NewEventInput,
  StorageAdapter,
} from '@eventlog/core';
import { expect } from 'vitest';
import type { DescribeAdapterOptions } from './options.js';

/**
 * Caps of the second facade every suite builds over the same adapter, small enough that each cap
 * can be passed with a handful of events.
 */
export const TIGHT_LIMITS: Readonly<Limits> = Object.freeze({
  maxEventBytes: 256,
  maxBatchEvents: 5,
  maxBatchBytes: 1024,
  maxQueryLimit: 50,
  defaultQueryLimit: 7,
  maxInValues: 3,
  maxGroups: 3,
  maxCollectValues: 5,
});

/** The state one suite run shares between its tests. Built in `beforeAll`. */
export interface ConformanceContext {
  /** The options given to `describeAdapter`. */
  readonly options: DescribeAdapterOptions;
  readonly adapter: StorageAdapter;
  /** The facade under test, with the suite's limits. */
  readonly log: EventLog;
  /** The effective limits of {@link ConformanceContext.log}. */
  readonly limits: Readonly<Limits>;
  /** A second facade over the same adapter with {@link TIGHT_LIMITS}. */
  readonly tight: EventLog;
  /** Builds another facade over the same adapter (never closed: it shares the adapter). */
  facade(adapter?: StorageAdapter, limits?: Partial<Limits>): EventLog;
  /** How long to wait for a watch signal, in ms. */
  readonly signalTimeoutMs: number;
  /** A name no other test (or earlier run against the same database) uses. */
  uniqueName(label: string): string;
  /** Creates an instance with a fresh name. */
  newInstance(label: string, description?: string): Promise<Instance>;
  /** Appends events with `appendEvents` (default stream `streamId`) and returns the records. */
  append(instanceId: string, events: NewEventInput[], streamId?: string): Promise<EventRecord[]>;
  /** Every event of an instance in position order, read through `queryEvents`. */
  readAll(instanceId: string): Promise<EventRecord[]>;
  /** Stats of an instance (asserting success). */
  stats(instanceId: string): Promise<InstanceStats>;
}

/**
 * The facade with every parameter typed `unknown`, to send the malformed input a remote caller
 * could send.
 */
export type LooseEventLog = {
  // biome-ignore lint/suspicious/noExplicitAny: malformed input is the point of these calls
  [K in keyof Omit<EventLog, 'store' | 'close'>]: (...args: any[]) => Promise<Envelope<K, any>>;
};

/** Views a facade as a {@link LooseEventLog}. */
export function loose(log: EventLog): LooseEventLog {
  return log as unknown as LooseEventLog;
}

/** Holds the context between registration (synchronous) and `beforeAll` (async). */
export interface ContextHolder {
  current: ConformanceContext | undefined;
  /** The suite's options, known when tests are registered (before the adapter exists). */
  readonly options: DescribeAdapterOptions;
}

/** Reads the context, failing clearly when `beforeAll` did not set it (the adapter failed to open). */
export function useContext(holder: ContextHolder): ConformanceContext {
  if (holder.current === undefined) {
    throw new Error('The conformance context is not ready: creating the adapter failed in beforeAll.');
  }
  return holder.current;
}

let counter = 0;

/** A fresh name: the label, a per-process counter, and a random suffix (unique across runs). */
export function uniqueName(label: string): string {
  counter += 1;
  return `${label}-${counter}-${randomUUID().slice(0, 8)}`;
}

/**
 * Asserts that an envelope succeeded and returns its data; the failure message shows the error.
 */
export function expectOk<M extends string, D>(envelope: Envelope<M, D>): D {
  if (!envelope.success) {
    throw new Error(
      `Expected ${envelope.type} to succeed, but it failed with ${envelope.code}: ${envelope.error}` +
        (envelope.details ? ` ${JSON.stringify(envelope.details)}` : ''),
    );
  }
  return envelope.data;
}

/**
 * Asserts that an envelope failed with `code` and that its `error` sentence mentions each of
 * `mentions` (strings match case-insensitively; pass a RegExp for alternatives).
 */
export function expectFailure<M extends string, D>(
  envelope: Envelope<M, D>,
  code: FailureEnvelope<M>['code'],
  mentions: ReadonlyArray<string | RegExp> = [],
): FailureEnvelope<M> {
  expect(envelope, `expected a ${code} failure`).toMatchObject({ success: false, code });
  const failure = envelope as FailureEnvelope<M>;
  expect(typeof failure.error, 'error must be a sentence').toBe('string');
  expect(failure.error.trim().length, 'error must not be empty').toBeGreaterThan(0);
  for (const mention of mentions) {
    const pattern = typeof mention === 'string' ? new RegExp(escapeRegExp(mention), 'i') : mention;
    expect(failure.error, `error should name ${String(mention)}`).toMatch(pattern);
  }
  return failure;
}

/** Escapes a string for use in a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, the one timestamp format of stored events. */
export const CANONICAL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** An ISO 8601 date-time with `Z` or an offset. */
export const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** What "nothing was written" is checked against: stats and head position of an instance. */
export interface InstanceSnapshot {
  stats: InstanceStats;
  head: number;
  events: EventRecord[];
}

/** Reads an instance's stats, head position and events, to compare before and after a call. */
export async function snapshot(ctx: ConformanceContext, instanceId: string): Promise<InstanceSnapshot> {
  const [stats, head, events] = await Promise.all([
    ctx.stats(instanceId),
    ctx.log.store.headPosition(instanceId),
    ctx.readAll(instanceId),
  ]);
  return { stats, head, events };
}
