import {
  createEventLog,
  type EventLog,
  failureEnvelope,
  invalid,
  type Query,
  validationError,
} from '@eventlog/core';
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

  /**
   * A reader of `log`, counting its calls; `old`: a server from before `pageEvents`, which answers
   * it as an unknown request type.
   */
  function reader(old = false) {
    const queryEvents = vi.fn((query: Query) => log.queryEvents(query));
    const pageEvents = vi.fn((query: Query) =>
      old
        ? Promise.resolve(
            failureEnvelope(
              'eventLog.pageEvents',
              invalid('type', '"eventLog.pageEvents" is not a request type; types are …'),
            ),
          )
        : log.pageEvents(query),
    );
    const eventLog = { ...log, queryEvents, pageEvents } as unknown as EventReader['eventLog'];
    return { reader: { eventLog } as EventReader, queryEvents, pageEvents };
  }

  async function readAll(r: EventReader) {
    const all = [];
    for await (const page of eventPages(r, { instance: 'pages', stream: 's1', after: 3, pageSize: 2 }))
      all.push(...page.events);
    return {
      all: all.map((e) => e.global_position),
      last: (await lastEvents(r, { instance: 'pages', stream: 's2' }, 3)).map((e) => e.global_position),
      head: await headPosition(r, 'pages'),
    };
  }
  const expected = { all: [5, 8, 11, 14, 17, 20, 23], last: [18, 21, 24], head: 25 };

  it('given a log, when every page is read, then only the first counts the matches', async () => {
    const { reader: r, queryEvents, pageEvents } = reader();
    const pages = [];
    for await (const page of eventPages(r, { instance: 'pages', after: 0, pageSize: 10 })) pages.push(page);
    expect(pages.map((p) => p.events.length)).toEqual([10, 10, 5]);
    expect(pages.flatMap((p) => p.events.map((e) => e.payload.i))).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    );
    expect(pages.map((p) => p.total)).toEqual([25, 25, 25]);
    expect(queryEvents).toHaveBeenCalledTimes(1);
    expect(pageEvents).toHaveBeenCalledTimes(2);
  });

  it('given a log, when pages, the last events and the head are read, then they are right and only the first page counts', async () => {
    const r = reader();
    expect(await readAll(r.reader)).toEqual(expected);
    expect(r.queryEvents).toHaveBeenCalledTimes(1); // the first page, for its total
    expect(r.pageEvents).toHaveBeenCalledTimes(5); // 3 more pages, the last events, the head
  });

  it('given a server from before pageEvents, when the same is read, then queryEvents gives it, after one refused pageEvents', async () => {
    const old = reader(true);
    expect(await readAll(old.reader)).toEqual(expected);
    expect(old.pageEvents).toHaveBeenCalledTimes(1); // remembered: not asked again
    expect(old.queryEvents).toHaveBeenCalledTimes(6); // 4 pages, then the last events and the head
  });

  it('given pageEvents failing otherwise, when a page is read, then the failure is reported, not hidden', async () => {
    const { reader: r } = reader();
    const broken = {
      eventLog: {
        ...r.eventLog,
        pageEvents: () =>
          Promise.resolve(
            failureEnvelope('eventLog.pageEvents', validationError('limit: must be at most 1000')),
          ),
      },
    } as EventReader;
    await expect(lastEvents(broken, { instance: 'pages' }, 3)).rejects.toThrow(/limit: must be at most 1000/);
  });
});
