import {
  aggregateStream,
  createEventLog,
  type Decider,
  EventLogError,
  handleCommand,
  tryHandleCommand,
} from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

type CounterEvents = { Incremented: { by: number }; Reset: { reason?: string } };
type Counter = { value: number; resets: number };
type Command = { kind: 'add'; by: number } | { kind: 'reset' } | { kind: 'noop' } | { kind: 'refuse' };

const counter: Decider<Counter, Command, CounterEvents> = {
  initialState: () => ({ value: 0, resets: 0 }),
  evolve: (state, event) =>
    event.event_type === 'Incremented'
      ? { ...state, value: state.value + event.payload.by }
      : { value: 0, resets: state.resets + 1 },
  decide: (command, state) => {
    switch (command.kind) {
      case 'add':
        return { eventType: 'Incremented', payload: { by: command.by } };
      case 'reset':
        return state.value === 0 ? [] : { eventType: 'Reset', payload: { reason: 'manual' } };
      case 'noop':
        return undefined;
      case 'refuse':
        throw new Error('refused by the decider');
    }
  },
};

function setup() {
  return createEventLog<CounterEvents>({ adapter: memoryAdapter() });
}

/** Runs `count` "add 1" commands on one stream at once; settles each. */
function raceAdds(log: ReturnType<typeof setup>, count: number, maxRetries: number) {
  return Promise.allSettled(
    Array.from({ length: count }, () =>
      handleCommand(log, {
        instance: 'counters',
        streamId: 'hot',
        decider: counter,
        command: { kind: 'add', by: 1 },
        maxRetries,
      }),
    ),
  );
}

describe('aggregateStream', () => {
  it('given a missing instance, then it is the initial state at version 0', async () => {
    const log = setup();
    const result = await aggregateStream(log, { instance: 'nope', streamId: 's', ...counter });
    expect(result).toEqual({ state: { value: 0, resets: 0 }, version: 0 });
  });

  it('given more events than a page, when rebuilt, then every event of the stream (and only it) is folded', async () => {
    const log = setup();
    const events = Array.from({ length: 25 }, (_, i) => ({
      eventType: 'Incremented' as const,
      payload: { by: i },
    }));
    await log.store.appendEvents({ instanceId: 'c', autoCreateInstance: true, streamId: 'a', events });
    await log.store.appendEvents({ instanceId: 'c', streamId: 'b', events: events.slice(0, 3) });
    const result = await aggregateStream(log.store, {
      instance: 'c',
      streamId: 'a',
      pageSize: 7,
      ...counter,
    });
    expect(result).toEqual({ state: { value: 300, resets: 0 }, version: 25 });
  });
});

describe('handleCommand', () => {
  it('given commands, when handled, then events are stored and the new state and version come back', async () => {
    const log = setup();
    const first = await handleCommand(log, {
      instance: 'counters',
      streamId: 'c-1',
      decider: counter,
      command: { kind: 'add', by: 5 },
      autoCreateInstance: true,
    });
    expect(first.state).toEqual({ value: 5, resets: 0 });
    expect(first.version).toBe(1);
    expect(first.events.map((e) => e.event_type)).toEqual(['Incremented']);
    const second = await handleCommand(log, {
      instance: 'counters',
      streamId: 'c-1',
      decider: counter,
      command: { kind: 'reset' },
    });
    expect(second).toMatchObject({ state: { value: 0, resets: 1 }, version: 2 });
  });

  it('given a decision with no events, then nothing is written', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    for (const command of [{ kind: 'noop' }, { kind: 'reset' }] as const) {
      const result = await handleCommand(log, {
        instance: 'counters',
        streamId: 'c',
        decider: counter,
        command,
      });
      expect(result).toEqual({ state: { value: 0, resets: 0 }, version: 0, events: [] });
    }
    expect((await log.store.getInstanceStats('counters')).eventCount).toBe(0);
  });

  it('given a decider that refuses, then its error propagates and nothing is written', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    await expect(
      handleCommand(log, {
        instance: 'counters',
        streamId: 'c',
        decider: counter,
        command: { kind: 'refuse' },
      }),
    ).rejects.toThrow('refused by the decider');
    expect((await log.store.getInstanceStats('counters')).eventCount).toBe(0);
  });

  it('given 10 racing commands with retries, then all succeed and none is lost', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const outcomes = await raceAdds(log, 10, 10);
    const results = outcomes.map((o) => {
      if (o.status === 'rejected') throw o.reason;
      return o.value;
    });
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const final = await aggregateStream(log, { instance: 'counters', streamId: 'hot', ...counter });
    expect(final).toEqual({ state: { value: 10, resets: 0 }, version: 10 });
  });

  it('given 20 concurrent commands on one stream with the default retries, then all succeed', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        handleCommand(log, {
          instance: 'counters',
          streamId: 'hot',
          decider: counter,
          command: { kind: 'add', by: 1 },
        }),
      ),
    );
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('given racing commands without retries, then the losers fail with CONFLICT and only winners are stored', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const outcomes = await raceAdds(log, 5, 0);
    const failed = outcomes.filter((o) => o.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      const reason = (f as PromiseRejectedResult).reason;
      expect(EventLogError.isInstance(reason) && reason.code).toBe('CONFLICT');
    }
    const stored = await aggregateStream(log, { instance: 'counters', streamId: 'hot', ...counter });
    expect(stored.version).toBe(outcomes.length - failed.length);
  });
});

describe('tryHandleCommand', () => {
  const run = (log: ReturnType<typeof setup>, command: Command, extra: { maxRetries?: number } = {}) =>
    tryHandleCommand(log, { instance: 'counters', streamId: 'c', decider: counter, command, ...extra });

  it('given a command, when handled, then a success envelope carries state, version and events', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const res = await run(log, { kind: 'add', by: 2 });
    expect(res).toMatchObject({
      type: 'eventLog.handleCommand',
      success: true,
      data: { state: { value: 2, resets: 0 }, version: 1, events: [{ event_type: 'Incremented' }] },
    });
    expect(typeof res.requestId).toBe('string');
    expect(typeof res.timestamp).toBe('string');
  });

  it('given a decider that refuses, then a VALIDATION_ERROR envelope with its message (reason: rejected), nothing written', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const res = await run(log, { kind: 'refuse' });
    expect(res).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      error: 'refused by the decider',
      details: { reason: 'rejected' },
    });
    expect((await aggregateStream(log, { instance: 'counters', streamId: 'c', ...counter })).version).toBe(0);
  });

  it('given a missing instance, then NOT_FOUND; given bad options, then VALIDATION_ERROR; it never rejects', async () => {
    const log = setup();
    expect(await run(log, { kind: 'add', by: 1 })).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect(await run(log, { kind: 'add', by: 1 }, { maxRetries: -1 })).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      error: expect.stringMatching(/maxRetries must be an integer/),
    });
  });

  it('given racing commands without retries, then the losers get CONFLICT envelopes with the versions', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const results = await Promise.all(
      Array.from({ length: 5 }, () => run(log, { kind: 'add', by: 1 }, { maxRetries: 0 })),
    );
    const conflicts = results.filter((r) => !r.success);
    expect(conflicts.length).toBeGreaterThan(0);
    for (const c of conflicts) {
      expect(c).toMatchObject({
        code: 'CONFLICT',
        details: { streamId: 'c', actualVersion: expect.any(Number) },
      });
    }
  });

  it('given 16 concurrent commands on one stream with the default retries, then every envelope succeeds', async () => {
    const log = setup();
    await log.store.createInstance('counters');
    const results = await Promise.all(Array.from({ length: 16 }, () => run(log, { kind: 'add', by: 1 })));
    expect(results.every((r) => r.success)).toBe(true);
  });
});
