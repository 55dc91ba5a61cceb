import { randomUUID } from 'node:crypto';
import { type AppendOutcome, EventLogError } from '@eventlog/core';
import {
  appendRequest,
  describePostgres,
  expectVersion,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import type { AppendTransactionInfo, PostgresAdapter } from './index.js';
import { testAdapter } from './test/pg-env.js';

function codeOf(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === 'fulfilled') return 'OK';
  return EventLogError.isInstance(outcome.reason) ? outcome.reason.code : String(outcome.reason);
}

describePostgres('postgres appends under concurrency', () => {
  const pg = usePostgres();
  const { schema } = pg;
  const transactions: AppendTransactionInfo[] = [];
  let adapter: PostgresAdapter;
  let uncoalesced: PostgresAdapter;
  /** Separate pools on the same schema: contention through PostgreSQL, not the coalescer. */
  let others: PostgresAdapter[];

  beforeAll(async () => {
    adapter = testAdapter(pg, { hooks: { onAppendCommit: (info) => transactions.push(info) } });
    uncoalesced = testAdapter(pg, { coalesce: false });
    others = Array.from({ length: 4 }, () => testAdapter(pg, { max: 3 }));
    await Promise.all([adapter, uncoalesced, ...others].map((a) => a.ready()));
  });

  async function sequencesOf(instanceId: string, stream: string): Promise<number[]> {
    const rows = await adapter.sql.unsafe<Array<{ sequence_number: number; global_position: number }>>(
      `select sequence_number, global_position from "${schema}".events where instance_id = $1 and stream_id = $2 order by global_position`,
      [instanceId, stream],
    );
    return rows.map((r) => r.sequence_number);
  }

  it('given 50 parallel appends to one stream, when they commit, then the stream holds sequences 1..50 in position order', async () => {
    for (const [label, writers] of [
      ['one coalescing adapter', [adapter]],
      ['one adapter without coalescing', [uncoalesced]],
      ['four pools', others],
    ] as const) {
      const instance = await freshInstance(adapter);
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (writers[i % writers.length] as PostgresAdapter).append(
            appendRequest(instance.id, [newEvent({ streamId: 'race', payload: { i } })]),
          ),
        ),
      );
      const returned = outcomes.map((o) => o.events[0]?.sequence_number).sort((a, b) => (a ?? 0) - (b ?? 0));
      expect(returned, label).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await sequencesOf(instance.id, 'race'), label).toEqual(
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      const positions = outcomes.map((o) => o.events[0]?.global_position);
      expect(new Set(positions).size, label).toBe(50);
    }
  });

  it('given ten appends racing with expectedVersion 0, when they commit, then exactly one succeeds and nine get CONFLICT', async () => {
    for (const [label, writers] of [
      ['one coalescing adapter', [adapter]],
      ['four pools', others],
    ] as const) {
      const instance = await freshInstance(adapter);
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          (writers[i % writers.length] as PostgresAdapter).append(
            appendRequest(instance.id, [newEvent({ streamId: 'order-1' })], {
              expectedVersion: expectVersion(0),
            }),
          ),
        ),
      );
      expect(
        outcomes.filter((o) => o.status === 'fulfilled'),
        label,
      ).toHaveLength(1);
      const conflicts = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(conflicts.map(codeOf), label).toEqual(Array(9).fill('CONFLICT'));
      for (const c of conflicts) {
        expect((c.reason as EventLogError).details).toEqual({
          streamId: 'order-1',
          expectedVersion: 0,
          actualVersion: 1,
        });
      }
      expect(await sequencesOf(instance.id, 'order-1'), label).toEqual([1]);
    }
  });

  it('given 16 concurrent single appends, when they commit, then they share a few transactions, each call with its own result', async () => {
    const instance = await freshInstance(adapter);
    // Warm up so the burst does not wait on connection setup.
    await adapter.append(appendRequest(instance.id, [newEvent({ streamId: 'warm' })]));
    transactions.length = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        adapter.append(appendRequest(instance.id, [newEvent({ streamId: `s-${i}`, payload: { i } })])),
      ),
    );
    const ours = transactions.filter((t) => t.instanceId === instance.id);
    expect(ours.reduce((n, t) => n + t.events, 0)).toBe(16);
    expect(ours.length).toBeLessThanOrEqual(3);
    outcomes.forEach((o, i) => {
      expect(o.events).toHaveLength(1);
      expect(o.events[0]).toMatchObject({ stream_id: `s-${i}`, payload: { i }, sequence_number: 1 });
    });
  });

  it('given one group mixing conflicts, duplicates and plain appends, when it commits, then each call gets its own outcome', async () => {
    const instance = await freshInstance(adapter);
    const stored = await adapter.append(
      appendRequest(instance.id, [newEvent({ streamId: 'a', eventId: 'known' })]),
    );
    transactions.length = 0;
    const calls = [
      appendRequest(instance.id, [newEvent({ streamId: 'a' })], { expectedVersion: expectVersion(1) }), // ok → a@2
      appendRequest(instance.id, [newEvent({ streamId: 'a' })], { expectedVersion: expectVersion(1) }), // conflict
      appendRequest(instance.id, [newEvent({ streamId: 'a', eventId: 'known' })]), // duplicate
      appendRequest(instance.id, [newEvent({ streamId: 'a' })], { expectedVersion: expectVersion(2) }), // ok → a@3
      appendRequest(instance.id, [
        newEvent({ streamId: 'b', eventId: 'known' }),
        newEvent({ streamId: 'b' }),
      ]), // partial duplicate
      appendRequest(instance.id, [newEvent({ streamId: 'b' }), newEvent({ streamId: 'b' })]), // ok → b@1,2
    ];
    const outcomes = await Promise.allSettled(calls.map((c) => adapter.append(c)));
    expect(outcomes.map(codeOf)).toEqual(['OK', 'CONFLICT', 'OK', 'OK', 'CONFLICT', 'OK']);
    const value = (i: number) => (outcomes[i] as PromiseFulfilledResult<AppendOutcome>).value;
    expect(value(0).events[0]?.sequence_number).toBe(2);
    expect(value(2)).toEqual({ duplicate: true, events: stored.events });
    expect(value(3).events[0]?.sequence_number).toBe(3);
    expect(value(5).events.map((e) => e.sequence_number)).toEqual([1, 2]);
    expect(((outcomes[4] as PromiseRejectedResult).reason as EventLogError).details).toMatchObject({
      reason: 'partial_duplicate',
    });
    expect(await sequencesOf(instance.id, 'a')).toEqual([1, 2, 3]);
    expect(await sequencesOf(instance.id, 'b')).toEqual([1, 2]);
    // All six went in one or two transactions.
    expect(transactions.filter((t) => t.instanceId === instance.id).length).toBeLessThanOrEqual(2);
  });

  it('given two concurrent appends with the same new eventId, when they commit, then one stores it and the other gets it back as a duplicate', async () => {
    const instance = await freshInstance(adapter);
    const [first, second] = await Promise.all([
      adapter.append(appendRequest(instance.id, [newEvent({ eventId: 'once' })])),
      others[0]?.append(appendRequest(instance.id, [newEvent({ eventId: 'once' })])),
      adapter.append(appendRequest(instance.id, [newEvent({ eventId: 'once' })])),
    ]);
    const all = [first, second] as AppendOutcome[];
    expect(all.filter((o) => !o.duplicate).length).toBeLessThanOrEqual(1);
    const ids = new Set(all.map((o) => o.events[0]?.id));
    expect(ids.size).toBe(1);
    expect(await sequencesOf(instance.id, 's1')).toEqual([1]);
  });

  it('given appends racing to auto-create one instance from several pools, when they commit, then one instance holds all events', async () => {
    const name = `auto-${randomUUID()}`;
    const writers = [adapter, ...others];
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (writers[i % writers.length] as PostgresAdapter).append(
          appendRequest(name, [newEvent({ streamId: 'x' })], { autoCreate: true }),
        ),
      ),
    );
    expect(new Set(outcomes.map((o) => o.events[0]?.instanceId))).toEqual(new Set([name]));
    expect((await adapter.listInstances()).filter((i) => i.name === name)).toHaveLength(1);
    expect(await sequencesOf(name, 'x')).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('given a group where PostgreSQL refuses one call, when it runs, then only that call fails and the others commit', async () => {
    const instance = await freshInstance(adapter);
    // jsonb refuses \u0000; the facade never lets it through, which is why it makes a good
    // stand-in for an insert the database rejects.
    const outcomes = await Promise.allSettled([
      adapter.append(appendRequest(instance.id, [newEvent({ payload: { ok: 1 } })])),
      adapter.append(appendRequest(instance.id, [newEvent({ payload: { bad: 'nul\u0000' } })])),
      adapter.append(appendRequest(instance.id, [newEvent({ payload: { ok: 2 } })])),
    ]);
    expect(outcomes.map(codeOf)).toEqual(['OK', 'STORAGE_ERROR', 'OK']);
    const bad = (outcomes[1] as PromiseRejectedResult).reason as EventLogError;
    expect(bad.cause).toBeDefined();
    expect(await sequencesOf(instance.id, 's1')).toEqual([1, 2]);
  });

  it('given calls with exact versions submitted in order, when they share a group, then each sees the version the one before left', async () => {
    const instance = await freshInstance(adapter);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        adapter.append(
          appendRequest(instance.id, [newEvent({ streamId: 'chain' })], {
            expectedVersion: expectVersion(i),
          }),
        ),
      ),
    );
    expect(outcomes.map((o) => o.events[0]?.sequence_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
