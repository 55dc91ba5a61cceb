import { describe, expect, it } from 'vitest';
import { failureEnvelope, successEnvelope, toEnvelopeError } from './envelope.js';
import { EventLogError } from './errors.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('envelopes', () => {
  it('given data, when a success envelope is built, then it carries type, data, requestId and timestamp', () => {
    expect(
      successEnvelope('eventLog.listInstances', { instances: [] }, 'r1', '2024-01-01T00:00:00.000Z'),
    ).toEqual({
      type: 'eventLog.listInstances',
      success: true,
      data: { instances: [] },
      requestId: 'r1',
      timestamp: '2024-01-01T00:00:00.000Z',
    });
    const defaults = successEnvelope('eventLog.listInstances', {});
    expect(defaults.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(defaults.timestamp).toMatch(ISO);
  });

  it('given an EventLogError, when a failure envelope is built, then its message, code and details are kept', () => {
    const error = new EventLogError('NOT_FOUND', 'gone', { details: { instance: 'x' } });
    expect(failureEnvelope('eventLog.getInstance', error, 'r2', '2024-01-01T00:00:00.000Z')).toEqual({
      type: 'eventLog.getInstance',
      success: false,
      error: 'gone',
      code: 'NOT_FOUND',
      details: { instance: 'x' },
      requestId: 'r2',
      timestamp: '2024-01-01T00:00:00.000Z',
    });
    expect(failureEnvelope('eventLog.getInstance', new EventLogError('CONFLICT', 'c'))).not.toHaveProperty(
      'details',
    );
  });

  it.each([
    ['an Error', new Error('disk full'), 'The storage backend failed: disk full'],
    ['a null-prototype object', Object.create(null), 'cannot be printed'],
    ['an unknown code', new EventLogError('NOPE' as never, 'x'), 'unknown error code "NOPE"'],
  ])('given %s, when turned into an envelope, then it is a STORAGE_ERROR', (_name, thrown, text) => {
    expect(toEnvelopeError(thrown).code).toBe('STORAGE_ERROR');
    const envelope = failureEnvelope('eventLog.listInstances', thrown);
    expect(envelope).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
    expect(envelope.error).toContain(text);
  });
});
