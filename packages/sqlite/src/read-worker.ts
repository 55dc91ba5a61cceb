/**
 * The body of one read thread (see `read-workers.ts`): a read-only connection to the store's file
 * that runs the statements of one read program at a time, inside one read transaction (a WAL
 * snapshot), and answers with their rows. It holds no state between programs but its cached
 * statements.
 */

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { canonicalJsonText, SQLITE_CANONICAL_JSON_FUNCTION } from '@eventlog/sql';
import Database from 'better-sqlite3';
import type { ReadWorkerData, WorkerReply, WorkerRequest } from './read-worker-protocol.js';

const STATEMENT_CACHE_SIZE = 256;

const data = workerData as ReadWorkerData;
const port = parentPort;
if (port === null) throw new Error('read-worker.ts runs as a worker thread only.');

/**
 * A read thread gives way to the main thread (appends, the server's other clients) when the CPU is
 * contended: on Linux each thread has its own nice value, so this thread lowers only its own. Where
 * that is not possible it runs at the process's priority.
 */
function yieldCpuToMainThread(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: keep the process's priority
  }
}
yieldCpuToMainThread();

const db = new Database(data.file, { readonly: true, fileMustExist: true, timeout: data.busyTimeoutMs });
db.pragma(`busy_timeout = ${data.busyTimeoutMs}`);
db.function(SQLITE_CANONICAL_JSON_FUNCTION, { deterministic: true }, canonicalJsonText);
const prepared = new Map<string, Database.Statement>();

function prepare(sql: string): Database.Statement {
  let statement = prepared.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    if (prepared.size >= STATEMENT_CACHE_SIZE) prepared.delete(prepared.keys().next().value as string);
    prepared.set(sql, statement);
  }
  return statement;
}

/** Bytes a row's values take, roughly (strings by UTF-16 length; what the reply will copy). */
function rowBytes(row: Record<string, unknown>): number {
  let bytes = 16;
  for (const value of Object.values(row)) {
    if (typeof value === 'string') bytes += value.length;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
    else bytes += 8;
  }
  return bytes;
}

/** Reads a statement's rows, failing once they pass the byte budget of one read. */
function rows(statement: Database.Statement, params: readonly unknown[], budget: { left: number }) {
  if (!statement.reader) {
    statement.run(...params);
    return [];
  }
  const out: unknown[] = [];
  for (const row of statement.iterate(...params) as Iterable<Record<string, unknown>>) {
    budget.left -= rowBytes(row);
    if (budget.left < 0) {
      const error = new Error('result too large');
      (error as { code?: string }).code = 'EVENTLOG_RESULT_TOO_LARGE';
      throw error;
    }
    out.push(row);
  }
  return out;
}

let budget = { left: Number.POSITIVE_INFINITY };

function handle(request: WorkerRequest): WorkerReply {
  switch (request.kind) {
    case 'begin':
      budget = { left: request.maxResultBytes ?? Number.POSITIVE_INFINITY };
      if (db.inTransaction) db.exec('ROLLBACK'); // a read that was abandoned half-way
      db.exec('BEGIN');
      return { kind: 'ok' };
    case 'all':
      return { kind: 'rows', rows: rows(prepare(request.sql), request.params, budget) };
    case 'end':
      if (db.inTransaction) db.exec(request.commit ? 'COMMIT' : 'ROLLBACK');
      return { kind: 'ok' };
  }
}

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(request);
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown };
    reply = {
      kind: 'error',
      message: typeof e?.message === 'string' ? e.message : String(error),
      ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    };
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies WorkerReply);
