/**
 * The adapter reaches PostgreSQL through its Unix socket when the URL says so in libpq's forms
 * (`?host=/socket/dir`, a percent-encoded directory as the host): how a server on the same machine
 * (or Cloud SQL's `/cloudsql/…` proxy) is usually reached. Needs a role that may log in over the
 * socket with its password (`scripts/pg-setup.sh` allows the test role).
 */

import { existsSync } from 'node:fs';
import { createEventLog } from '@eventlog/core';
import { describePostgres, PG_URL, usePostgres } from '@eventlog/test-support';
import { expect, it } from 'vitest';
import { testAdapter } from './test/pg-env.js';

/**
 * The server's socket directory (`EVENTLOG_TEST_PG_SOCKET_DIR`, else where Debian and most
 * installs put it) for the test URL's port; undefined when none holds the socket (a server on
 * another machine).
 */
const PORT = PG_URL === undefined ? '5432' : new URL(PG_URL).port || '5432';
const SOCKET_DIRS = [
  process.env.EVENTLOG_TEST_PG_SOCKET_DIR,
  '/var/run/postgresql',
  '/run/postgresql',
  '/tmp',
];
const SOCKET_DIR = SOCKET_DIRS.find((d) => d !== undefined && existsSync(`${d}/.s.PGSQL.${PORT}`));
const NO_SOCKET = `no socket .s.PGSQL.${PORT} in ${SOCKET_DIRS.filter(Boolean).join(', ')}: set EVENTLOG_TEST_PG_SOCKET_DIR`;

describePostgres('a Unix-socket URL', () => {
  const pg = usePostgres({ prefix: 'el_socket', scope: 'test' });

  /** The socket's directory and port, with the test URL's credentials and database. */
  function socket() {
    // Under CI=true the server is local (scripts/pg-setup.sh): a missing socket fails the test.
    if (SOCKET_DIR === undefined) throw new Error(`${NO_SOCKET}.`);
    const tcp = new URL(pg.url);
    return {
      dir: SOCKET_DIR,
      port: PORT,
      auth: `${tcp.username}:${tcp.password}`,
      db: tcp.pathname.slice(1),
    };
  }

  /**
   * How many of this adapter's connections the server sees (its pool, and the `-notify` and
   * `-listen` ones when open), and how many came over TCP.
   */
  async function connections(applicationName: string) {
    const [row] = await pg.sql<Array<{ all: number; tcp: number }>>`
      select count(*)::int as all, count(client_addr)::int as tcp
      from pg_stat_activity where application_name like ${`${applicationName}%`}`;
    return row;
  }

  // Outside CI a server on another machine has no socket here: skipped, saying why.
  const skip = SOCKET_DIR === undefined && process.env.CI !== 'true';
  it.skipIf(skip).each([
    [
      '?host= with an empty authority',
      (s: ReturnType<typeof socket>) =>
        `postgres://${s.auth}@/${s.db}?host=${encodeURIComponent(s.dir)}&port=${s.port}`,
    ],
    [
      '?host= overriding the authority',
      (s: ReturnType<typeof socket>) => `postgresql://${s.auth}@localhost:${s.port}/${s.db}?host=${s.dir}`,
    ],
    [
      'a percent-encoded directory as the host',
      (s: ReturnType<typeof socket>) => `postgres://${s.auth}@${encodeURIComponent(s.dir)}:${s.port}/${s.db}`,
    ],
  ])(
    `given %s, when the log appends and reads, then every connection is on the socket${skip ? ` — SKIPPED: ${NO_SOCKET}` : ''}`,
    async (_, urlOf) => {
      const s = socket();
      const applicationName = `el-socket-${Math.random().toString(36).slice(2, 8)}`;
      const log = pg.closeAfter(
        createEventLog({ adapter: testAdapter(pg, { url: urlOf(s), applicationName }) }),
      );
      expect((await log.createInstance('via-socket')).success).toBe(true);
      const appended = await log.appendEvent({
        instanceId: 'via-socket',
        streamId: 's',
        eventType: 'T',
        payload: { n: 1 },
      });
      expect(appended.success).toBe(true);
      const read = await log.pageEvents({ from: { instance: 'via-socket' } });
      expect(read.success && read.data.events.map((e) => e.payload)).toEqual([{ n: 1 }]);
      const seen = await connections(applicationName);
      expect(seen?.all).toBeGreaterThan(0);
      expect(seen?.tcp).toBe(0);
    },
  );
});
