/**
 * Builders for adapter-level tests: the requests the facade normally builds from validated input
 * (`NewEvent`, `AppendRequest`, `expectedVersion`, new instances), so an adapter can be called
 * directly.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AppendRequest,
  EventLogError,
  type ExpectedVersion,
  type Instance,
  type NewEvent,
  type StorageAdapter,
  toVersionCheck,
} from '@eventlog/core';

/** The time of every built event and request: 2024-01-01T00:00:00.000Z. */
export const T0 = '2024-01-01T00:00:00.000Z';

/** A valid new event (stream `s1`, type `Happened`, empty payload, at {@link T0}) with `overrides`. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    id: randomUUID(),
    streamId: 's1',
    eventType: 'Happened',
    payload: {},
    metadata: {},
    timestamp: T0,
    ...overrides,
  };
}

/** An append request for `instance` (an id or a name), without auto-creation, at {@link T0}. */
export function appendRequest(
  instance: string,
  events: NewEvent[],
  options: Partial<AppendRequest> = {},
): AppendRequest {
  return { instance, autoCreate: false, now: T0, events, ...options };
}

/** `expectedVersion` of a request, as the facade normalizes it. */
export function expectVersion(raw: ExpectedVersion): AppendRequest['expectedVersion'] {
  return { check: toVersionCheck(raw), raw };
}

/** The {@link EventLogError} a promise rejects with; fails when it resolves or rejects with something else. */
export async function errorOf(promise: Promise<unknown>): Promise<EventLogError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!EventLogError.isInstance(error)) throw new Error(`expected an EventLogError, got ${String(error)}`);
  return error;
}

/** Creates an instance named `<prefix>-<8 hex digits>` through the adapter and returns it. */
export async function freshInstance(adapter: StorageAdapter, prefix = 'inst'): Promise<Instance> {
  return adapter.createInstance({
    id: randomUUID(),
    name: `${prefix}-${randomBytes(4).toString('hex')}`,
    createdAt: T0,
  });
}
