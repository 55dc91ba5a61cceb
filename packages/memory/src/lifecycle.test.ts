import { aggregateStream, createEventLog, type Decider, handleCommand } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

type Events = { Added: { n: number } };
const sum: Decider<{ total: number }, { n: number }, Events> = {
  initialState: () => ({ total: 0 }),
  evolve: (state, event) => ({ total: state.total + event.payload.n }),
  decide: (command) => ({ eventType: 'Added', payload: { n: command.n } }),
};

describe('memory: aggregates over streams with invisible history', () => {
  it('given a deleted stream, when a command runs on it, then it starts from the initial state and continues after the stream’s version', async () => {
    const clock = { ms: Date.UTC(2024, 0, 1) };
    const log = createEventLog<Events>({ adapter: memoryAdapter(), now: () => clock.ms });
    const run = (n: number) =>
      handleCommand(log, {
        instance: 'sums',
        streamId: 's',
        decider: sum,
        command: { n },
        autoCreateInstance: true,
      });
    await run(1);
    await run(2);
    expect((await log.store.deleteStream({ instanceId: 'sums', streamId: 's' })).version).toBe(2);
    const after = await run(5);
    expect(after).toMatchObject({ state: { total: 5 }, version: 3 });
    expect(after.events.map((e) => e.sequence_number)).toEqual([3]);
    expect(await aggregateStream(log, { instance: 'sums', streamId: 's', ...sum })).toEqual({
      state: { total: 5 },
      version: 3,
    });
  });

  it('given a stream whose events all expired, when a command runs on it, then it continues after the stream’s version', async () => {
    const clock = { ms: Date.UTC(2024, 0, 1) };
    const log = createEventLog<Events>({ adapter: memoryAdapter(), now: () => clock.ms });
    const run = (n: number) =>
      handleCommand(log, {
        instance: 'sums',
        streamId: 's',
        decider: sum,
        command: { n },
        autoCreateInstance: true,
      });
    await run(1);
    await run(2);
    await log.store.setRetention({ instanceId: 'sums', maxAgeMs: 60_000 });
    clock.ms += 120_000;
    expect((await aggregateStream(log, { instance: 'sums', streamId: 's', ...sum })).version).toBe(0);
    const result = await run(7);
    expect(result).toMatchObject({ state: { total: 7 }, version: 3 });
  });

  it('given a truncated stream, then aggregates fold what remains and commands continue', async () => {
    const log = createEventLog<Events>({ adapter: memoryAdapter() });
    for (const n of [1, 2, 3]) {
      await handleCommand(log, {
        instance: 'sums',
        streamId: 's',
        decider: sum,
        command: { n },
        autoCreateInstance: true,
      });
    }
    await log.store.truncateStream({ instanceId: 'sums', streamId: 's', before: 3 });
    const result = await handleCommand(log, {
      instance: 'sums',
      streamId: 's',
      decider: sum,
      command: { n: 10 },
    });
    expect(result).toMatchObject({ state: { total: 13 }, version: 4 });
  });
});

describe('memory: forgetting a subject drops the snapshots that may hold their data', () => {
  it('given a snapshot of a stream with personal data, when the subject is forgotten, then the snapshot is deleted and the state is folded again, erased', async () => {
    type Profile = { email: string | null };
    type ProfileEvents = { EmailSet: { email: string } };
    const profile: Decider<Profile, { email: string }, ProfileEvents> = {
      initialState: () => ({ email: null }),
      evolve: (_state, event) => ({ email: event.payload.email }),
      decide: (command) => ({ eventType: 'EmailSet', payload: { email: command.email } }),
    };
    const adapter = memoryAdapter();
    const log = createEventLog<ProfileEvents>({ adapter });
    await log.store.createInstance('profiles');
    // Events marked personal (decide returns plain events; mark them with an append of our own).
    await log.store.appendEvent({
      instanceId: 'profiles',
      streamId: 'user-1',
      eventType: 'EmailSet',
      payload: { email: 'ada@example.com' },
      metadata: { subject: 'user-1', personal: ['payload.email'] },
    });
    await log.store.appendEvent({
      instanceId: 'profiles',
      streamId: 'other',
      eventType: 'EmailSet',
      payload: { email: 'x' },
    });
    for (const streamId of ['user-1', 'other']) {
      await aggregateStream(log, { instance: 'profiles', streamId, ...profile, snapshot: { every: 1 } });
    }
    const keys = async () => (await adapter.kv.list('eventlog.snapshots')).map((e) => JSON.parse(e.key)[1]);
    expect((await keys()).sort()).toEqual(['other', 'user-1']);
    expect(JSON.stringify(await adapter.kv.list('eventlog.snapshots'))).toContain('ada@example.com');
    await log.store.forgetSubject('user-1');
    expect(await keys()).toEqual(['other']);
    const { state } = await aggregateStream(log, {
      instance: 'profiles',
      streamId: 'user-1',
      ...profile,
      snapshot: { every: 1 },
    });
    expect(state).toEqual({ email: '[erased]' });
  });
});
