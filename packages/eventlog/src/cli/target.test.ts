import { createEventLog, type EventRecord } from '@eventlog/core';
import { memoryAdapter } from '@eventlog/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventLogServer } from '../server/event-log-server.js';
import { until } from '../test/raw-client.js';
import { openTarget, redactUrl, type Target } from './target.js';

describe('redactUrl', () => {
  it.each([
    ['postgres://user:secret@db.example:5432/app', 'postgres://user:***@db.example:5432/app'],
    ['postgresql://user:p%40ss@db/app', 'postgresql://user:***@db/app'],
    ['postgres://u:p@ss@db/app', 'postgres://u:***@db/app'],
    ['postgres://u:pa/ss@db/app', 'postgres://***@db/app'],
    ['postgres://u:pa:ss@db/app', 'postgres://u:***@db/app'],
    ['postgres://db/app?user=u&password=secret', 'postgres://db/app?user=u&password=***'],
    ['postgres://user@db/app', 'postgres://user@db/app'],
    ['sqlite:./events.db', 'sqlite:./events.db'],
    ['memory:', 'memory:'],
  ])('given %s, then %s (no part of a password is left)', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('a remote follow (tail -f over ws://)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given a consumer slower than the server, when thousands of events arrive, then it is called one event at a time, every event once and in order', async () => {
    const log = createEventLog({ adapter: memoryAdapter() });
    const total = 3000;
    for (let i = 0; i < total; i += 1000) {
      await log.appendEvents({
        instanceId: 'feed',
        autoCreateInstance: true,
        events: Array.from({ length: 1000 }, (_, j) => ({ eventType: 'tick', payload: { n: i + j } })),
      });
    }
    const server = await createEventLogServer({ log, port: 0, heartbeatMs: 0 });
    cleanups.push(() => server.close());
    const target: Target = await openTarget({ url: server.address.url });
    cleanups.push(() => target.close());

    const seen: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const following = await target.follow({ instance: 'feed', after: 0 }, async (event: EventRecord) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      // A slow stdout: every 100th write waits for a drain.
      if ((event.payload.n as number) % 100 === 0) await new Promise((r) => setTimeout(r, 5));
      seen.push(event.payload.n as number);
      running -= 1;
    });
    cleanups.push(async () => following.stop());
    await until(() => seen.length === total, 20_000);
    expect(mostAtOnce).toBe(1);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
  });
});
