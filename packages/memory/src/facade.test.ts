/**
 * A short end-to-end run of the core facade over the real in-memory adapter. The cross-adapter
 * contract is the conformance suite's job.
 */

import { createEventLog } from '@eventlog/core';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from './index.js';

describe('createEventLog over memoryAdapter', () => {
  it('given the API document flow, when run end to end, then every envelope is as SPEC says', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });

    const created = await log.createInstance('user-activity', 'Logs user actions and system events');
    expect(created.success).toBe(true);
    if (!created.success) return;
    const id = created.data.instance.id;

    const login = await log.appendEvent({
      instanceId: id,
      streamId: 'user-123',
      eventType: 'login',
      payload: { userId: 'user-123', ip: '192.168.1.1' },
      metadata: { source: 'web-app' },
      timestamp: '2024-01-19T12:00:00+02:00',
    });
    expect(login).toMatchObject({
      success: true,
      data: {
        event: {
          instanceId: id,
          stream_id: 'user-123',
          event_type: 'login',
          timestamp: '2024-01-19T10:00:00.000Z',
          sequence_number: 1,
        },
      },
    });

    const batch = await log.appendEvents({
      instanceId: 'user-activity',
      streamId: 'user-123',
      events: [
        { eventType: 'page_view', payload: { page: '/a', duration: 100 }, timestamp: '2024-01-19T10:01:00Z' },
        {
          event_type: 'page_view',
          payload: { page: '/b', duration: 300 },
          timestamp: '2024-01-19T10:02:00Z',
          eventId: 'pv-b',
        },
        { eventType: 'logout', stream_id: 'user-456', timestamp: '2024-01-20T09:00:00Z' },
      ],
    });
    expect(batch).toMatchObject({ success: true, data: { count: 3 } });
    expect(batch.success && batch.data.events.map((e) => [e.stream_id, e.sequence_number])).toEqual([
      ['user-123', 2],
      ['user-123', 3],
      ['user-456', 1],
    ]);

    const replay = await log.appendEvent({
      instanceId: 'user-activity',
      streamId: 'user-123',
      eventType: 'page_view',
      eventId: 'pv-b',
    });
    expect(replay).toMatchObject({
      success: true,
      data: { duplicate: true, event: { eventId: 'pv-b', sequence_number: 3 } },
    });

    const conflict = await log.appendEvent({
      instanceId: id,
      streamId: 'user-123',
      eventType: 'x',
      expectedVersion: 1,
    });
    expect(conflict).toMatchObject({
      success: false,
      code: 'CONFLICT',
      details: { streamId: 'user-123', expectedVersion: 1, actualVersion: 3 },
    });

    const recent = await log.queryEvents({
      from: { instance: id, stream: 'user-123' },
      where: [{ field: 'eventType', operator: 'eq', value: 'page_view' }],
      orderBy: { field: 'timestamp', direction: 'desc' },
      limit: 10,
    });
    expect(recent.success && recent.data.result.events?.map((e) => e.payload?.page)).toEqual(['/b', '/a']);
    expect(recent.success && recent.data.result.total).toBe(2);

    const avg = await log.queryEvents({
      from: { instance: 'user-activity' },
      reduce: { type: 'avg', field: 'payload.duration' },
    });
    expect(avg).toMatchObject({
      success: true,
      data: { result: { aggregation: { type: 'avg', value: 200 }, total: 4 } },
    });

    const perDay = await log.queryEvents({
      from: { instance: 'user-activity' },
      where: [{ field: 'timestamp', operator: 'gte', value: '2024-01-19T00:00:00Z' }],
      reduce: { type: 'count', groupBy: [{ field: 'timestamp', interval: 'day' }] },
    });
    expect(perDay.success && perDay.data.result.aggregation?.groups).toEqual([
      { key: { timestamp: '2024-01-19T00:00:00.000Z' }, value: 3 },
      { key: { timestamp: '2024-01-20T00:00:00.000Z' }, value: 1 },
    ]);

    const stats = await log.getInstanceStats('user-activity');
    expect(stats).toMatchObject({
      success: true,
      data: {
        instanceId: id,
        eventCount: 4,
        streamCount: 2,
        eventTypes: { login: 1, page_view: 2, logout: 1 },
        firstEventAt: '2024-01-19T10:00:00.000Z',
        lastEventAt: '2024-01-20T09:00:00.000Z',
      },
    });

    const auto = await log.appendEvent({
      instanceId: 'audit-log',
      eventType: 'created',
      autoCreateInstance: true,
    });
    expect(auto).toMatchObject({
      success: true,
      data: { event: { instanceId: 'audit-log', stream_id: 'default' } },
    });
    expect(await log.getInstance('audit-log')).toMatchObject({
      success: true,
      data: { instance: { id: 'audit-log', name: 'audit-log' } },
    });

    const deleted = await log.deleteInstance('user-activity');
    expect(deleted).toMatchObject({ success: true, data: { deletedEvents: 4 } });
    expect(await log.queryEvents({ from: { instance: id } })).toMatchObject({
      success: false,
      code: 'NOT_FOUND',
    });

    await log.close();
    expect(await log.listInstances()).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
  });
});
