/**
 * The messages between the driver's read pool (`read-workers.ts`) and a read thread
 * (`read-worker.ts`). One request at a time per thread; each gets one reply.
 */

/** What a read thread is started with. */
export interface ReadWorkerData {
  file: string;
  busyTimeoutMs: number;
}

/** A request to a read thread. */
export type WorkerRequest =
  /** Opens the read transaction of one program; its rows may take at most `maxResultBytes`. */
  | { kind: 'begin'; maxResultBytes?: number }
  /** Runs one statement of the program. */
  | { kind: 'all'; sql: string; params: readonly unknown[] }
  /** Ends the program's transaction. */
  | { kind: 'end'; commit: boolean };

/** A read thread's answer. */
export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'ok' }
  | { kind: 'rows'; rows: unknown[] }
  | { kind: 'error'; message: string; code?: string };
