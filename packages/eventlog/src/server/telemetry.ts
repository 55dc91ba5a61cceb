/**
 * What the server tells operators: Prometheus metrics (prom-client, on a registry of its own, at
 * `GET /metrics`), OpenTelemetry spans (through `@opentelemetry/api`: no-op unless the application
 * installs an SDK) and a pino log line per request (at `debug`) carrying the request's id.
 * Both transports report every request here, so HTTP and WebSocket count alike.
 */

import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a request reached the server. */
export type Transport = 'http' | 'ws';

/** One request being served: end it with the envelope it was answered with. */
export interface RequestTrace {
  /** The request's id (the client's `requestId` or `X-Request-Id`, else a fresh one). */
  readonly requestId: string;
  /** Ends the request: counts it, ends its span, logs it. */
  end(outcome: { success: boolean; code?: string | undefined; appended?: number }): void;
}

const tracer = trace.getTracer('eventlog-server');

/** The server's metrics, tracing and request log. */
export class ServerTelemetry {
  /** The Prometheus registry `GET /metrics` shows. */
  readonly registry = new Registry();
  private readonly requests: Counter<'transport' | 'method' | 'code'>;
  private readonly duration: Histogram<'transport' | 'method'>;
  private readonly appended: Counter;
  private readonly subscribers: Gauge<'transport'>;
  private readonly connections: Gauge<'transport'>;

  constructor(private readonly logger: Logger) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'eventlog_requests_total',
      help: 'Requests served, by transport, method and outcome (ok or the error code).',
      labelNames: ['transport', 'method', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'eventlog_request_duration_seconds',
      help: 'Time from a request read to its answer written, by transport and method.',
      labelNames: ['transport', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.appended = new Counter({
      name: 'eventlog_appended_events_total',
      help: 'Events appended through this server (duplicates not counted).',
      registers,
    });
    this.subscribers = new Gauge({
      name: 'eventlog_subscribers',
      help: 'Live subscriptions open now: WebSocket subscriptions and SSE streams.',
      labelNames: ['transport'],
      registers,
    });
    this.connections = new Gauge({
      name: 'eventlog_connections',
      help: 'Open WebSocket connections.',
      labelNames: ['transport'],
      registers,
    });
    this.subscribers.set({ transport: 'ws' }, 0);
    this.subscribers.set({ transport: 'sse' }, 0);
    this.connections.set({ transport: 'ws' }, 0);
    collectDefaultMetrics({ register: this.registry, prefix: 'eventlog_process_' });
  }

  /**
   * Starts a request: a span (a child of the caller's `traceparent`, when an SDK with a propagator
   * is installed) and a clock. `headers` are the HTTP request's (for trace context).
   */
  begin(
    transport: Transport,
    method: string,
    requestId: string,
    headers?: Record<string, string | string[] | undefined>,
  ): RequestTrace {
    const started = process.hrtime.bigint();
    const parent = headers === undefined ? context.active() : propagation.extract(context.active(), headers);
    const span: Span = tracer.startSpan(
      `eventLog.${method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'eventlog.transport': transport,
          'eventlog.method': method,
          'eventlog.request_id': requestId,
        },
      },
      parent,
    );
    return {
      requestId,
      end: (outcome) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const code = outcome.success ? 'ok' : (outcome.code ?? 'STORAGE_ERROR');
        this.requests.inc({ transport, method, code });
        this.duration.observe({ transport, method }, seconds);
        if (outcome.appended !== undefined && outcome.appended > 0) this.appended.inc(outcome.appended);
        if (!outcome.success) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
          span.setAttribute('eventlog.error_code', code);
        }
        span.end();
        if (this.logger.isLevelEnabled('debug')) {
          this.logger.debug(
            { requestId, transport, method, code, ms: Math.round(seconds * 1e6) / 1e3 },
            'request',
          );
        }
      },
    };
  }

  /** Subscriptions (WebSocket) or streams (SSE) opened (+n) or closed (-n). */
  subscriber(transport: 'ws' | 'sse', delta: number): void {
    this.subscribers.inc({ transport }, delta);
  }

  /** A WebSocket connection opened (+1) or closed (-1). */
  connection(delta: 1 | -1): void {
    this.connections.inc({ transport: 'ws' }, delta);
  }

  /** The metrics in Prometheus' text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops the default metrics' timers. */
  close(): void {
    this.registry.clear();
  }
}

/** The number of events an envelope says were appended (0 for duplicates and other methods). */
export function appendedCount(envelope: unknown): number {
  const data = (envelope as { success?: boolean; data?: Record<string, unknown> }).data;
  if ((envelope as { success?: boolean }).success !== true || data === undefined || data.duplicate === true) {
    return 0;
  }
  if (typeof data.count === 'number') return data.count;
  return data.event !== undefined ? 1 : 0;
}
