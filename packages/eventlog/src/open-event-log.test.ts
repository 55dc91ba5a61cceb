import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLogError } from '@eventlog/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { adapterFromUrl, openEventLog } from './open-event-log.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const savedEnv = process.env.EVENTLOG_URL;
const savedCwd = process.cwd();
afterEach(() => {
  if (savedEnv === undefined) delete process.env.EVENTLOG_URL;
  else process.env.EVENTLOG_URL = savedEnv;
  process.chdir(savedCwd);
});

/** Appends one event and reads it back, proving the log works end to end. */
async function roundTrip(url?: string) {
  const log = await openEventLog(url);
  try {
    const appended = await log.appendEvent({
      instanceId: 'probe',
      autoCreateInstance: true,
      eventType: 'probe',
      payload: { n: 1 },
    });
    expect(appended.success).toBe(true);
    const stats = await log.getInstanceStats('probe');
    return { adapter: log.store.adapter.name, count: stats.success ? stats.data.eventCount : -1 };
  } finally {
    await log.close();
  }
}

describe('openEventLog(url)', () => {
  it('given memory:, when opened, then it uses the memory adapter', async () => {
    expect(await roundTrip('memory:')).toEqual({ adapter: 'memory', count: 1 });
  });

  it('given sqlite::memory:, when opened, then it uses an in-memory SQLite database', async () => {
    expect(await roundTrip('sqlite::memory:')).toEqual({ adapter: 'sqlite', count: 1 });
  });

  it('given sqlite:<path>, when opened twice, then the second open sees the first one’s events', async () => {
    const file = join(dir, 'two-opens.db');
    expect(await roundTrip(`sqlite:${file}`)).toEqual({ adapter: 'sqlite', count: 1 });
    expect(await roundTrip(`sqlite:${file}`)).toEqual({ adapter: 'sqlite', count: 2 });
  });

  it('given no URL, when EVENTLOG_URL is set, then it is used', async () => {
    process.env.EVENTLOG_URL = `sqlite:${join(dir, 'from-env.db')}`;
    expect(await roundTrip()).toEqual({ adapter: 'sqlite', count: 1 });
    expect(await roundTrip(`sqlite:${join(dir, 'from-env.db')}`)).toEqual({ adapter: 'sqlite', count: 2 });
  });

  it('given no URL and no EVENTLOG_URL, when opened, then it uses sqlite:./eventlog.db', async () => {
    delete process.env.EVENTLOG_URL;
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    process.chdir(cwd);
    expect(await roundTrip()).toEqual({ adapter: 'sqlite', count: 1 });
    expect(await roundTrip(`sqlite:${join(cwd, 'eventlog.db')}`)).toEqual({ adapter: 'sqlite', count: 2 });
  });

  it.each([
    ['http://example.com', 'Unsupported store URL'],
    ['mysql://localhost/db', 'Unsupported store URL'],
    ['sqlite:', 'names no file'],
    ['', 'non-empty'],
  ])('given %j, when opened, then VALIDATION_ERROR says what is allowed', async (url, text) => {
    const error = await openEventLog(url).catch((e: unknown) => e);
    expect(EventLogError.isInstance(error)).toBe(true);
    expect((error as EventLogError).code).toBe('VALIDATION_ERROR');
    expect((error as EventLogError).message).toContain(text);
  });

  it('given postgres:// and postgresql:// URLs, when mapped, then the PostgreSQL adapter is chosen', async () => {
    for (const url of ['postgres://u:p@127.0.0.1:1/db', 'postgresql://u:p@127.0.0.1:1/db']) {
      const adapter = await adapterFromUrl(url);
      expect(adapter.name).toBe('postgres');
      await adapter.close();
    }
  });
});
