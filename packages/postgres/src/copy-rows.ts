/**
 * Rows for `COPY events (...) FROM STDIN` in PostgreSQL's text format: one line per event, columns
 * separated by tabs, `\N` for NULL, and backslash, tab, newline and carriage return escaped with a
 * backslash. Columns: id, instance_id, stream_id, sequence_number, event_type, payload, metadata,
 * timestamp, event_id, tags (see `copyEvents` in statements.ts).
 *
 * Also the COPY itself on a reserved connection, written in chunks with backpressure.
 */

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { isEmptyMetadata, type PlannedRow } from '@eventlog/sql';

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text value escaped for COPY's text format. */
export function copyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] as string) : value;
}

/** JSON text escaped for COPY (JSON never holds a raw tab or newline, but may hold backslashes). */
function copyJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/** One row's line, newline included; `instanceId` already escaped. */
export function copyLine(instanceId: string, row: PlannedRow): string {
  const { event, sequence } = row;
  const metadata = event.metadata;
  const empty = isEmptyMetadata(metadata);
  return `${copyText(event.id)}\t${instanceId}\t${copyText(event.streamId)}\t${sequence}\t${copyText(event.eventType)}\t${copyJson(event.payload)}\t${empty ? '{}' : copyJson(metadata)}\t${copyText(event.timestamp)}\t${event.eventId === undefined ? '\\N' : copyText(event.eventId)}\t${event.tags === undefined ? '\\N' : copyJson(event.tags)}\n`;
}

/** Characters per chunk written to the COPY stream. */
const CHUNK = 256 * 1024;

/** A query that can become a COPY stream (postgres.js `Query`). */
interface CopyQuery {
  writable(): Promise<Writable>;
  reject: (error: unknown) => void;
}

/**
 * Streams `rows` into the COPY `query` and resolves when the server acknowledged it; rejects with
 * the server's error when it refused the data.
 *
 * postgres.js resolves the query with the stream when the COPY starts and never settles it again;
 * an error the server reports after the stream ended (a unique key checked as rows go in) reaches
 * only the query's `reject`, and the stream would wait for ever. So the error is caught there.
 */
export async function copyRows(
  query: CopyQuery,
  instanceId: string,
  rows: readonly PlannedRow[],
): Promise<void> {
  let refused!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    refused = reject;
  });
  failed.catch(() => {});
  const reject = query.reject;
  query.reject = (error: unknown) => {
    refused(error);
    reject(error);
  };
  const instance = copyText(instanceId);
  const stream = await query.writable();
  const done = new Promise<void>((resolve, fail) => {
    stream.on('finish', resolve);
    stream.on('error', fail);
  });
  done.catch(() => {});
  const write = async () => {
    let chunk = '';
    for (const row of rows) {
      chunk += copyLine(instance, row);
      if (chunk.length >= CHUNK) {
        if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done, failed]);
        chunk = '';
      }
    }
    stream.end(chunk);
  };
  await Promise.race([write().then(() => done), done, failed]);
}
