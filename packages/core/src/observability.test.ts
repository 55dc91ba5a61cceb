import { installTelemetryRecorder, type TelemetryRecorder } from '@eventlog/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setup } from './test/fake-adapter.js';

let recorder: TelemetryRecorder;
beforeAll(() => {
  recorder = installTelemetryRecorder();
});
afterAll(() => recorder.uninstall());

describe('Given an OpenTelemetry SDK installed by the application', () => {
  it('when events are appended and queried, then each operation is a span with its outcome, and durations and appended events are recorded', async () => {
    const { log } = setup();
    await log.createInstance('orders');
    await log.appendEvent({ instanceId: 'orders', eventType: 'placed' });
    await log.appendEvents({ instanceId: 'orders', events: [{ eventType: 'a' }, { eventType: 'b' }] });
    await log.queryEvents({ from: { instance: 'orders' } });
    await log.queryEvents({ from: { instance: 'missing' } });

    const { spans, points } = recorder;
    expect(spans.map((s) => [s.name, s.ended])).toEqual([
      ['eventlog.appendEvent', true],
      ['eventlog.appendEvents', true],
      ['eventlog.queryEvents', true],
      ['eventlog.queryEvents', true],
    ]);
    expect(spans[1]?.attributes).toMatchObject({ 'eventlog.instance': 'orders', 'eventlog.event_count': 2 });
    expect(spans[2]?.attributes).toMatchObject({ 'eventlog.result.total': 3, 'eventlog.result.events': 3 });
    expect(spans[3]?.attributes).toMatchObject({ 'eventlog.error_code': 'NOT_FOUND' });
    expect(spans[3]?.status).toMatchObject({ message: 'NOT_FOUND' });

    const appended = points.filter((p) => p.instrument === 'eventlog.events.appended');
    expect(appended.map((p) => p.value)).toEqual([1, 2]);
    const durations = points.filter((p) => p.instrument === 'eventlog.operation.duration');
    expect(durations.map((p) => p.attributes?.['eventlog.outcome'])).toEqual(['ok', 'ok', 'ok', 'NOT_FOUND']);
    expect(durations.every((p) => p.value >= 0 && p.value < 10)).toBe(true);
  });
});
