/**
 * Results for a person: what the CLI prints on a terminal instead of JSON (`--json` keeps JSON).
 * One renderer for every command, so every result reads the same way: events as one line each,
 * lists of instances as a table, everything else as indented `key: value` lines.
 */

/** An event record, as far as the renderer reads it. */
interface EventLike {
  global_position: number;
  stream_id?: string;
  sequence_number?: number;
  event_type?: string;
  timestamp?: string;
  payload?: unknown;
  tags?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEvent(value: unknown): value is EventLike {
  return isObject(value) && typeof value.global_position === 'number' && 'event_type' in value;
}

function isInstance(value: unknown): value is Record<string, unknown> & { id: string; name: string } {
  return (
    isObject(value) && typeof value.id === 'string' && typeof value.name === 'string' && 'createdAt' in value
  );
}

function isGroup(value: unknown): value is { key: Record<string, unknown>; value: unknown } {
  return isObject(value) && isObject(value.key) && 'value' in value && Object.keys(value).length === 2;
}

/**
 * One event on one line: position, stream#sequence, type, time, payload.
 *
 * @example formatEventLine(event) // '#3  cart-1#2  ItemAdded  2024-01-01T00:00:00.000Z  {"sku":"A1"}'
 */
export function formatEventLine(event: EventLike): string {
  const parts = [`#${event.global_position}`];
  if (event.stream_id !== undefined)
    parts.push(`${event.stream_id}${event.sequence_number === undefined ? '' : `#${event.sequence_number}`}`);
  if (event.event_type !== undefined) parts.push(event.event_type);
  if (event.timestamp !== undefined) parts.push(event.timestamp);
  if (event.payload !== undefined) parts.push(JSON.stringify(event.payload));
  return parts.join('  ');
}

function table(rows: Array<Record<string, unknown>>, columns: string[]): string[] {
  const cells = rows.map((row) => columns.map((c) => (row[c] === undefined ? '' : String(row[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)];
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function render(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${indent}(none)`];
    if (value.every(isEvent)) return value.map((e) => `${indent}${formatEventLine(e)}`);
    if (value.every(isInstance)) {
      return table(value, ['name', 'id', 'createdAt', 'description']).map((l) => `${indent}${l}`);
    }
    if (value.every(isGroup)) {
      // Aggregation groups: `event_type=login, stream_id=s1: 3`.
      return value.map(
        (g) =>
          `${indent}${Object.entries(g.key)
            .map(([k, v]) => `${k}=${scalar(v)}`)
            .join(', ')}: ${scalar(g.value)}`,
      );
    }
    if (value.every((v) => !isObject(v) && !Array.isArray(v)))
      return [`${indent}${value.map(scalar).join(', ')}`];
    return value.flatMap((item, i) => [`${indent}- [${i}]`, ...render(item, `${indent}  `)]);
  }
  if (isEvent(value)) return [`${indent}${formatEventLine(value)}`];
  if (isObject(value)) {
    const lines: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      if (isObject(item) && !isEvent(item) && Object.keys(item).length > 0) {
        lines.push(`${indent}${key}:`, ...render(item, `${indent}  `));
      } else if (Array.isArray(item) && item.some((v) => isObject(v) || Array.isArray(v))) {
        lines.push(`${indent}${key}:`, ...render(item, `${indent}  `));
      } else if (Array.isArray(item) || isEvent(item)) {
        lines.push(`${indent}${key}: ${render(item, '')[0]}`);
      } else {
        lines.push(`${indent}${key}: ${isObject(item) ? '{}' : scalar(item)}`);
      }
    }
    return lines.length === 0 ? [`${indent}(empty)`] : lines;
  }
  return [`${indent}${scalar(value)}`];
}

/** A command's result (envelope data or a summary) as text for a terminal. */
export function formatHuman(value: unknown): string {
  return render(value, '').join('\n');
}
