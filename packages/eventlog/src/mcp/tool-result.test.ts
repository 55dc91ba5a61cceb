import { describe, expect, it } from 'vitest';
import { toToolResult, withDefaultLimit } from './tool-result.js';
import type { AnyEnvelope } from './wire-dispatch.js';

const base = { timestamp: '2024-01-01T00:00:00.000Z', requestId: 'r1' };
const texts = (result: ReturnType<typeof toToolResult>) =>
  (result.content as Array<{ text: string }>).map((item) => item.text);

describe('withDefaultLimit', () => {
  it('given a query without limit or reduce, when prepared, then the default limit is added', () => {
    expect(withDefaultLimit({ query: { from: { instance: 'a' } } }, 20)).toEqual({
      args: { query: { from: { instance: 'a' }, limit: 20 } },
      defaultedLimit: 20,
    });
  });

  it.each([
    ['a limit', { query: { from: { instance: 'a' }, limit: 500 } }],
    ['a reduce', { query: { from: { instance: 'a' }, reduce: { type: 'count' } } }],
    ['no query', {}],
    ['a string query', { query: 'events' }],
    ['no arguments', undefined],
  ])('given %s, when prepared, then the arguments go to the API unchanged', (_name, args) => {
    expect(withDefaultLimit(args, 20)).toEqual({ args });
  });
});

describe('toToolResult', () => {
  it('given a failed envelope, when converted, then isError with the envelope as text and structuredContent', () => {
    const envelope: AnyEnvelope = {
      ...base,
      type: 'eventLog.getInstance',
      success: false,
      error: 'Instance "x" not found.',
      code: 'NOT_FOUND',
    };
    const result = toToolResult(envelope, 1000);
    expect(result.isError).toBe(true);
    expect(JSON.parse(texts(result)[0] as string)).toEqual(envelope);
    expect(result.structuredContent).toEqual(envelope);
  });

  it('given many groups over the cap, when converted, then the groups are cut to what fits, with a note', () => {
    const groups = Array.from({ length: 200 }, (_, i) => ({ key: { stream_id: `stream-${i}` }, value: i }));
    const envelope: AnyEnvelope = {
      ...base,
      type: 'eventLog.queryEvents',
      success: true,
      data: { result: { aggregation: { type: 'count', groupBy: ['stream_id'], groups }, total: 999 } },
    };
    const result = toToolResult(envelope, 2000);
    const [json, note] = texts(result);
    expect(json?.length).toBeLessThanOrEqual(2000);
    const kept = JSON.parse(json as string).data.result.aggregation.groups;
    expect(kept).toEqual(groups.slice(0, kept.length));
    expect(kept.length).toBeGreaterThan(10);
    // The longest prefix: one more group would not fit.
    const oneMore = structuredClone(JSON.parse(json as string));
    oneMore.data.result.aggregation.groups = groups.slice(0, kept.length + 1);
    expect(JSON.stringify(oneMore).length).toBeGreaterThan(2000);
    expect(note).toContain(`only the first ${kept.length} of 200 groups`);
    expect(result.structuredContent).toEqual(JSON.parse(json as string));
  });

  it('given one record too large to cut, when converted, then the text is truncated and says so', () => {
    const envelope: AnyEnvelope = {
      ...base,
      type: 'eventLog.appendEvent',
      success: true,
      data: { event: { payload: { text: 'x'.repeat(5000) } } },
    };
    const [json, note] = texts(toToolResult(envelope, 1000));
    expect(json).toHaveLength(1000);
    expect(note).toMatch(/^Truncated: the result is \d+ characters, over this server's cap of 1000/);
  });
});
