/**
 * Reads off the main thread (`sqliteAdapter({ readWorkers })`, which `eventlog serve` turns on).
 *
 * better-sqlite3 is synchronous: a query runs on the thread that calls it, and while an
 * aggregation over millions of events runs on the main thread, nothing else does — no append, no
 * heartbeat, no other client. With read workers, the read programs of queries and statistics
 * (`SqlDriver.read`) run on a small pool of worker threads instead, each with its own read-only
 * connection to the same file. WAL lets them read while the main connection writes; each program
 * runs inside one read transaction, so it sees one snapshot, as on the main connection.
 *
 * The program itself (a generator from `@eventlog/sql`) stays on the main thread: it yields a
 * statement, the thread runs it and posts the rows back, the program decides what comes next. A
 * read costs a few message round trips (tens of microseconds each); in exchange the event loop
 * stays free.
 *
 * Budgets: a read that runs longer than `timeoutMs` is stopped by terminating its thread (SQLite
 * cannot be interrupted from another thread through better-sqlite3) and fails with
 * `LIMIT_EXCEEDED`; a fresh thread takes its place. Rows past `maxResultBytes` fail the read the
 * same way, before they are copied to the main thread. At most `maxQueued` reads wait for a thread.
 *
 * Not here: reads inside `transaction(fn)` (they must see its writes) and the small indexed reads
 * of live subscriptions and instance lookups (`SqlDriver.run`) stay on the main connection.
 */

import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type EventLogError, limitExceeded, storageError } from '@eventlog/core';
import type { AnnouncedProgram, Row } from '@eventlog/sql';
import type { ReadWorkerData, WorkerReply, WorkerRequest } from './read-worker-protocol.js';

/** Options of the read threads (`sqliteAdapter({ readWorkers: { … } })`). */
export interface ReadWorkersOptions {
  /** Threads reading in parallel. Default 2 (1 on a single-core machine). */
  threads?: number;
  /** A read (a query, statistics) running longer is stopped with `LIMIT_EXCEEDED`. Default 30,000 ms. */
  timeoutMs?: number;
  /**
   * Bytes of rows one read may return (counted as the thread reads them); more is
   * `LIMIT_EXCEEDED`. Default: no limit.
   */
  maxResultBytes?: number;
  /** Reads waiting for a free thread at most; more fail at once with `LIMIT_EXCEEDED`. Default 1,000. */
  maxQueued?: number;
}

/** {@link ReadWorkersOptions} with defaults applied. */
export interface ResolvedReadWorkers {
  threads: number;
  timeoutMs: number;
  maxResultBytes: number | undefined;
  maxQueued: number;
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(
      `sqliteAdapter: readWorkers.${name} must be a positive integer, got ${String(value)}.`,
    );
  }
  return value;
}

/** Checks `readWorkers` and applies its defaults; undefined when it is off. */
export function resolveReadWorkers(
  option: boolean | ReadWorkersOptions | undefined,
): ResolvedReadWorkers | undefined {
  if (option === undefined || option === false) return undefined;
  const given: ReadWorkersOptions = option === true ? {} : option;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(
      'sqliteAdapter: readWorkers must be true, false or { threads?, timeoutMs?, maxResultBytes?, maxQueued? }.',
    );
  }
  return {
    threads: positive(given.threads, 'threads', Math.max(1, Math.min(2, availableParallelism()))),
    timeoutMs: positive(given.timeoutMs, 'timeoutMs', 30_000),
    maxResultBytes:
      given.maxResultBytes === undefined ? undefined : positive(given.maxResultBytes, 'maxResultBytes', 0),
    maxQueued: positive(given.maxQueued, 'maxQueued', 1000),
  };
}

/**
 * How to start a thread: the compiled `read-worker.js` beside this file; or, when this file runs
 * from its TypeScript source (tests, the bench), a small bootstrap that registers tsx in the
 * thread and imports `read-worker.ts`, with the workspace's source condition, as the process
 * itself was started.
 */
function workerScript(): { script: string | URL; eval: boolean; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) {
    return { script: new URL('./read-worker.js', import.meta.url), eval: false, execArgv: [] };
  }
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const exports = (
    require('tsx/package.json') as { exports: Record<string, { import: { default: string } }> }
  ).exports;
  const api = pathToFileURL(join(dirname(manifest), exports['./esm/api']?.import.default ?? '')).href;
  const target = new URL('./read-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(target)}); });`;
  return { script: bootstrap, eval: true, execArgv: ['--conditions=@eventlog/source'] };
}

/** A read that the thread's death or a budget ended. */
class ThreadGone extends Error {}

/** One worker thread and its one outstanding request. */
class ReadThread {
  private readonly worker: Worker;
  private waiting: { resolve: (reply: WorkerReply) => void; reject: (error: unknown) => void } | undefined;
  private exitError: Error | undefined;
  readonly ready: Promise<void>;
  alive = true;

  constructor(data: ReadWorkerData) {
    const { script, eval: isEval, execArgv } = workerScript();
    this.worker = new Worker(script, { workerData: data, execArgv, eval: isEval });
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.waiting = {
        resolve: (reply) =>
          reply.kind === 'ready' ? resolve() : reject(new Error(`read thread: unexpected ${reply.kind}`)),
        reject,
      };
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (reply: WorkerReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.resolve(reply);
    });
    this.worker.on('error', (error) => {
      this.exitError = error;
    });
    this.worker.on('exit', (code) => {
      this.alive = false;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(new ThreadGone(this.exitError?.message ?? `the read thread exited (code ${code})`));
    });
  }

  /** Sends one request and waits for its reply; the thread works (is ref'd) meanwhile. */
  call(request: WorkerRequest): Promise<WorkerReply> {
    if (!this.alive) return Promise.reject(new ThreadGone('the read thread is gone'));
    return new Promise<WorkerReply>((resolve, reject) => {
      this.waiting = {
        resolve: (reply) => {
          this.worker.unref();
          resolve(reply);
        },
        reject,
      };
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }

  terminate(): Promise<number> {
    this.alive = false;
    return this.worker.terminate();
  }
}

/** The failure a read thread reported, as an error the driver wraps (`statement`: the failing SQL). */
function replyError(reply: { message: string; code?: string }, statement?: string): Error {
  const error = new Error(reply.message);
  if (reply.code !== undefined) (error as { code?: string }).code = reply.code;
  if (statement !== undefined) (error as { statement?: string }).statement = statement;
  return error;
}

/** The pool of read threads of one adapter: see the module comment. */
export class ReadWorkerPool {
  private readonly idle: ReadThread[] = [];
  private readonly waiters: Array<{
    resolve: (thread: ReadThread) => void;
    reject: (error: unknown) => void;
  }> = [];
  private readonly threads = new Set<ReadThread>();
  private closed = false;

  constructor(
    private readonly data: ReadWorkerData,
    private readonly options: ResolvedReadWorkers,
  ) {
    // Started now, so the first query does not wait for a thread to boot.
    for (let i = 0; i < options.threads; i++) this.idle.push(this.spawn());
  }

  private spawn(): ReadThread {
    const thread = new ReadThread(this.data);
    this.threads.add(thread);
    return thread;
  }

  private closedError(): EventLogError {
    return storageError('The SQLite adapter is closed: create a new sqliteAdapter() to use the store again.');
  }

  private acquire(): Promise<ReadThread> {
    if (this.closed) return Promise.reject(this.closedError());
    const thread = this.idle.pop();
    if (thread !== undefined) return Promise.resolve(thread);
    if (this.threads.size < this.options.threads) return Promise.resolve(this.spawn());
    if (this.waiters.length >= this.options.maxQueued) {
      return Promise.reject(
        limitExceeded(
          `${this.options.maxQueued} reads already wait for a read thread (readWorkers.maxQueued); retry when the load is lower.`,
          { limit: 'readWorkers.maxQueued', max: this.options.maxQueued },
        ),
      );
    }
    return new Promise<ReadThread>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private release(thread: ReadThread): void {
    if (this.closed) {
      void thread.terminate();
      return;
    }
    if (!thread.alive) {
      this.threads.delete(thread);
      // A stopped thread is replaced, for the next read in line if there is one.
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter.resolve(this.spawn());
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(thread);
    else this.idle.push(thread);
  }

  /**
   * Runs a read program on a thread, in one read transaction. Rejects with `LIMIT_EXCEEDED` past
   * the time or size budget, with what the program throws, or with the thread's SQLite error
   * (for the driver to wrap).
   */
  async read<T>(program: AnnouncedProgram<T>): Promise<T> {
    const thread = await this.acquire();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    let open = false;
    try {
      // The budget counts the read, not a fresh thread's start.
      await thread.ready;
      timer = setTimeout(() => {
        timedOut = true;
        void thread.terminate();
      }, this.options.timeoutMs);
      const begun = await thread.call(
        this.options.maxResultBytes === undefined
          ? { kind: 'begin' }
          : { kind: 'begin', maxResultBytes: this.options.maxResultBytes },
      );
      if (begun.kind === 'error') throw replyError(begun);
      open = true;
      const steps = program.program();
      let step = steps.next();
      while (!step.done) {
        const reply = await thread.call({ kind: 'all', sql: step.value.sql, params: step.value.params });
        if (reply.kind === 'error') throw replyError(reply, step.value.sql);
        step = steps.next((reply.kind === 'rows' ? reply.rows : []) as Row[]);
      }
      open = false;
      const ended = await thread.call({ kind: 'end', commit: true });
      if (ended.kind === 'error') throw replyError(ended);
      return step.value;
    } catch (error) {
      if (open && thread.alive && !timedOut) {
        // The program or a budget failed mid-read: end its transaction, keep the thread.
        await thread.call({ kind: 'end', commit: false }).catch(() => undefined);
      }
      if (timedOut) {
        throw limitExceeded(
          `The read took longer than ${this.options.timeoutMs} ms, the most one query may run (readWorkers.timeoutMs; eventlog serve --query-timeout-ms), and was stopped. Narrow it: a where on indexed fields (event_type, stream_id, timestamp), a smaller offset, or fewer groups.`,
          { limit: 'readWorkers.timeoutMs', max: this.options.timeoutMs },
        );
      }
      if ((error as { code?: unknown }).code === 'EVENTLOG_RESULT_TOO_LARGE') {
        throw limitExceeded(
          `The result is larger than ${this.options.maxResultBytes} bytes, the most one read may return (readWorkers.maxResultBytes; eventlog serve --max-response-bytes). Ask for less: a smaller limit, or select only the fields you need.`,
          { limit: 'readWorkers.maxResultBytes', max: this.options.maxResultBytes },
        );
      }
      if (error instanceof ThreadGone) {
        throw storageError(`The SQLite read thread failed: ${error.message}.`, error);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.release(thread);
    }
  }

  /** Stops every thread; reads in flight and waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
    this.idle.length = 0;
    const threads = [...this.threads];
    this.threads.clear();
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
