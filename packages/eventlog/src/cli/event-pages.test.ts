import { createEventLog, type EventLog, type Query } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type EventReader, eventPages, headPosition, lastEvents } from './event-pages.js';

describe('event pages (export, tail)', () => {
  let log: EventLog;

  beforeEach(async () => {
    log = createEventLog({ adapter: memoryAdapter() });
    await log.createInstance('pages');
    const events = Array.from({ length: 25 }, (_, i) => ({
      streamId: `s${i % 3}`,
      eventType: 'E',
      payload: { i },
    }));
    await log.appendEvents({ instanceId: 'pages', events });
  });
  afterEach(() => log.close());

  /** A reader of `log`, local (with pageEvents) or remote (the nine methods only), counting its calls. */
  function reader(local: boolean) {
    const queryEvents = vi.fn((query: Query) => log.queryEvents(query));
    const pageEvents = vi.fn((query: Query) => log.store.pageEvents(query));
    const eventLog = { ...log, queryEvents } as unknown as EventReader['eventLog'];
    return { reader: { eventLog, ...(local ? { pageEvents } : {}) } as EventReader, queryEvents, pageEvents };
  }

  it('given a local store, when every page is read, then only the first counts the matches', async () => {
    const { reader: local, queryEvents, pageEvents } = reader(true);
    const pages = [];
    for await (const page of eventPages(local, { instance: 'pages', after: 0, pageSize: 10 }))
      pages.push(page);
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 5]);
    expect(pages.flatMap((p) => p.events.map((e) => e.payload.i))).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    );
    expect(pages.map((p) => p.total)).toEqual([25, 25, 25]);
    expect(queryEvents).toHaveBeenCalledTimes(1);
    expect(pageEvents).toHaveBeenCalledTimes(2);
  });

  it('given a server (no pageEvents), when pages, the last events and the head are read, then queryEvents gives the same', async () => {
    const local = reader(true);
    const remote = reader(false);
    const read = async (r: EventReader) => {
      const all = [];
      for await (const page of eventPages(r, { instance: 'pages', stream: 's1', after: 3, pageSize: 2 }))
        all.push(...page.events);
      return {
        all: all.map((e) => e.global_position),
        last: (await lastEvents(r, { instance: 'pages', stream: 's2' }, 3)).map((e) => e.global_position),
        head: await headPosition(r, 'pages'),
      };
    };
    const expected = { all: [5, 8, 11, 14, 17, 20, 23], last: [18, 21, 24], head: 25 };
    expect(await read(local.reader)).toEqual(expected);
    expect(local.queryEvents).toHaveBeenCalledTimes(1); // the first page, for its total
    expect(await read(remote.reader)).toEqual(expected);
    expect(remote.pageEvents).not.toHaveBeenCalled();
  });
});
