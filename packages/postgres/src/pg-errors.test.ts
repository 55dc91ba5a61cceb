import { EventLogError } from '@eventlog/core';
import { DrizzleQueryError } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { findPgError, isServerError, isUniqueViolation, wrapDriverError } from './pg-errors.js';
import { STREAM_SEQUENCE_KEY } from './schema.js';

function pgError(fields: Record<string, unknown>): Error {
  const PostgresError = (postgres as unknown as { PostgresError: new (x: object) => Error }).PostgresError;
  return new PostgresError({
    severity: 'ERROR',
    message: 'duplicate key value violates unique constraint',
    ...fields,
  });
}

describe('PostgreSQL errors', () => {
  it('given a unique violation wrapped by drizzle, when inspected, then the PostgreSQL error is found in cause', () => {
    const inner = pgError({ code: '23505', constraint_name: STREAM_SEQUENCE_KEY });
    const wrapped = new DrizzleQueryError('insert into "events" …', [], inner);
    expect(findPgError(wrapped)).toBe(inner);
    expect(isUniqueViolation(wrapped, STREAM_SEQUENCE_KEY)).toBe(true);
  });

  it('given a unique violation of another constraint, when checked against the sequence key, then it is not one', () => {
    const other = pgError({ code: '23505', constraint_name: 'events_event_id_key' });
    expect(isUniqueViolation(other, STREAM_SEQUENCE_KEY)).toBe(false);
    expect(
      isUniqueViolation(
        pgError({ code: '23503', constraint_name: STREAM_SEQUENCE_KEY }),
        STREAM_SEQUENCE_KEY,
      ),
    ).toBe(false);
  });

  it('given a connection error, when inspected, then it is not a server error', () => {
    const lost = Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), {
      code: 'CONNECTION_CLOSED',
    });
    expect(findPgError(lost)).toBeUndefined();
    expect(isServerError(lost)).toBe(false);
    expect(isServerError(pgError({ code: '57014' }))).toBe(true);
  });

  it('given a driver error, when wrapped, then it is a STORAGE_ERROR with the cause and the statement', () => {
    const inner = pgError({ code: '57014', message: 'canceling statement due to statement timeout' });
    const wrapped = wrapDriverError(inner, 'running a query', 'select 1');
    expect(EventLogError.isInstance(wrapped)).toBe(true);
    expect(wrapped.code).toBe('STORAGE_ERROR');
    expect(wrapped.cause).toBe(inner);
    expect(wrapped.details).toEqual({ statement: 'select 1' });
    expect(wrapped.message).toMatch(/statement timeout.*57014/);
  });

  it('given an EventLogError, when wrapped, then it passes through unchanged', () => {
    const conflict = new EventLogError('CONFLICT', 'stream moved');
    expect(wrapDriverError(conflict, 'appending')).toBe(conflict);
  });
});
