import type { AppendRequest, NewEvent } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { decideAppends, isEmptyMetadata, type PendingAppend } from './append-decisions.js';

const T = '2026-01-01T00:00:00.000Z';

function call(streams: string[], extra: Partial<AppendRequest> = {}): PendingAppend {
  const events: NewEvent[] = streams.map((streamId, i) => ({
    id: `${streamId}-${i}`,
    streamId,
    eventType: 'e',
    payload: {},
    metadata: {},
    timestamp: T,
  }));
  const request: AppendRequest = { instance: 'i', autoCreate: false, now: T, events, ...extra };
  return { request, resolve: () => {}, reject: () => {} };
}

const exact = (streamId: string, version: number) => ({
  streamId,
  check: { kind: 'exact' as const, version },
  raw: version,
});

describe('decideAppends', () => {
  it('given a call interleaving streams, then the calls after it see each stream at its last row', () => {
    const group = [
      call(['a', 'b', 'a', 'a', 'b', 'b']),
      call(['a'], { versionChecks: [exact('a', 4)] }),
      call(['b'], { versionChecks: [exact('b', 3)] }),
      call(['b'], { versionChecks: [exact('b', 3)] }), // b is at 4 by now: a CONFLICT of its own
    ];
    const plan = decideAppends(group, { stored: new Map(), versions: new Map([['a', 1]]) });
    expect(plan.rows.map((r) => `${r.event.streamId}${r.sequence}`)).toEqual([
      'a2',
      'b1',
      'a3',
      'a4',
      'b2',
      'b3',
      'a5',
      'b4',
    ]);
    expect(plan.decisions.map((d) => d.kind)).toEqual(['insert', 'insert', 'insert', 'error']);
    const failed = plan.decisions[3];
    expect(failed?.kind === 'error' && (failed.error as { details?: unknown }).details).toMatchObject({
      streamId: 'b',
      expectedVersion: 3,
      actualVersion: 4,
    });
  });
});

describe('isEmptyMetadata', () => {
  it('is true for {} only', () => {
    expect(isEmptyMetadata({})).toBe(true);
    expect(isEmptyMetadata({ a: 1 })).toBe(false);
    expect(isEmptyMetadata({ a: undefined })).toBe(false);
    expect(isEmptyMetadata(Object.create(null))).toBe(true);
  });
});
