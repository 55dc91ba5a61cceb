/**
 * A stand-in OpenTelemetry SDK for tests: global tracer and meter providers that record span
 * names, attributes, status and end, and every point of every instrument (the API's surface only,
 * so no SDK is needed).
 */

import { type Attributes, type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api';

/** A span as the recorder saw it. */
export interface RecordedSpan {
  name: string;
  attributes: Attributes;
  status?: unknown;
  ended: boolean;
}

/** A point recorded on an instrument (histogram value or counter increment). */
export interface RecordedPoint {
  instrument: string;
  value: number;
  attributes: Attributes | undefined;
}

/** What {@link installTelemetryRecorder} gives: what was recorded, and how to uninstall it. */
export interface TelemetryRecorder {
  spans: RecordedSpan[];
  points: RecordedPoint[];
  /** Restores the API's no-op providers. */
  uninstall(): void;
}

/** Installs recording tracer and meter providers globally (call `uninstall` after the tests). */
export function installTelemetryRecorder(): TelemetryRecorder {
  const spans: RecordedSpan[] = [];
  const points: RecordedPoint[] = [];
  const tracerProvider = {
    getTracer: () => ({
      startSpan: (name: string, options?: { attributes?: Attributes }) => {
        const span: RecordedSpan = { name, attributes: { ...options?.attributes }, ended: false };
        spans.push(span);
        return {
          setAttributes: (more: Attributes) => Object.assign(span.attributes, more),
          setAttribute: (key: string, value: unknown) => Object.assign(span.attributes, { [key]: value }),
          setStatus: (status: unknown) => {
            span.status = status;
          },
          end: () => {
            span.ended = true;
          },
        };
      },
    }),
  } as unknown as TracerProvider;
  const meterProvider = {
    getMeter: () => ({
      createHistogram: (instrument: string) => ({
        record: (value: number, attributes?: Attributes) => points.push({ instrument, value, attributes }),
      }),
      createCounter: (instrument: string) => ({
        add: (value: number, attributes?: Attributes) => points.push({ instrument, value, attributes }),
      }),
    }),
  } as unknown as MeterProvider;
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    points,
    uninstall() {
      trace.disable();
      metrics.disable();
    },
  };
}
