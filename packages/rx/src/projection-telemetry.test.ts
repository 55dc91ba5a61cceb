import { createEventLog } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { installTelemetryRecorder, type TelemetryRecorder } from '@eventlog/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { projection } from './projection.js';

let recorder: TelemetryRecorder;
beforeAll(() => {
  recorder = installTelemetryRecorder();
});
afterAll(() => recorder.uninstall());

it('given an OpenTelemetry SDK, when a projection handles batches, then each batch is a span with its size and checkpoint, and a failing handler marks its span', async () => {
  const log = createEventLog({ adapter: memoryAdapter() });
  const { id } = await log.store.createInstance('telemetry');
  await log.store.appendEvents({
    instanceId: id,
    events: Array.from({ length: 5 }, (_, i) => ({ eventType: i === 4 ? 'bad' : 't' })),
  });
  const handled: string[] = [];
  const p = projection({
    log,
    name: 'traced',
    instance: id,
    batchSize: 2,
    handler: (event) => {
      if (event.event_type === 'bad') throw new Error('boom');
      handled.push(event.event_type);
    },
  });
  p.start();
  await expect(p.caughtUp()).rejects.toThrow();
  await p.stop();
  await log.close();

  const spans = recorder.spans.filter((s) => s.name === 'eventlog.projection.handle');
  expect(spans.map((s) => [s.attributes['eventlog.event_count'], s.ended])).toEqual([
    [2, true],
    [2, true],
    [1, true],
  ]);
  expect(spans[0]?.attributes).toMatchObject({
    'eventlog.projection': 'traced',
    'eventlog.instance': id,
    'eventlog.projection.position': 2,
  });
  expect(spans[1]?.attributes['eventlog.projection.position']).toBe(4);
  expect(spans[2]?.status).toBeDefined();
  const durations = recorder.points.filter(
    (p) =>
      p.instrument === 'eventlog.operation.duration' &&
      p.attributes?.['eventlog.operation'] === 'projection.handle',
  );
  expect(durations).toHaveLength(3);
  expect(handled).toHaveLength(4);
});
