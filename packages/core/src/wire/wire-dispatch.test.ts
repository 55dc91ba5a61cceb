import { describe, expect, it } from 'vitest';
import type { EventLog } from '../event-log.js';
import { ISO, setup } from '../test/fake-adapter.js';
import { dispatch } from './wire-dispatch.js';

describe('dispatch (wire requests)', () => {
  it('given each wire request, when dispatched, then the envelope carries the same type and requestId', async () => {
    const { log } = setup();
    const send = (type: string, params?: unknown) =>
      dispatch(log, { type: `eventLog.${type}`, requestId: `r-${type}`, params });
    const created = await send('createInstance', { name: 'wire', description: 'd' });
    expect(created).toMatchObject({
      type: 'eventLog.createInstance',
      requestId: 'r-createInstance',
      success: true,
      data: { instance: { name: 'wire', description: 'd' } },
    });
    expect(await send('getInstance', { instanceId: 'wire' })).toMatchObject({
      type: 'eventLog.getInstance',
      requestId: 'r-getInstance',
      success: true,
    });
    expect(await send('listInstances', {})).toMatchObject({
      success: true,
      data: { instances: [{ name: 'wire' }] },
    });
    expect(await send('listInstances')).toMatchObject({ success: true });
    expect(await send('updateInstance', { instanceId: 'wire', description: 'new' })).toMatchObject({
      success: true,
      data: { instance: { description: 'new' } },
    });
    expect(await send('appendEvent', { instanceId: 'wire', eventType: 'a' })).toMatchObject({
      success: true,
      data: { event: { event_type: 'a' } },
    });
    expect(await send('appendEvents', { instanceId: 'wire', events: [{ eventType: 'b' }] })).toMatchObject({
      success: true,
      data: { count: 1 },
    });
    expect(await send('queryEvents', { query: { from: { instance: 'wire' } } })).toMatchObject({
      success: true,
      data: { result: { total: 2 } },
    });
    const page = await send('pageEvents', { query: { from: { instance: 'wire' }, limit: 1 } });
    expect(page).toMatchObject({
      type: 'eventLog.pageEvents',
      requestId: 'r-pageEvents',
      success: true,
      data: { events: [{ event_type: 'a' }] },
    });
    expect(page.success && Object.keys(page.data as object)).toEqual(['events']); // no total
    expect(await send('getInstanceStats', { instanceId: 'wire' })).toMatchObject({
      success: true,
      data: { name: 'wire' },
    });
    expect(await send('deleteInstance', { instanceId: 'wire' })).toMatchObject({
      type: 'eventLog.deleteInstance',
      success: true,
      data: { deletedEvents: 2 },
    });
  });

  it('given no requestId, when dispatched, then a fresh one is used', async () => {
    const { log } = setup();
    const res = await dispatch(log, { type: 'eventLog.listInstances' });
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a non-object request', 'hello', 'eventLog.unknown', 'request'],
    ['null', null, 'eventLog.unknown', 'request'],
    [
      'an unknown type',
      { type: 'eventLog.dropTable', requestId: 'r', params: {} },
      'eventLog.dropTable',
      'type',
    ],
    ['close over the wire', { type: 'eventLog.close', requestId: 'r' }, 'eventLog.close', 'type'],
    ['a missing type', { requestId: 'r', params: {} }, 'eventLog.unknown', 'type'],
    [
      'an unknown request key',
      { type: 'eventLog.listInstances', requestId: 'r', extra: 1 },
      'eventLog.listInstances',
      'extra',
    ],
    [
      'a numeric requestId',
      { type: 'eventLog.listInstances', requestId: 5 },
      'eventLog.listInstances',
      'requestId',
    ],
    [
      'non-object params',
      { type: 'eventLog.getInstance', requestId: 'r', params: 'x' },
      'eventLog.getInstance',
      'params',
    ],
    [
      'an unknown params key',
      { type: 'eventLog.getInstance', requestId: 'r', params: { instanceId: 'a', id: 'b' } },
      'eventLog.getInstance',
      'params.id',
    ],
    [
      'params for listInstances',
      { type: 'eventLog.listInstances', requestId: 'r', params: { all: true } },
      'eventLog.listInstances',
      'params.all',
    ],
    [
      'a bad update key',
      { type: 'eventLog.updateInstance', requestId: 'r', params: { instanceId: 'a', title: 'b' } },
      'eventLog.updateInstance',
      'params.title',
    ],
    [
      'a bad query',
      { type: 'eventLog.queryEvents', requestId: 'r', params: { query: 5 } },
      'eventLog.queryEvents',
      'query',
    ],
    [
      'an aggregation for pageEvents',
      {
        type: 'eventLog.pageEvents',
        requestId: 'r',
        params: { query: { from: { instance: 'a' }, reduce: { type: 'count' } } },
      },
      'eventLog.pageEvents',
      'reduce',
    ],
    [
      'params for pageEvents besides the query',
      {
        type: 'eventLog.pageEvents',
        requestId: 'r',
        params: { query: { from: { instance: 'a' } }, total: true },
      },
      'eventLog.pageEvents',
      'params.total',
    ],
  ])(
    'given %s, when dispatched, then a VALIDATION_ERROR envelope names the location',
    async (_name, request, type, path) => {
      const { log } = setup();
      const res = await dispatch(log, request);
      expect(res).toMatchObject({ type, success: false, code: 'VALIDATION_ERROR' });
      expect(!res.success && res.error.startsWith(`${path}: `)).toBe(true);
      expect(res.timestamp).toMatch(ISO);
      if (typeof (request as { requestId?: unknown })?.requestId === 'string')
        expect(res.requestId).toBe('r');
    },
  );

  it('given any EventLog (not one createEventLog made), when dispatched, then it is served through the interface and stamped by its store clock', async () => {
    const { log } = setup();
    const calls: string[] = [];
    // A wrapper: dispatch may rely on the EventLog interface alone.
    const wrapper = new Proxy(log, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(key));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as EventLog;
    expect(
      await dispatch(wrapper, { type: 'eventLog.createInstance', requestId: 'w1', params: { name: 'w' } }),
    ).toMatchObject({ success: true, requestId: 'w1', timestamp: '2024-01-19T10:00:00.000Z' });
    expect(calls).toEqual(['createInstance']);
    // A request the log never sees is stamped with the log's clock too.
    expect(await dispatch(wrapper, { type: 'eventLog.nope', requestId: 'w2' })).toMatchObject({
      success: false,
      code: 'VALIDATION_ERROR',
      timestamp: '2024-01-19T10:00:00.000Z',
    });
  });

  it('given a missing instance, when dispatched, then the NOT_FOUND envelope keeps the requestId', async () => {
    const { log } = setup();
    expect(
      await dispatch(log, { type: 'eventLog.getInstance', requestId: 'abc', params: { instanceId: 'none' } }),
    ).toMatchObject({
      type: 'eventLog.getInstance',
      requestId: 'abc',
      success: false,
      code: 'NOT_FOUND',
    });
  });
});
