/**
 * The load generator's pieces: `eventlog serve` in a child process (the real server, on the
 * sources), a keep-alive HTTP client, a minimal SSE reader, and a closed-loop load runner (each
 * client sends its next request when the previous one was answered).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { EventSource } from 'eventsource';
import { now, percentile } from '../measure.js';

const CLI = fileURLToPath(new URL('../../../packages/eventlog/src/cli.ts', import.meta.url));

/** A running `eventlog serve`. */
export interface ServeChild {
  wsUrl: string;
  httpUrl: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `eventlog serve --port 0 …args` and resolves once it prints that it listens. */
export function startServe(args: readonly string[]): Promise<ServeChild> {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@eventlog/source',
      '--import',
      tsx,
      CLI,
      'serve',
      '--port',
      '0',
      '--log-level',
      'warn',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`eventlog serve ${why}: ${err.slice(-500)}`));
    child.on('error', (error) => fail(error.message));
    child.on('exit', (code) => fail(`exited with ${code}`));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const ws = /listening on (ws:\/\/\S+)/.exec(out)?.[1];
      if (ws === undefined) return;
      const port = Number(new URL(ws).port);
      child.removeAllListeners('exit');
      resolve({
        wsUrl: ws,
        httpUrl: `http://127.0.0.1:${port}`,
        port,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) {
              done();
              return;
            }
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/**
 * Waits until the server's read threads have started (they boot beside the listener, and on the
 * sources each compiles its code first): a few concurrent queries have each reached one.
 */
export async function warmUp(served: ServeChild): Promise<void> {
  const api = new HttpApi(served.port, 4);
  try {
    await api.call('createInstance', { name: 'warm-up' });
    await Promise.all(
      Array.from({ length: 4 }, () => api.call('queryEvents', { query: { from: { instance: 'warm-up' } } })),
    );
  } finally {
    api.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}

/** A keep-alive HTTP client for `POST /v1/eventLog.<method>`. */
export class HttpApi {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    sockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** Calls a method; resolves with the parsed envelope. */
  call(method: string, params: unknown): Promise<{ success: boolean; error?: string; data?: unknown }> {
    const body = JSON.stringify(params);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.port,
          path: `/v1/eventLog.${method}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            try {
              resolve(JSON.parse(text) as { success: boolean });
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Follows `GET /v1/events` with an `EventSource` (the `eventsource` package) and calls `onEvent`
 * with each event's JSON; resolves once the stream is open. `stop()` ends it.
 */
export function followSse(
  url: string,
  onEvent: (event: Record<string, unknown>) => void,
): Promise<{ stop(): void }> {
  const source = new EventSource(url);
  source.onmessage = (message) => onEvent(JSON.parse(message.data) as Record<string, unknown>);
  return new Promise((resolve, reject) => {
    source.onopen = () => resolve({ stop: () => source.close() });
    source.onerror = (error) => {
      if (source.readyState === EventSource.CONNECTING) return; // reconnecting
      reject(new Error(`SSE ${url}: ${error.message ?? 'the stream failed'}`));
    };
  });
}

/** What a load run measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  /** Requests per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Runs `clients` closed loops for `seconds`: each calls `op(client, i)` again as soon as the last
 * call answered. `op` resolves with an error message, or undefined on success.
 */
export async function runLoad(
  clients: number,
  seconds: number,
  op: (client: number, i: number) => Promise<string | undefined>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; now() < end; i++) {
        const t = now();
        let problem: string | undefined;
        try {
          problem = await op(client, i);
        } catch (error) {
          problem = error instanceof Error ? error.message : String(error);
        }
        latencies.push(now() - t);
        if (problem !== undefined) {
          errors++;
          firstError ??= problem;
        }
      }
    }),
  );
  const elapsed = (now() - start) / 1000;
  return {
    requests: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
  };
}

/**
 * Runs `op` on a fixed schedule, one call every `intervalMs` for `seconds`, whether or not the
 * previous calls answered (an open loop): the latencies are what a caller sending at that rate
 * sees, queueing included, unlike a closed loop whose latency is its concurrency over the rate.
 */
export async function pacedLoad(
  seconds: number,
  intervalMs: number,
  op: (i: number) => Promise<string | undefined>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const calls: Promise<void>[] = [];
  const start = now();
  const count = Math.floor((seconds * 1000) / intervalMs);
  for (let i = 0; i < count; i++) {
    const due = start + i * intervalMs;
    const wait = due - now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = now();
    calls.push(
      op(i).then(
        (problem) => {
          latencies.push(now() - sent);
          if (problem !== undefined) {
            errors++;
            firstError ??= problem;
          }
        },
        (error: unknown) => {
          latencies.push(now() - sent);
          errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
        },
      ),
    );
  }
  await Promise.all(calls);
  const elapsed = (now() - start) / 1000;
  return {
    requests: latencies.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((a, b) => Math.max(a, b), 0),
  };
}
