/**
 * Instances: create, get (by id and by name), list, update, delete, and references by name on
 * every method (SPEC §3).
 */

import { expect, test } from 'vitest';
import { type ContextHolder, expectFailure, expectOk, ISO_TIMESTAMP, sleep, useContext } from '../context.js';

/** Registers the `instances` group. */
export function registerInstanceTests(holder: ContextHolder): void {
  test('given a new name, when creating an instance, then it has an id, the name, the description and equal ISO timestamps', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('inst');
    const { instance } = expectOk(await ctx.log.createInstance(name, 'Logs user actions'));
    expect(typeof instance.id).toBe('string');
    expect(instance.id.length).toBeGreaterThan(0);
    expect(instance.name).toBe(name);
    expect(instance.description).toBe('Logs user actions');
    expect(instance.createdAt).toMatch(ISO_TIMESTAMP);
    expect(Number.isNaN(Date.parse(instance.createdAt))).toBe(false);
    expect(instance.updatedAt).toBe(instance.createdAt);
  });

  test('given no description, when creating an instance, then it has no description', async () => {
    const ctx = useContext(holder);
    const { instance } = expectOk(await ctx.log.createInstance(ctx.uniqueName('inst')));
    expect(instance.description).toBeUndefined();
  });

  test('given an instance, when getting it by id and by name, then both return the same instance', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('get', 'd');
    const byId = expectOk(await ctx.log.getInstance(created.id)).instance;
    const byName = expectOk(await ctx.log.getInstance(created.name)).instance;
    expect(byId).toEqual(created);
    expect(byName).toEqual(created);
  });

  test('given two instances created in turn, when listing, then both are listed, oldest first', async () => {
    const ctx = useContext(holder);
    const a = await ctx.newInstance('list-a');
    await sleep(2);
    const b = await ctx.newInstance('list-b');
    const { instances } = expectOk(await ctx.log.listInstances());
    const ia = instances.findIndex((i) => i.id === a.id);
    const ib = instances.findIndex((i) => i.id === b.id);
    expect(ia).toBeGreaterThanOrEqual(0);
    expect(ib).toBeGreaterThan(ia);
    expect(instances[ia]).toEqual(a);
  });

  test('given a name of 200 code points (astral characters), when creating an instance, then it is accepted and stored exactly', async () => {
    const ctx = useContext(holder);
    const name = `${ctx.uniqueName('n')}`.padEnd(100, 'x') + '😀'.repeat(100);
    expect([...name].length).toBe(200);
    const { instance } = expectOk(await ctx.log.createInstance(name));
    expect(instance.name).toBe(name);
    expect(expectOk(await ctx.log.getInstance(name)).instance.id).toBe(instance.id);
  });

  test('given a name with leading and trailing spaces, when creating an instance, then it is stored without trimming', async () => {
    const ctx = useContext(holder);
    const name = `  ${ctx.uniqueName('spaced')} `;
    const { instance } = expectOk(await ctx.log.createInstance(name));
    expect(instance.name).toBe(name);
  });

  test('given a taken name, when creating an instance, then ALREADY_EXISTS mentions "exists" and no second instance appears', async () => {
    const ctx = useContext(holder);
    const first = await ctx.newInstance('dup');
    const res = await ctx.log.createInstance(first.name, 'again');
    expectFailure(res, 'ALREADY_EXISTS', ['exists']);
    const { instances } = expectOk(await ctx.log.listInstances());
    expect(instances.filter((i) => i.name === first.name)).toEqual([first]);
  });

  test("given a name equal to another instance's id, when creating an instance, then ALREADY_EXISTS", async () => {
    const ctx = useContext(holder);
    const first = await ctx.newInstance('idname');
    expectFailure(await ctx.log.createInstance(first.id), 'ALREADY_EXISTS', ['exists']);
    expect(expectOk(await ctx.log.getInstance(first.id)).instance).toEqual(first);
  });

  test('given an instance, when renaming it, then the new name resolves, the old does not, and updatedAt moves forward', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('rename', 'keep me');
    await sleep(5);
    const newName = ctx.uniqueName('renamed');
    const { instance } = expectOk(await ctx.log.updateInstance(created.id, { name: newName }));
    expect(instance).toMatchObject({
      id: created.id,
      name: newName,
      description: 'keep me',
      createdAt: created.createdAt,
    });
    expect(Date.parse(instance.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    expect(expectOk(await ctx.log.getInstance(newName)).instance).toEqual(instance);
    expectFailure(await ctx.log.getInstance(created.name), 'NOT_FOUND', [created.name]);
  });

  test('given an instance, when updating it by name, then the description changes and the name stays', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('redesc', 'old');
    const { instance } = expectOk(await ctx.log.updateInstance(created.name, { description: 'new' }));
    expect(instance).toMatchObject({ id: created.id, name: created.name, description: 'new' });
    expect(expectOk(await ctx.log.getInstance(created.id)).instance.description).toBe('new');
  });

  test('given an instance with a description, when updating description to null, then it is removed', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('nodesc', 'remove me');
    const { instance } = expectOk(await ctx.log.updateInstance(created.id, { description: null }));
    expect(instance.description).toBeUndefined();
    expect(expectOk(await ctx.log.getInstance(created.id)).instance.description).toBeUndefined();
  });

  test('given two instances, when renaming one to the other name, then ALREADY_EXISTS and nothing changes', async () => {
    const ctx = useContext(holder);
    const a = await ctx.newInstance('taken-a');
    const b = await ctx.newInstance('taken-b');
    expectFailure(await ctx.log.updateInstance(b.id, { name: a.name }), 'ALREADY_EXISTS', ['exists']);
    expect(expectOk(await ctx.log.getInstance(b.id)).instance).toEqual(b);
    expect(expectOk(await ctx.log.getInstance(a.id)).instance).toEqual(a);
  });

  test('given an instance with events, when deleting it, then it reports the deleted count and is gone with its events', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('delete');
    await ctx.append(created.id, [
      { eventType: 'a' },
      { eventType: 'b' },
      { eventType: 'c', streamId: 'other' },
    ]);
    const data = expectOk(await ctx.log.deleteInstance(created.id));
    expect(data.instance).toEqual(created);
    expect(data.deletedEvents).toBe(3);
    expectFailure(await ctx.log.getInstance(created.id), 'NOT_FOUND');
    expectFailure(await ctx.log.getInstanceStats(created.id), 'NOT_FOUND');
    expectFailure(await ctx.log.queryEvents({ from: { instance: created.id } }), 'NOT_FOUND');
    expect(expectOk(await ctx.log.listInstances()).instances.some((i) => i.id === created.id)).toBe(false);
  });

  test('given a deleted instance, when creating one with the same name, then it starts empty', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('reuse');
    await ctx.append(created.id, [{ eventType: 'a', eventId: 'e-1' }]);
    expectOk(await ctx.log.deleteInstance(created.name));
    const { instance } = expectOk(await ctx.log.createInstance(created.name));
    expect(instance.id).not.toBe(created.id);
    const stats = await ctx.stats(instance.id);
    expect(stats.eventCount).toBe(0);
    // The eventId of the deleted instance is free again: this is a new event, not a duplicate.
    const res = expectOk(
      await ctx.log.appendEvent({ instanceId: instance.id, eventType: 'a', eventId: 'e-1' }),
    );
    expect(res.duplicate).toBeUndefined();
    expect(res.event.sequence_number).toBe(1);
  });

  test('given an instance referenced by name, when using every method, then each resolves it', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('byname');
    const name = created.name;
    const one = expectOk(await ctx.log.appendEvent({ instanceId: name, eventType: 't' }));
    expect(one.event.instanceId).toBe(created.id);
    const many = expectOk(await ctx.log.appendEvents({ instanceId: name, events: [{ eventType: 'u' }] }));
    expect(many.events[0]?.instanceId).toBe(created.id);
    const { result } = expectOk(await ctx.log.queryEvents({ from: { instance: name } }));
    expect(result.total).toBe(2);
    expect(expectOk(await ctx.log.getInstanceStats(name)).instanceId).toBe(created.id);
    expect(expectOk(await ctx.log.updateInstance(name, { description: 'x' })).instance.id).toBe(created.id);
    expect(expectOk(await ctx.log.deleteInstance(name)).deletedEvents).toBe(2);
  });

  test('given autoCreateInstance, when appending to a missing instance, then it is created with id and name equal to instanceId', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('auto');
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: name, eventType: 'first', autoCreateInstance: true }),
    );
    expect(event.instanceId).toBe(name);
    const { instance } = expectOk(await ctx.log.getInstance(name));
    expect(instance).toMatchObject({ id: name, name });
    expect(instance.createdAt).toMatch(ISO_TIMESTAMP);
    const batch = expectOk(
      await ctx.log.appendEvents({
        instanceId: ctx.uniqueName('auto-batch'),
        events: [{ eventType: 'x' }],
        autoCreateInstance: true,
      }),
    );
    expect(batch.count).toBe(1);
  });

  test('given autoCreateInstance and an existing instance, when appending, then the existing instance is used', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('auto-existing');
    const { event } = expectOk(
      await ctx.log.appendEvent({ instanceId: created.name, eventType: 'x', autoCreateInstance: true }),
    );
    expect(event.instanceId).toBe(created.id);
    expect(expectOk(await ctx.log.getInstance(created.id)).instance).toEqual(created);
  });

  test('given no autoCreateInstance, when appending to a missing instance, then NOT_FOUND and no instance is created', async () => {
    const ctx = useContext(holder);
    const name = ctx.uniqueName('missing');
    expectFailure(await ctx.log.appendEvent({ instanceId: name, eventType: 'x' }), 'NOT_FOUND', [name]);
    expectFailure(await ctx.log.getInstance(name), 'NOT_FOUND', [name]);
  });

  test('given an instance, when appending events, then its updatedAt does not change', async () => {
    const ctx = useContext(holder);
    const created = await ctx.newInstance('appends-no-touch');
    await sleep(5);
    await ctx.append(created.id, [{ eventType: 'a' }]);
    expect(expectOk(await ctx.log.getInstance(created.id)).instance.updatedAt).toBe(created.updatedAt);
    expect((await ctx.stats(created.id)).updatedAt).toBe(created.updatedAt);
  });

  test('given a name read before, when it is renamed away, given to another instance, or made an id, then queries and statistics by the name follow it', async () => {
    const ctx = useContext(holder);
    const log = ctx.log;
    const name = ctx.uniqueName('moving');
    const read = async () => {
      const { result } = expectOk(await log.queryEvents({ from: { instance: name } }));
      const stats = expectOk(await log.getInstanceStats(name));
      const events = result.events ?? [];
      // Every event read is of the instance the statistics are of.
      for (const e of events) expect(e.instanceId).toBe(stats.instanceId);
      return [events.map((e) => e.event_type), stats.instanceId, stats.eventCount];
    };
    const first = expectOk(await log.createInstance(name)).instance;
    expectOk(await log.appendEvent({ instanceId: first.id, streamId: 's', eventType: 'first' }));
    expect(await read()).toEqual([['first'], first.id, 1]);
    expect(await read()).toEqual([['first'], first.id, 1]); // read again (an adapter may remember the name)
    // Renamed away, and the name given to a new instance: the name means the new one.
    expectOk(await log.updateInstance(first.id, { name: ctx.uniqueName('moved') }));
    const second = expectOk(await log.createInstance(name)).instance;
    expectOk(
      await log.appendEvents({ instanceId: second.id, events: [{ eventType: 'a' }, { eventType: 'b' }] }),
    );
    expect(await read()).toEqual([['a', 'b'], second.id, 2]);
    // Deleted: NOT_FOUND.
    expectOk(await log.deleteInstance(second.id));
    expectFailure(await log.queryEvents({ from: { instance: name } }), 'NOT_FOUND');
    expectFailure(await log.getInstanceStats(name), 'NOT_FOUND');
    // The first instance named so again and read; then renamed away, and the string made the id of
    // an instance created by an append: the reference means that one.
    expectOk(await log.updateInstance(first.id, { name }));
    expect(await read()).toEqual([['first'], first.id, 1]);
    expectOk(await log.updateInstance(first.id, { name: ctx.uniqueName('aside') }));
    expectOk(await log.appendEvent({ instanceId: name, eventType: 'by-id', autoCreateInstance: true }));
    expect(expectOk(await log.getInstance(name)).instance.id).toBe(name);
    expect(await read()).toEqual([['by-id'], name, 1]);
  });
}
