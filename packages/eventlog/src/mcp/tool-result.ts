/**
 * From an envelope to a tool result an agent can use: the envelope as JSON text and as
 * `structuredContent`, `isError` when it failed, and results bounded so a careless call cannot
 * flood the agent's context — with a note saying how to get the rest.
 */

import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { AnyEnvelope } from './wire-dispatch.js';

/** How the query tool's `limit` default was applied. */
export interface QueryDefaults {
  /** The query as sent to the API. */
  args: unknown;
  /** The limit the tool put in, when the agent gave none. */
  defaultedLimit?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The query tool's arguments with a small default `limit` when the agent gave none and asks for
 * events (with `reduce` the limit is ignored). Anything malformed goes to the API unchanged, which
 * answers it with its own `VALIDATION_ERROR`.
 *
 * @example withDefaultLimit({ query: { from: { instance: 'a' } } }, 20).args // { query: { …, limit: 20 } }
 */
export function withDefaultLimit(args: unknown, limit: number): QueryDefaults {
  if (!isRecord(args) || !isRecord(args.query)) return { args };
  const query = args.query;
  if (query.limit !== undefined || query.reduce !== undefined) return { args };
  return { args: { ...args, query: { ...query, limit } }, defaultedLimit: limit };
}

/** The arrays a result may be cut short in, from the most to the least likely to be large. */
const TRIMMABLE: ReadonlyArray<{ path: readonly string[]; noun: string }> = [
  { path: ['data', 'result', 'events'], noun: 'events' },
  { path: ['data', 'result', 'aggregation', 'groups'], noun: 'groups' },
  { path: ['data', 'result', 'aggregation', 'value'], noun: 'collected values' },
  { path: ['data', 'events'], noun: 'events' },
  { path: ['data', 'instances'], noun: 'instances' },
];

/** The array at `path`, or undefined. */
function arrayAt(root: unknown, path: readonly string[]): unknown[] | undefined {
  let node = root;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return Array.isArray(node) ? node : undefined;
}

/** A copy of `root` with the value at `path` replaced; only the objects on the path are copied. */
function replaceAt(
  root: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): Record<string, unknown> {
  const [key, ...rest] = path as [string, ...string[]];
  return {
    ...root,
    [key]: rest.length === 0 ? value : replaceAt(root[key] as Record<string, unknown>, rest, value),
  };
}

/** What {@link fit} cut. */
interface Cut {
  noun: string;
  kept: number;
  of: number;
  /** Characters of the whole result. */
  chars: number;
}

/**
 * Cuts the envelope's first large list so its JSON fits in `maxChars`, keeping the first items.
 * Returns the JSON, the envelope it is of and, when it cut, what it kept.
 */
function fit(envelope: AnyEnvelope, maxChars: number): { json: string; body: AnyEnvelope; cut?: Cut } {
  const full = JSON.stringify(envelope);
  if (full.length <= maxChars) return { json: full, body: envelope };
  const root = envelope as unknown as Record<string, unknown>;
  for (const { path, noun } of TRIMMABLE) {
    const items = arrayAt(root, path);
    if (items === undefined) continue;
    // The JSON of an array is '[' + its items joined by ',' + ']', so the longest prefix that fits
    // follows from the items' own lengths.
    let length = JSON.stringify(replaceAt(root, path, [])).length;
    let kept = 0;
    while (kept < items.length) {
      const next = length + JSON.stringify(items[kept]).length + (kept > 0 ? 1 : 0);
      if (next > maxChars) break;
      length = next;
      kept++;
    }
    if (length > maxChars) continue; // even without this list it is too long
    const body = replaceAt(root, path, items.slice(0, kept)) as unknown as AnyEnvelope;
    return { json: JSON.stringify(body), body, cut: { noun, kept, of: items.length, chars: full.length } };
  }
  return { json: full, body: envelope };
}

/** Notes on a query page: how many matched, and how to page on. */
function pageNotes(envelope: AnyEnvelope, defaults: QueryDefaults | undefined, kept?: number): string[] {
  if (!envelope.success || !isRecord(envelope.data)) return [];
  const result = envelope.data.result;
  if (!isRecord(result) || !Array.isArray(result.events)) return [];
  const offset = typeof result.offset === 'number' ? result.offset : 0;
  const total = typeof result.total === 'number' ? result.total : 0;
  const shown = kept ?? result.events.length;
  const notes: string[] = [];
  if (offset + shown < total) {
    const defaulted =
      defaults?.defaultedLimit === undefined
        ? ''
        : ` (no "limit" was given, so this tool returns at most ${defaults.defaultedLimit} events a page; pass "limit" for larger pages)`;
    notes.push(
      `Showing ${shown === 0 ? 'no events' : `events ${offset + 1}–${offset + shown}`} of ${total} matching${defaulted}. Next page: the same query with "offset": ${offset + shown}. Or narrow it with "where", return fewer fields with "select", or count with "reduce".`,
    );
  }
  return notes;
}

/**
 * The tool result of an envelope: its JSON in the first text item and in `structuredContent`,
 * `isError` when it failed, and notes (paging, truncation) in a second text item. A result whose
 * JSON exceeds `maxChars` is cut to the first items of its largest list (events, groups, …) that
 * fit; if even that is too long, the text is truncated and says so.
 */
export function toToolResult(
  envelope: AnyEnvelope,
  maxChars: number,
  defaults?: QueryDefaults,
): CallToolResult {
  const { json, body, cut } = fit(envelope, maxChars);
  const notes = pageNotes(envelope, defaults, cut?.noun === 'events' ? cut.kept : undefined);
  let text = json;
  if (cut !== undefined) {
    notes.push(
      `Cut short: the full result is ${cut.chars} characters, over this server's cap of ${maxChars}, so only the first ${cut.kept} of ${cut.of} ${cut.noun} are shown.${cut.noun === 'events' ? ' Use a smaller "limit", or "select" only the fields you need.' : ''}`,
    );
  } else if (json.length > maxChars) {
    text = json.slice(0, maxChars);
    notes.push(
      `Truncated: the result is ${json.length} characters, over this server's cap of ${maxChars}; the JSON above is cut off. Narrow the request.`,
    );
  }
  const content: CallToolResult['content'] = [{ type: 'text', text }];
  if (notes.length > 0) content.push({ type: 'text', text: notes.join('\n') });
  return {
    content,
    structuredContent: body as unknown as Record<string, unknown>,
    ...(envelope.success ? {} : { isError: true }),
  };
}
