import { describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';

describe('postgres adapter options', () => {
  it('given only a URL, when resolved, then the defaults apply', () => {
    const options = resolveOptions({ url: 'postgres://u:p@localhost:5432/db' });
    expect(options).toMatchObject({
      url: 'postgres://u:p@localhost:5432/db',
      schema: 'eventlog',
      max: 10,
      statementTimeoutMs: 30_000,
      coalesce: true,
      migrate: true,
    });
  });

  it('given a schema query parameter, when resolved, then it picks the schema and leaves the URL without it', () => {
    expect(resolveOptions({ url: 'postgres://h/db?schema=audit&sslmode=require' })).toMatchObject({
      url: 'postgres://h/db?sslmode=require',
      schema: 'audit',
    });
    expect(resolveOptions({ url: 'postgresql://h/db?schema=audit' })).toMatchObject({
      url: 'postgresql://h/db',
      schema: 'audit',
    });
    // An explicit option wins over the URL.
    expect(resolveOptions({ url: 'postgres://h/db?schema=audit', schema: 'other' }).schema).toBe('other');
  });

  it('given bad options, when resolved, then they are refused with a message naming the option', () => {
    expect(() => resolveOptions({ url: 'mysql://h/db' })).toThrow(/"url" must be a PostgreSQL URL/);
    expect(() => resolveOptions({ url: 'postgres://h/db', schema: 'no-dashes' })).toThrow(/"schema"/);
    expect(() => resolveOptions({ url: 'postgres://h/db', schema: 'x'.repeat(64) })).toThrow(/"schema"/);
    expect(() => resolveOptions({ url: 'postgres://h/db', max: 0 })).toThrow(/"max" must be an integer ≥ 1/);
    expect(() => resolveOptions({ url: 'postgres://h/db', statementTimeoutMs: -1 })).toThrow(
      /statementTimeoutMs/,
    );
  });
});
