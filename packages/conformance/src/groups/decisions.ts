/**
 * The decision helpers of `@eventlog/core` over this adapter (SPEC §10): `handleCommand` under
 * contention with its default retries, `decide` across streams never breaking its invariant under
 * racing writers, snapshots stored in this backend, and upcasting on read.
 */

import {
  aggregateStream,
  type BoundaryDecider,
  type Decider,
  decide,
  type EventLog,
  type EventMap,
  handleCommand,
  SNAPSHOT_NAMESPACE,
  type Upcaster,
} from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, useContext } from '../context.js';

type CounterEvents = { Added: { by: number } };
const counter: Decider<{ total: number; count: number }, { by: number }, CounterEvents> = {
  initialState: () => ({ total: 0, count: 0 }),
  evolve: (s, e) => ({ total: s.total + e.payload.by, count: s.count + 1 }),
  decide: (command) => ({ eventType: 'Added', payload: { by: command.by } }),
};

type SeatEvents = { Opened: { seats: number }; Booked: { who: string } };
type Seats = { seats: number; booked: number };
const book: BoundaryDecider<Seats, { show: string; who: string }, SeatEvents> = {
  boundary: ({ show }) => [{ tags: [`show:${show}`] }],
  initialState: () => ({ seats: 0, booked: 0 }),
  evolve: (s, e) =>
    e.event_type === 'Opened' ? { ...s, seats: e.payload.seats } : { ...s, booked: s.booked + 1 },
  decide: ({ show, who }, s) => {
    if (s.booked >= s.seats) throw new Error(`Show ${show} is sold out.`);
    return {
      streamId: `booking-${who}`,
      eventType: 'Booked',
      payload: { who },
      tags: [`show:${show}`, `guest:${who}`],
    };
  },
};

/** The suite's untyped log, typed with an event map. */
const typed = <E extends EventMap>(log: EventLog): EventLog<E> => log as unknown as EventLog<E>;

/** Registers the `decisions` group. */
export function registerDecisionTests(holder: ContextHolder): void {
  test.each([8, 16])(
    'given %i concurrent commands on one stream, when handled with the default retries, then all succeed and none is lost',
    async (writers) => {
      const ctx = useContext(holder);
      const inst = await ctx.newInstance(`cmd-race-${writers}`);
      const results = await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          handleCommand(typed<CounterEvents>(ctx.log), {
            instance: inst.id,
            streamId: 'hot',
            decider: counter,
            command: { by: i + 1 },
          }),
        ),
      );
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: writers }, (_, i) => i + 1),
      );
      const final = await aggregateStream(typed<CounterEvents>(ctx.log), {
        instance: inst.id,
        streamId: 'hot',
        ...counter,
      });
      expect(final).toEqual({
        state: { total: (writers * (writers + 1)) / 2, count: writers },
        version: writers,
      });
    },
  );

  test('given 10 concurrent bookings for a show of 3 seats, when decided, then exactly 3 succeed and it is never overbooked', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('dcb-race');
    expect(
      (
        await ctx.log.appendEvent({
          instanceId: inst.id,
          streamId: 'show-s1',
          eventType: 'Opened',
          payload: { seats: 3 },
          tags: ['show:s1'],
        })
      ).success,
    ).toBe(true);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        decide(typed<SeatEvents>(ctx.log), {
          instance: inst.id,
          decider: book,
          command: { show: 's1', who: `g${i}` },
        }),
      ),
    );
    const booked = outcomes.filter((o) => o.status === 'fulfilled');
    expect(booked).toHaveLength(3);
    for (const o of outcomes.filter((x) => x.status === 'rejected')) {
      expect(String((o as PromiseRejectedResult).reason)).toContain('sold out');
    }
    const stats = await ctx.stats(inst.id);
    expect(stats.eventTypes).toEqual({ Opened: 1, Booked: 3 });
  });

  test('given a snapshot policy, when commands run and the stream is rebuilt, then the snapshot is in this backend and the state is the same', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('snap');
    for (let i = 1; i <= 7; i++) {
      await handleCommand(typed<CounterEvents>(ctx.log), {
        instance: inst.id,
        streamId: 's',
        decider: counter,
        command: { by: i },
        snapshot: { every: 3 },
      });
    }
    const snapshots = await ctx.adapter.kv.list(SNAPSHOT_NAMESPACE);
    expect(snapshots.filter((s) => s.key.includes(inst.id))).toHaveLength(1);
    const withSnapshot = await aggregateStream(typed<CounterEvents>(ctx.log), {
      instance: inst.id,
      streamId: 's',
      ...counter,
      snapshot: { every: 3 },
    });
    const without = await aggregateStream(typed<CounterEvents>(ctx.log), {
      instance: inst.id,
      streamId: 's',
      ...counter,
    });
    expect(withSnapshot).toEqual(without);
    expect(without).toEqual({ state: { total: 28, count: 7 }, version: 7 });
  });

  test('given a v1 event, when folded with upcasters, then evolve sees the current schema and queries the stored one', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('upcast');
    expect(
      (
        await ctx.log.appendEvent({
          instanceId: inst.id,
          streamId: 's',
          eventType: 'Added',
          payload: { amount: '5' },
        })
      ).success,
    ).toBe(true);
    const upcasters: Upcaster<CounterEvents>[] = [
      { eventType: 'Added', fromVersion: 1, upcast: (p) => ({ by: Number(p.amount) }) },
    ];
    const { state } = await aggregateStream(typed<CounterEvents>(ctx.log), {
      instance: inst.id,
      streamId: 's',
      ...counter,
      upcasters,
    });
    expect(state).toEqual({ total: 5, count: 1 });
    const stored = await ctx.readAll(inst.id);
    expect(stored[0]?.payload).toEqual({ amount: '5' });
  });
}
