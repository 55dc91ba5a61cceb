/**
 * The per-instance stream count (`instance_stream_counts`, migration 0006) on every insert path:
 * after each append, the counter equals the number of distinct streams the instance's events
 * hold — new streams counted once, appends to existing streams not counted again, batches spanning
 * several streams counted per stream.
 */

import type { PostgresTestEnv } from '@eventlog/test-support';
import {
  appendRequest,
  describePostgres,
  expectVersion,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { recordStatements, statementKinds, testAdapter } from './test/pg-env.js';

/** The counter's value (0 without a row) and the streams the instance's events hold. */
async function streamCounts(pg: PostgresTestEnv, instanceId: string) {
  const [row] = await pg.sql.unsafe<Array<{ counter: string; actual: string }>>(
    `select coalesce((select n from "${pg.schema}".instance_stream_counts where instance_id = $1), 0) as counter,
       (select count(distinct stream_id) from "${pg.schema}".events where instance_id = $1) as actual`,
    [instanceId],
  );
  return { counter: Number(row?.counter), actual: Number(row?.actual) };
}

/** Asserts the counter is exact and holds `expected` streams. */
async function expectStreams(pg: PostgresTestEnv, instanceId: string, expected: number) {
  expect(await streamCounts(pg, instanceId)).toEqual({ counter: expected, actual: expected });
}

const INSERTS = new Set(['append-one', 'insert-checked', 'insert-unconditional', 'insert', 'copy', 'copied']);

/** Short names of the insert statements an append sent. */
function inserts(statements: string[]): string[] {
  return statementKinds(statements).filter((kind) => INSERTS.has(kind));
}

describePostgres('postgres stream counts', () => {
  const pg = usePostgres();
  let adapter: PostgresAdapter;
  /** Every lone call goes through a transaction (a hook holds it): the statements' paths. */
  let hooked: PostgresAdapter;
  let copying: PostgresAdapter;

  beforeAll(async () => {
    adapter = testAdapter(pg);
    hooked = testAdapter(pg, { hooks: { beforeAppendCommit: () => {} } });
    copying = testAdapter(pg, { copyMinEvents: 5 });
    await Promise.all([adapter.ready(), hooked.ready(), copying.ready()]);
  });

  it('given lone appends (the append_events function), then new streams are counted once, existing ones not again', async () => {
    const instance = await freshInstance(adapter);
    await expectStreams(pg, instance.id, 0);
    const recorder = recordStatements(adapter);
    try {
      await adapter.append(appendRequest(instance.id, [newEvent({ streamId: 'a' })]));
      await expectStreams(pg, instance.id, 1);
      await adapter.append(
        appendRequest(instance.id, [newEvent({ streamId: 'a' }), newEvent({ streamId: 'a' })]),
      );
      await expectStreams(pg, instance.id, 1);
      // One call spanning an existing stream and two new ones, with tags.
      await adapter.append(
        appendRequest(instance.id, [
          newEvent({ streamId: 'b', tags: ['t:1'] }),
          newEvent({ streamId: 'a' }),
          newEvent({ streamId: 'c' }),
          newEvent({ streamId: 'b' }),
        ]),
      );
      await expectStreams(pg, instance.id, 3);
      // Checked inside the function: an exact expectedVersion, then a condition.
      await adapter.append(
        appendRequest(instance.id, [newEvent({ streamId: 'a' })], { expectedVersion: expectVersion(4) }),
      );
      await adapter.append(
        appendRequest(instance.id, [newEvent({ streamId: 'd' })], { expectedVersion: expectVersion(0) }),
      );
      await adapter.append({
        ...appendRequest(instance.id, [newEvent({ streamId: 'e' })]),
        condition: { items: [{ types: ['Other'] }], after: 0 },
      });
      await expectStreams(pg, instance.id, 5);
      expect(new Set(inserts(recorder.statements))).toEqual(new Set(['append-one']));
    } finally {
      recorder.stop();
    }
    // A failed check writes nothing, the counter neither.
    await expect(
      adapter.append(
        appendRequest(instance.id, [newEvent({ streamId: 'f' })], { expectedVersion: expectVersion(3) }),
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expectStreams(pg, instance.id, 5);
    // What getInstanceStats reports (it reads the counter).
    expect(await adapter.stats(instance.id)).toMatchObject({ streamCount: 5, eventCount: 10 });
  });

  it('given concurrent appends to one instance (a coalesced group), then each stream is counted once', async () => {
    const instance = await freshInstance(adapter);
    await adapter.append(appendRequest(instance.id, [newEvent({ streamId: 'old' })]));
    const recorder = recordStatements(adapter);
    try {
      // Calls submitted together go in one group (the first may run alone: the rest still group).
      await Promise.all(
        Array.from({ length: 8 }, (_, k) =>
          adapter.append(
            appendRequest(instance.id, [
              newEvent({ streamId: 'old' }),
              newEvent({ streamId: 'shared', ...(k % 2 === 0 ? { tags: ['t:x'] } : {}) }),
              newEvent({ streamId: `own-${k}` }),
              newEvent({ streamId: 'shared' }),
            ]),
          ),
        ),
      );
      expect(inserts(recorder.statements)).toContain('insert-unconditional');
    } finally {
      recorder.stop();
    }
    // old, shared and own-0..own-7.
    await expectStreams(pg, instance.id, 10);
  });

  it('given the transaction paths of a lone call (unconditional, checked, with an eventId, auto-created), then the counter is exact after each', async () => {
    const instance = await freshInstance(hooked);
    const recorder = recordStatements(hooked);
    try {
      await hooked.append(
        appendRequest(instance.id, [newEvent({ streamId: 'a' }), newEvent({ streamId: 'b' })]),
      );
      await hooked.append(
        appendRequest(instance.id, [newEvent({ streamId: 'a', tags: ['t:1'] }), newEvent({ streamId: 'c' })]),
      );
      await expectStreams(pg, instance.id, 3);
      expect(inserts(recorder.statements)).toEqual(['insert-unconditional', 'insert-unconditional']);
      recorder.statements.length = 0;

      // Checked: an exact expectedVersion on an existing stream, then one creating a stream.
      await hooked.append(
        appendRequest(instance.id, [newEvent({ streamId: 'a' }), newEvent({ streamId: 'd' })], {
          expectedVersion: { check: { kind: 'any' }, raw: 'any' },
          condition: { items: [{ types: ['Other'] }], after: 0 },
        }),
      );
      await hooked.append(
        appendRequest(instance.id, [newEvent({ streamId: 'b', tags: ['t:2'] })], {
          expectedVersion: expectVersion(1),
        }),
      );
      await hooked.append(
        appendRequest(instance.id, [newEvent({ streamId: 'e' }), newEvent({ streamId: 'e' })], {
          expectedVersion: expectVersion(0),
        }),
      );
      await expectStreams(pg, instance.id, 5);
      expect(inserts(recorder.statements)).toEqual(['insert-checked', 'insert-checked', 'insert-checked']);
      recorder.statements.length = 0;

      // The general path: an eventId, with and without tags.
      await hooked.append(appendRequest(instance.id, [newEvent({ streamId: 'f', eventId: 'e-1' })]));
      await hooked.append(
        appendRequest(instance.id, [
          newEvent({ streamId: 'f', eventId: 'e-2', tags: ['t:3'] }),
          newEvent({ streamId: 'g' }),
          newEvent({ streamId: 'a' }),
        ]),
      );
      await expectStreams(pg, instance.id, 7);
      expect(inserts(recorder.statements)).toEqual(['insert', 'insert']);
    } finally {
      recorder.stop();
    }

    // Auto-created by the append: the general path.
    const name = `auto-${instance.id}`;
    const created = await adapter.append(
      appendRequest(
        name,
        [newEvent({ streamId: 'x' }), newEvent({ streamId: 'y' }), newEvent({ streamId: 'x' })],
        {
          autoCreate: true,
        },
      ),
    );
    await expectStreams(pg, created.events[0]?.instanceId as string, 2);
  });

  it('given batches large enough for COPY, then streams whose every event the COPY wrote are counted, the others not again', async () => {
    const instance = await freshInstance(copying);
    await copying.append(appendRequest(instance.id, [newEvent({ streamId: 'old' })]));
    await expectStreams(pg, instance.id, 1);
    const recorder = recordStatements(copying);
    try {
      await copying.append(
        appendRequest(
          instance.id,
          Array.from({ length: 12 }, (_, k) =>
            newEvent({
              streamId: ['old', 'n1', 'n2', 'n1'][k % 4] as string,
              ...(k % 3 === 0 ? { tags: ['t'] } : {}),
            }),
          ),
        ),
      );
      await expectStreams(pg, instance.id, 3);
      // Only existing streams: nothing new.
      await copying.append(
        appendRequest(
          instance.id,
          Array.from({ length: 6 }, (_, k) => newEvent({ streamId: k % 2 === 0 ? 'n2' : 'old' })),
        ),
      );
      await expectStreams(pg, instance.id, 3);
      // With an exact expectedVersion and eventIds, one new stream.
      await copying.append(
        appendRequest(
          instance.id,
          Array.from({ length: 6 }, (_, k) => newEvent({ streamId: 'n3', eventId: `c-${k}` })),
          { expectedVersion: expectVersion(0) },
        ),
      );
      await expectStreams(pg, instance.id, 4);
      // Coalesced calls adding up to a COPY.
      await Promise.all(
        Array.from({ length: 4 }, (_, k) =>
          copying.append(
            appendRequest(instance.id, [
              newEvent({ streamId: 'n1' }),
              newEvent({ streamId: `g-${k % 2}` }),
              newEvent({ streamId: 'n4' }),
            ]),
          ),
        ),
      );
      await expectStreams(pg, instance.id, 7);
      expect(inserts(recorder.statements).filter((k) => k === 'copy').length).toBeGreaterThanOrEqual(3);
      expect(inserts(recorder.statements)).toContain('copied');
    } finally {
      recorder.stop();
    }
  });
});
