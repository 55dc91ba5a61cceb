import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';
import { connectionTarget } from './pg-client.js';

describe('connectionTarget (libpq URL forms postgres.js does not read)', () => {
  it.each([
    [
      'a plain URL',
      'postgres://u:p@db:5432/app?sslmode=require',
      { url: 'postgres://u:p@db:5432/app?sslmode=require' },
    ],
    ['no port', 'postgresql://db/app', { url: 'postgresql://db/app' }],
    ['an IPv6 host', 'postgres://u:p@[::1]:5433/app', { url: 'postgres://u:p@[::1]:5433/app' }],
    [
      '?host= a socket directory with an empty authority',
      'postgres://u:p@/app?host=%2Fvar%2Frun%2Fpostgresql&port=5433',
      { url: 'postgres://u:p@localhost:5433/app', host: '/var/run/postgresql' },
    ],
    [
      '?host= without credentials',
      'postgres:///app?host=/tmp',
      { url: 'postgres://localhost/app', host: '/tmp' },
    ],
    [
      '?host= overriding the authority, other parameters kept',
      'postgres://u:p@localhost:6000/app?host=/cloudsql/proj:region:db&sslmode=disable',
      { url: 'postgres://u:p@localhost:6000/app?sslmode=disable', host: '/cloudsql/proj:region:db' },
    ],
    [
      '?host= a host name',
      'postgres://u:p@/app?host=db.internal',
      { url: 'postgres://u:p@localhost/app', host: 'db.internal' },
    ],
    ['?port= alone', 'postgres://u:p@db/app?port=6432', { url: 'postgres://u:p@db:6432/app' }],
    [
      'a percent-encoded socket directory as the host',
      'postgres://u:p@%2Fvar%2Frun%2Fpostgresql:5433/app',
      { url: 'postgres://u:p@localhost:5433/app', host: '/var/run/postgresql' },
    ],
    [
      'a password holding @ and /',
      'postgres://u:p%40%2Fx@/app?host=/tmp',
      { url: 'postgres://u:p%40%2Fx@localhost/app', host: '/tmp' },
    ],
  ])('given %s, then postgres.js gets a URL it parses and the host apart', (_, url, expected) => {
    expect(connectionTarget(url)).toEqual(expected);
    // postgres.js parses it with Node's URL: it must be one.
    expect(() => new URL(connectionTarget(url).url)).not.toThrow();
  });

  it('given a port that is not a number, when the adapter is configured, then it is refused naming the port', () => {
    expect(() => resolveOptions({ url: 'postgres://u:p@/app?host=/tmp&port=abc' })).toThrow(
      /port must be a number, got "abc"/,
    );
    expect(() => resolveOptions({ url: 'postgres://h/app', replicas: ['postgres://r/app?port=x1'] })).toThrow(
      /port must be a number/,
    );
  });
});
