/**
 * Envelopes (SPEC §3): `type`, `success`, `requestId`, an ISO `timestamp` on every method; the
 * facade resolves to an envelope whatever it is given and whatever the adapter throws.
 */

import { type Envelope, ERROR_CODES, EventLogError, type MethodName } from '@eventlog/core';
import { expect, test } from 'vitest';
import { type ContextHolder, expectOk, ISO_TIMESTAMP, loose, useContext } from '../context.js';
import { failingAdapter } from './errors.js';

function expectEnvelope(envelope: Envelope<string, unknown>, method: MethodName, success: boolean): void {
  expect(envelope.type).toBe(`eventLog.${method}`);
  expect(envelope.success).toBe(success);
  expect(typeof envelope.requestId).toBe('string');
  expect(envelope.requestId.length).toBeGreaterThan(0);
  expect(envelope.timestamp).toMatch(ISO_TIMESTAMP);
  expect(Number.isNaN(Date.parse(envelope.timestamp))).toBe(false);
  if (envelope.success) {
    expect(envelope.data).toBeDefined();
  } else {
    expect(ERROR_CODES).toContain(envelope.code);
    expect(typeof envelope.error).toBe('string');
    expect(envelope.error.length).toBeGreaterThan(0);
  }
  // Envelopes cross the wire: they must survive JSON.
  expect(JSON.parse(JSON.stringify(envelope))).toEqual(envelope);
}

/** Registers the `envelopes` group. */
export function registerEnvelopeTests(holder: ContextHolder): void {
  test('given each of the nine methods succeeding, then each envelope has its type, success, requestId and timestamp', async () => {
    const ctx = useContext(holder);
    const log = ctx.log;
    const name = ctx.uniqueName('env');
    const created = await log.createInstance(name, 'd');
    expectEnvelope(created, 'createInstance', true);
    const id = expectOk(created).instance.id;
    expectEnvelope(await log.getInstance(id), 'getInstance', true);
    expectEnvelope(await log.listInstances(), 'listInstances', true);
    expectEnvelope(await log.updateInstance(id, { description: 'e' }), 'updateInstance', true);
    expectEnvelope(await log.appendEvent({ instanceId: id, eventType: 'a' }), 'appendEvent', true);
    expectEnvelope(
      await log.appendEvents({ instanceId: id, events: [{ eventType: 'b' }] }),
      'appendEvents',
      true,
    );
    expectEnvelope(await log.queryEvents({ from: { instance: id } }), 'queryEvents', true);
    expectEnvelope(await log.getInstanceStats(id), 'getInstanceStats', true);
    expectEnvelope(await log.deleteInstance(id), 'deleteInstance', true);
  });

  test('given each method failing, then each envelope has its type, success false, a code and an error', async () => {
    const ctx = useContext(holder);
    const log = loose(ctx.log);
    const missing = ctx.uniqueName('missing');
    expectEnvelope(await log.createInstance(''), 'createInstance', false);
    expectEnvelope(await log.getInstance(missing), 'getInstance', false);
    expectEnvelope(await log.updateInstance(missing, {}), 'updateInstance', false);
    expectEnvelope(await log.deleteInstance(missing), 'deleteInstance', false);
    expectEnvelope(await log.appendEvent({ instanceId: missing, eventType: 'a' }), 'appendEvent', false);
    expectEnvelope(await log.appendEvents({ instanceId: missing, events: [] }), 'appendEvents', false);
    expectEnvelope(await log.queryEvents({ from: { instance: missing } }), 'queryEvents', false);
    expectEnvelope(await log.getInstanceStats(missing), 'getInstanceStats', false);
  });

  test('given many calls, then request ids are distinct', async () => {
    const ctx = useContext(holder);
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => ctx.log.listInstances()));
    expect(new Set(envelopes.map((e) => e.requestId)).size).toBe(20);
  });

  test('given a version conflict, then the envelope carries code CONFLICT and details, and survives JSON', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('env-conflict');
    await ctx.append(inst.id, [{ eventType: 'a' }], 's');
    const res = await ctx.log.appendEvent({
      instanceId: inst.id,
      streamId: 's',
      eventType: 'b',
      expectedVersion: 0,
    });
    expectEnvelope(res, 'appendEvent', false);
    expect(res).toMatchObject({
      code: 'CONFLICT',
      details: { streamId: 's', expectedVersion: 0, actualVersion: 1 },
    });
  });

  test('given hostile arguments, then no method rejects', async () => {
    const ctx = useContext(holder);
    const log = loose(ctx.log);
    const throwingGetter = new Proxy(
      {},
      {
        get() {
          throw new Error('boom from a getter');
        },
        ownKeys() {
          throw new Error('boom from ownKeys');
        },
      },
    );
    const withThrowingToJSON = {
      instanceId: 'x',
      eventType: 'a',
      payload: {
        toJSON() {
          throw new Error('boom from toJSON');
        },
      },
    };
    const hostile: unknown[] = [
      undefined,
      null,
      42,
      '',
      Symbol('s'),
      [],
      throwingGetter,
      withThrowingToJSON,
      () => 1,
    ];
    const methods = [
      'createInstance',
      'getInstance',
      'listInstances',
      'updateInstance',
      'deleteInstance',
      'appendEvent',
      'appendEvents',
      'queryEvents',
      'getInstanceStats',
    ] as const;
    for (const method of methods) {
      for (const arg of hostile) {
        const call = (log[method] as (...args: unknown[]) => Promise<Envelope<string, unknown>>)(arg, arg);
        await expect(call, `${method}(${String(typeof arg)})`).resolves.toMatchObject({
          type: `eventLog.${method}`,
        });
      }
    }
  });

  test('given an adapter that throws an EventLogError, then its code passes through', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('env-passthrough');
    const log = ctx.facade(
      failingAdapter(
        ctx.adapter,
        new EventLogError('CONFLICT', 'Simulated conflict from the adapter.', {
          details: { streamId: 's', expectedVersion: 0, actualVersion: 1 },
        }),
      ),
    );
    const res = await log.appendEvent({ instanceId: inst.id, streamId: 's', eventType: 'x' });
    expectEnvelope(res, 'appendEvent', false);
    expect(res).toMatchObject({ code: 'CONFLICT', details: { streamId: 's', actualVersion: 1 } });
  });

  test('given an adapter that rejects with a raw error, then every data method resolves to STORAGE_ERROR', async () => {
    const ctx = useContext(holder);
    const inst = await ctx.newInstance('env-raw');
    const log = ctx.facade(failingAdapter(ctx.adapter, new TypeError('socket hang up')));
    for (const res of [
      await log.appendEvent({ instanceId: inst.id, eventType: 'x' }),
      await log.appendEvents({ instanceId: inst.id, events: [{ eventType: 'x' }] }),
      await log.queryEvents({ from: { instance: inst.id } }),
      await log.getInstanceStats(inst.id),
    ]) {
      expect(res).toMatchObject({ success: false, code: 'STORAGE_ERROR' });
      expect(JSON.parse(JSON.stringify(res))).toEqual(res);
    }
  });
}
