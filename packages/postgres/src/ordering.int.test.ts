import {
  appendRequest,
  describePostgres,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PostgresAdapter } from './index.js';
import { testAdapter } from './test/pg-env.js';

/** A gate the test opens by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Resolves to 'pending' if `promise` has not settled within `ms`. */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((r) => setTimeout(r, ms));
  return settled ? 'settled' : 'pending';
}

describePostgres('postgres global order within an instance', () => {
  const pg = usePostgres();
  const { schema } = pg;
  let holdFor: string | undefined;
  let held = gate();
  let reached = gate();
  let holding: PostgresAdapter;
  let other: PostgresAdapter;

  beforeAll(async () => {
    holding = testAdapter(pg, {
      hooks: {
        // Holds the append transaction of one instance open, after its insert, before its commit.
        beforeAppendCommit: async (info) => {
          if (info.instanceId !== holdFor) return;
          reached.open();
          await held.opened;
        },
      },
    });
    other = testAdapter(pg);
    await Promise.all([holding.ready(), other.ready()]);
  });

  // A held append must not keep the adapters from closing (usePostgres closes them after this).
  afterAll(() => held.open());

  async function visiblePositions(instanceId: string): Promise<number[]> {
    const rows = await pg.sql.unsafe<Array<{ global_position: number }>>(
      `select global_position from "${schema}".events where instance_id = $1 order by global_position`,
      [instanceId],
    );
    return rows.map((r) => r.global_position);
  }

  it('given an append transaction held open on instance X, when another append to X tries to commit, then it waits and commits after, with a larger position', async () => {
    const x = await freshInstance(other);
    const y = await freshInstance(other);
    holdFor = x.id;
    held = gate();
    reached = gate();

    // The first append takes X's lock, inserts (its position is assigned) and stops before commit.
    const first = holding.append(appendRequest(x.id, [newEvent({ streamId: 'a' })]));
    await reached.opened;

    // The second append to X, from another pool: it must wait for the first one's commit.
    const second = other.append(appendRequest(x.id, [newEvent({ streamId: 'b' })]));
    expect(await stateAfter(second, 400)).toBe('pending');
    // A reader sees neither: no position of X is visible while the earlier one is uncommitted.
    expect(await visiblePositions(x.id)).toEqual([]);

    // The lock is per instance: an append to Y commits meanwhile (positions across instances
    // need not become visible in order; within one they must).
    const onY = await other.append(appendRequest(y.id, [newEvent()]));
    expect(onY.events).toHaveLength(1);

    held.open();
    const [a, b] = await Promise.all([first, second]);
    const pa = a.events[0]?.global_position as number;
    const pb = b.events[0]?.global_position as number;
    expect(pa).toBeLessThan(pb);
    expect(await visiblePositions(x.id)).toEqual([pa, pb]);
    holdFor = undefined;
  });

  it('given writers in several pools appending to one instance, when a reader follows it by checkpoint, then no event ever commits behind the checkpoint', async () => {
    const x = await freshInstance(other);
    const writers = [holding, other, testAdapter(pg, { max: 4 }), testAdapter(pg, { max: 4 })];
    const seen = new Set<number>();
    let checkpoint = 0;
    let writing = true;
    let reads = 0;

    const follow = (async () => {
      while (writing || reads === 0) {
        const rows = await pg.sql.unsafe<Array<{ global_position: number }>>(
          `select global_position from "${schema}".events where instance_id = $1 and global_position > $2 order by global_position limit 50`,
          [x.id, checkpoint],
        );
        reads++;
        for (const r of rows) {
          seen.add(r.global_position);
          checkpoint = Math.max(checkpoint, r.global_position);
        }
      }
    })();

    await Promise.all(
      writers.map(async (w, wi) => {
        for (let i = 0; i < 40; i++) {
          await Promise.all(
            Array.from({ length: 3 }, (_, k) =>
              w.append(appendRequest(x.id, [newEvent({ streamId: `w${wi}-${k}`, payload: { i } })])),
            ),
          );
        }
      }),
    );
    writing = false;
    await follow;
    await Promise.all(writers.slice(2).map((w) => w.close()));

    const all = await visiblePositions(x.id);
    expect(all).toHaveLength(4 * 40 * 3);
    // Everything at or below the last checkpoint was seen when the reader passed it: nothing
    // committed later with a smaller position.
    const missed = all.filter((p) => p <= checkpoint && !seen.has(p));
    expect(missed).toEqual([]);
    expect(reads).toBeGreaterThan(1);
  });
});
