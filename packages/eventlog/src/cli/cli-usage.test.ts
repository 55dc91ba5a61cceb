import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openEventLog } from '../open-event-log.js';
import {
  canRunOnTerminal,
  killCliProcesses,
  runCli,
  runCliOnTerminal,
  startCli,
} from '../test/cli-process.js';
import { openTarget } from './target.js';

const dir = mkdtempSync(join(tmpdir(), 'eventlog-cli-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(killCliProcesses);

/** An empty directory to run the bin in. */
function emptyDir(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

/** A SQLite store with one instance `audit` holding `count` events. */
async function store(name: string, count = 3): Promise<string> {
  const url = `sqlite:${join(dir, `${name}.db`)}`;
  const log = await openEventLog(url);
  try {
    await log.appendEvents({
      instanceId: 'audit',
      autoCreateInstance: true,
      events: Array.from({ length: count }, (_, i) => ({ eventType: 'e', payload: { i } })),
    });
  } finally {
    await log.close();
  }
  return url;
}

/** A local TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('eventlog usage', { timeout: 120_000 }, () => {
  it('given no arguments, then it prints the help on stdout and exits 0', async () => {
    const res = await runCli([], emptyDir('no-args'));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Usage: eventlog/);
    expect(res.stdout).toMatch(/Exit codes/);
  });

  it('given an unknown subcommand, then it names it and the valid ones, and exits 2', async () => {
    const cwd = emptyDir('unknown-sub');
    const [instances, top] = await Promise.all([
      runCli(['instances', 'remove', 'x'], cwd),
      runCli(['frobnicate'], cwd),
    ]);
    expect(instances.code).toBe(2);
    expect(instances.stderr).toMatch(/unknown command 'remove' for 'instances'/);
    expect(instances.stderr).toMatch(/list, create, get, update, delete/);
    expect(instances.stderr).not.toMatch(/too many arguments/);
    expect(top.code).toBe(2);
    expect(top.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('given an unknown option, a missing argument or a bad value, then it exits 2', async () => {
    const cwd = emptyDir('usage-errors');
    const url = await store('usage');
    const results = await Promise.all([
      runCli(['stats', 'audit', '--bogus', '--url', url], cwd),
      runCli(['stats', '--url', url], cwd),
      runCli(['streams', 'truncate', 'audit', 's', '--url', url, '--before'], cwd),
      runCli(['tail', 'audit', '-n', 'many', '--url', url], cwd),
      runCli(['serve', '--url', 'memory:', '--port', 'http'], cwd),
      // -f means --follow (tail); query reads a file with --file only.
      runCli(['query', '-f', 'q.json', '--url', url], cwd),
    ]);
    for (const res of results) {
      expect(res.stderr).toMatch(/^eventlog: |error: /m);
      expect(res.code, res.stderr).toBe(2);
    }
  });

  it('given a bad value and no store, then the usage error comes first: exit 2, and no store file', async () => {
    const cwd = emptyDir('usage-before-store');
    const results = await Promise.all([
      runCli(['append', 'audit', '--payload', '{}'], cwd),
      runCli(['streams', 'truncate', 'audit', 's', '--before', 'abc', '--yes'], cwd),
      runCli(['retention', 'set', 'audit'], cwd),
      runCli(['tail', 'audit', '-n', 'many'], cwd),
      runCli(['query', '{"from":'], cwd),
    ]);
    for (const res of results) {
      expect(res.stderr).not.toMatch(/No store/);
      expect(res.code, res.stderr).toBe(2);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('given serve --help, then --port has a default', async () => {
    const res = await runCli(['serve', '--help'], emptyDir('serve-help'));
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/--port <port>.*\(default: "4000"\)/);
  });

  it('given instances delete without a terminal, then it needs --yes (exit 2) and deletes nothing', async () => {
    const cwd = emptyDir('instances-delete');
    const url = await store('delete', 750);
    const refused = await runCli(['instances', 'delete', 'audit', '--url', url], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/750 events/);
    expect(refused.stderr).toMatch(/pass --yes/);
    const stats = await runCli(['stats', 'audit', '--url', url], cwd);
    expect(JSON.parse(stats.stdout)).toMatchObject({ eventCount: 750 });
    const deleted = await runCli(['instances', 'delete', 'audit', '--url', url, '--yes'], cwd);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ deletedEvents: 750 });
  });

  it('given no store file, then reading commands fail naming the store URL and how to choose one, and create no file', async () => {
    const cwd = emptyDir('no-store');
    const results = await Promise.all([
      runCli(['instances', 'list'], cwd),
      runCli(['stats', 'audit'], cwd),
      runCli(['query', '{"from":{"instance":"audit"}}'], cwd),
      runCli(['tail', 'audit'], cwd),
      runCli(['export'], cwd),
    ]);
    for (const res of results) {
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toMatch(/sqlite:\.\/eventlog\.db/);
      expect(res.stderr).toMatch(/--url/);
      expect(res.stderr).toMatch(/\$EVENTLOG_URL/);
    }
    expect(readdirSync(cwd)).toEqual([]);
    // Commands that create data create the store, and say which (once: not when it exists).
    const created = await runCli(['instances', 'create', 'audit'], cwd);
    expect(created.code).toBe(0);
    expect(existsSync(join(cwd, 'eventlog.db'))).toBe(true);
    expect(created.stderr).toMatch(
      /creating a new store at .*eventlog\.db \(sqlite:\.\/eventlog\.db, from the default/,
    );
    const again = await runCli(['instances', 'create', 'billing'], cwd);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/creating a new store/);
  });

  it('given a missing instance, then the advice names CLI commands and flags, not API options', async () => {
    const url = await store('advice');
    const res = await runCli(['append', 'nowhere', '--type', 't', '--url', url], emptyDir('advice'));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/NOT_FOUND/);
    expect(res.stderr).toMatch(/eventlog instances create/);
    expect(res.stderr).toMatch(/--create/);
    expect(res.stderr).not.toMatch(/autoCreateInstance|createInstance/);
  });

  it('given an unsupported URL, then the message lists every scheme, store and server, and exits 2', async () => {
    const res = await runCli(['instances', 'list', '--url', 'redis://localhost'], emptyDir('bad-url'));
    expect(res.code).toBe(2);
    for (const scheme of ['memory:', 'sqlite:', 'postgres://', 'postgresql://', 'ws://', 'wss://']) {
      expect(res.stderr).toContain(scheme);
    }
  });

  it('given a ws:// URL where nothing listens, then it fails fast saying the connection was refused', async () => {
    const port = await closedPort();
    // The refusal itself is reported (ECONNREFUSED), not the connection timeout that follows it
    // after 10 s; how fast that is, is the bench's business, not a test's.
    await expect(openTarget({ url: `ws://127.0.0.1:${port}` })).rejects.toThrow(/ECONNREFUSED/);
    const res = await runCli(['stats', 'audit', '--url', `ws://127.0.0.1:${port}`], emptyDir('refused'));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/ws:\/\/127\.0\.0\.1:\d+/);
    expect(res.stderr).toMatch(/refused/);
  });

  it('given a server with a token, when the token is missing or wrong, then the advice names --token and $EVENTLOG_TOKEN', async () => {
    const cwd = emptyDir('token');
    const serve = startCli(['serve', '--url', 'memory:', '--port', '0', '--token', 'tok'], cwd);
    const end = Date.now() + 20_000;
    while (!serve.stdout().includes('listening') && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const url = /ws:\/\/[^\s]+/.exec(serve.stdout())?.[0] as string;
    const [missing, wrong] = await Promise.all([
      runCli(['instances', 'list', '--url', url], cwd),
      runCli(['instances', 'list', '--url', url, '--token', 'nope'], cwd),
    ]);
    for (const res of [missing, wrong]) {
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/UNAUTHORIZED/);
      expect(res.stderr).toMatch(/--token/);
      expect(res.stderr).toMatch(/\$EVENTLOG_TOKEN/);
      expect(res.stderr).not.toMatch(/connect\(url/);
    }
    serve.child.kill('SIGTERM');
    await serve.exited;
  });

  it('given import and export without a terminal, then the final progress line is printed once', async () => {
    const cwd = emptyDir('progress');
    const url = await store('progress', 20);
    const exported = await runCli(['export', join(cwd, 'out.ndjson'), '--url', url], cwd);
    expect(exported.code).toBe(0);
    expect(exported.stderr.split('\n').filter((l) => l.startsWith('export:'))).toHaveLength(1);
    const imported = await runCli(
      ['import', join(cwd, 'out.ndjson'), '--instance', 'copy', '--create', '--url', url],
      cwd,
    );
    expect(imported.code).toBe(0);
    const progressLines = imported.stderr
      .split('\n')
      .filter((l) => l.startsWith('import:') && !l.startsWith('import: note:'));
    expect(progressLines).toHaveLength(1);
  });

  it('given commands that call one method, then stdout is that method’s envelope data', async () => {
    const cwd = emptyDir('shapes');
    const url = await store('shapes');
    writeFileSync(join(cwd, 'q.json'), '{"from":{"instance":"audit"},"limit":1}');
    const [list, get, query] = await Promise.all([
      runCli(['instances', 'list', '--url', url], cwd),
      runCli(['instances', 'get', 'audit', '--url', url], cwd),
      runCli(['query', '--file', 'q.json', '--url', url], cwd),
    ]);
    expect(JSON.parse(list.stdout)).toMatchObject({ instances: [{ name: 'audit' }] });
    expect(JSON.parse(get.stdout)).toMatchObject({ instance: { name: 'audit' } });
    expect(JSON.parse(query.stdout)).toMatchObject({ result: { total: 3, limit: 1 } });
  });

  it.skipIf(!canRunOnTerminal)(
    'given a terminal, then results are text for a person, and --json keeps JSON',
    async () => {
      const cwd = emptyDir('terminal');
      const url = await store('terminal');
      const [list, stats, tail, json] = await Promise.all([
        runCliOnTerminal(['instances', 'list', '--url', url], cwd),
        runCliOnTerminal(['stats', 'audit', '--url', url], cwd),
        runCliOnTerminal(['tail', 'audit', '-n', '1', '--url', url], cwd),
        runCliOnTerminal(['stats', 'audit', '--url', url, '--json'], cwd),
      ]);
      expect(list).toMatch(/^instances:\n\s+NAME\s+ID\s+CREATEDAT/);
      expect(list).toMatch(/\n\s+audit\s+/);
      expect(stats).toMatch(/^instanceId: /m);
      expect(stats).toMatch(/^eventCount: 3$/m);
      expect(tail.trim()).toMatch(/^#3 {2}default#3 {2}e {2}\S+Z {2}\{"i":2\}$/);
      expect(JSON.parse(json)).toMatchObject({ eventCount: 3 });
    },
  );
});
