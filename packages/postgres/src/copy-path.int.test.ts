/**
 * The COPY path of large transactions (see append-writer.ts, `copy-rows.ts`): the same results as
 * the INSERT path — events, sequence numbers, positions in order, tags, type counts, conflicts,
 * duplicates — compared call by call on two adapters, one that copies from 500 events and one that
 * never copies.
 */

import type { AppendOutcome, AppendRequest, CommitSignal, EventRecord, NewEvent } from '@eventlog/core';
import {
  appendRequest,
  describePostgres,
  errorOf,
  expectVersion,
  freshInstance,
  newEvent,
  usePostgres,
} from '@eventlog/test-support';
import { beforeAll, expect, it } from 'vitest';
import { copyLine } from './copy-rows.js';
import type { PostgresAdapter } from './index.js';
import { recordStatements, testAdapter } from './test/pg-env.js';

const N = 600;

/** Strings COPY's text format must escape, and some it need not. */
const AWKWARD = ['tab\there', 'new\nline', 'cr\rhere', 'back\\slash', '\\N', 'quote"s', 'ünïcødé ✓', ''];

function events(
  count: number,
  prefix: string,
  extra: (k: number) => Partial<NewEvent> = () => ({}),
): NewEvent[] {
  return Array.from({ length: count }, (_, k) =>
    newEvent({
      streamId: `${prefix}-${k % 3}`,
      eventType: k % 7 === 0 ? `Type\t${k % 2}` : 'Happened',
      payload: { k, text: AWKWARD[k % AWKWARD.length] as string, nested: { list: [k, 'a\\b'] } },
      metadata: k % 5 === 0 ? { note: AWKWARD[(k + 1) % AWKWARD.length] as string } : {},
      timestamp: `2024-01-0${1 + (k % 3)}T00:00:00.000Z`,
      ...(k % 4 === 0 ? { tags: [`t:${k % 8}`, 'all'] } : {}),
      ...extra(k),
    }),
  );
}

/** An outcome without what differs between two instances: ids, instance ids, absolute positions. */
function shape(outcome: AppendOutcome, base: number) {
  return {
    duplicate: outcome.duplicate,
    events: outcome.events.map((e) => comparable(e, base)),
  };
}

function comparable(e: EventRecord, base: number) {
  const { id: _id, instanceId: _instance, global_position, ...rest } = e;
  return { ...rest, position: global_position - base };
}

describePostgres('postgres COPY path', () => {
  const pg = usePostgres();
  let copying: PostgresAdapter;
  let inserting: PostgresAdapter;

  beforeAll(async () => {
    // 500: batches of 600 exercise the COPY path without making the test slow (default 5000).
    copying = testAdapter(pg, { copyMinEvents: 500 });
    inserting = testAdapter(pg, { copyMinEvents: 1_000_000 });
    await Promise.all([copying.ready(), inserting.ready()]);
  });

  it('given awkward strings, then each line is the COPY text format of the row', () => {
    const line = copyLine('inst', {
      event: newEvent({
        id: 'i\\d',
        streamId: 'a\tb',
        eventType: 'x\ny',
        payload: { s: 'a\\b\t"c"' },
        metadata: {},
        eventId: 'e\r1',
        tags: ['t\\1'],
        timestamp: '2024-01-01T00:00:00.000Z',
      }),
      sequence: 7,
    });
    // JSON's own backslashes are doubled; raw tabs, newlines, CRs and backslashes are escaped.
    expect(line).toBe(
      `${String.raw`i\\d`}\tinst\t${String.raw`a\tb`}\t7\t${String.raw`x\ny`}\t${String.raw`{"s":"a\\\\b\\t\\"c\\""}`}\t{}\t2024-01-01T00:00:00.000Z\t${String.raw`e\r1`}\t${String.raw`["t\\\\1"]`}\n`,
    );
  });

  it('given the same calls on both paths, then events, sequence numbers, positions, tags, type counts, conflicts and duplicates are the same', async () => {
    const [a, b] = await Promise.all([freshInstance(copying), freshInstance(inserting)]);
    const script: Array<(instance: string) => AppendRequest> = [
      (i) =>
        appendRequest(
          i,
          events(N, 's', (k) => ({ eventId: `first-${k}` })),
        ),
      // An exact expectedVersion that holds, on a stream the first batch wrote.
      (i) =>
        appendRequest(
          i,
          events(N, 's').map((e) => ({ ...e, streamId: 's-0' })),
          { expectedVersion: expectVersion(200) },
        ),
      (i) => appendRequest(i, events(N, 'u')),
    ];
    let baseA = 0;
    let baseB = 0;
    for (const [k, make] of script.entries()) {
      const recorder = recordStatements(copying);
      const ra = await copying.append(make(a.id));
      recorder.stop();
      expect(recorder.statements.some((s) => s.startsWith('copy '))).toBe(true);
      const rb = await inserting.append(make(b.id));
      if (k === 0) {
        baseA = (ra.events[0]?.global_position as number) - 1;
        baseB = (rb.events[0]?.global_position as number) - 1;
      }
      // Positions in event order, strictly increasing.
      const positions = ra.events.map((e) => e.global_position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(positions).size).toBe(positions.length);
      expect(
        ra.events.map((e) => [
          e.stream_id,
          e.sequence_number,
          e.payload,
          e.metadata,
          e.event_type,
          e.tags,
          e.eventId,
          e.timestamp,
        ]),
      ).toEqual(
        rb.events.map((e) => [
          e.stream_id,
          e.sequence_number,
          e.payload,
          e.metadata,
          e.event_type,
          e.tags,
          e.eventId,
          e.timestamp,
        ]),
      );
    }
    // Relative positions match too (each adapter wrote its instance alone).
    const storedA = await copying.readAfter({ instanceId: a.id, after: 0, limit: 10_000 });
    const storedB = await inserting.readAfter({ instanceId: b.id, after: 0, limit: 10_000 });
    expect(storedA).toHaveLength(3 * N);
    const rank = (list: EventRecord[]) => list.map((e, k) => ({ ...comparable(e, 0), position: k }));
    expect(rank(storedA)).toEqual(rank(storedB));

    // A wrong expectedVersion, a full duplicate, a partial duplicate: the same outcomes.
    const wrong = (i: string) => appendRequest(i, events(N, 's'), { expectedVersion: expectVersion(3) });
    expect(await errorOf(copying.append(wrong(a.id)))).toMatchObject(
      await errorOf(inserting.append(wrong(b.id))).then((e) => ({ code: e.code, details: e.details })),
    );
    const again = (i: string) =>
      appendRequest(
        i,
        events(N, 's', (k) => ({ eventId: `first-${k}` })),
      );
    const dupA = await copying.append(again(a.id));
    const dupB = await inserting.append(again(b.id));
    expect(dupA.duplicate).toBe(true);
    expect(shape(dupA, baseA)).toEqual(shape(dupB, baseB));
    const partial = (i: string) =>
      appendRequest(
        i,
        events(N, 's', (k) => ({ eventId: k < 10 ? `first-${k}` : `new-${k}` })),
      );
    const partialA = await errorOf(copying.append(partial(a.id)));
    const partialB = await errorOf(inserting.append(partial(b.id)));
    expect({ code: partialA.code, details: partialA.details }).toEqual({
      code: partialB.code,
      details: partialB.details,
    });

    // Tags and type counts as the inserts keep them.
    const tagRows = async (instance: string) =>
      pg.sql.unsafe<Array<{ tag: string; k: number }>>(
        `select t.tag, (e.payload->>'k')::int as k from "${pg.schema}".event_tags t
         join "${pg.schema}".events e on e.global_position = t.global_position
         where t.instance_id = $1 order by t.global_position, t.tag`,
        [instance],
      );
    const tagsA = await tagRows(a.id);
    expect(tagsA.length).toBeGreaterThan(0);
    expect(tagsA).toEqual(await tagRows(b.id));
    const counts = async (instance: string) =>
      pg.sql.unsafe<Array<{ event_type: string; n: number }>>(
        `select event_type, n from "${pg.schema}".event_type_counts where instance_id = $1 order by event_type`,
        [instance],
      );
    expect(await counts(a.id)).toEqual(await counts(b.id));
  });

  it('given calls coalesced into one large group, then the group is one COPY and each call gets its own outcome', async () => {
    const instance = await freshInstance(copying);
    await copying.append(appendRequest(instance.id, [newEvent({ streamId: 'g' })]));
    const recorder = recordStatements(copying);
    try {
      const [first, conflict, second] = await Promise.allSettled([
        copying.append(appendRequest(instance.id, events(300, 'g'))),
        copying.append(appendRequest(instance.id, events(5, 'g'), { expectedVersion: expectVersion(0) })),
        copying.append(appendRequest(instance.id, events(300, 'h'))),
      ]);
      expect(first.status).toBe('fulfilled');
      expect(second.status).toBe('fulfilled');
      expect(conflict).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT' } });
      const a = (first as PromiseFulfilledResult<AppendOutcome>).value.events;
      const b = (second as PromiseFulfilledResult<AppendOutcome>).value.events;
      expect(a[0]).toMatchObject({ stream_id: 'g-0', sequence_number: 1 });
      expect((b[0]?.global_position as number) > (a[a.length - 1]?.global_position as number)).toBe(true);
      expect(recorder.statements.filter((s) => s.startsWith('copy '))).toHaveLength(1);
    } finally {
      recorder.stop();
    }
  });

  it('given a COPY the server refuses (an eventId twice in the batch), then the call fails as on the INSERT path, nothing is written, and the adapter goes on', async () => {
    const [a, b] = await Promise.all([freshInstance(copying), freshInstance(inserting)]);
    const twice = (i: string) =>
      appendRequest(
        i,
        events(N, 'd', (k) => ({ eventId: `e-${k % (N - 1)}` })),
      );
    const copyError = await errorOf(copying.append(twice(a.id)));
    const insertError = await errorOf(inserting.append(twice(b.id)));
    expect(copyError.code).toBe(insertError.code);
    expect(await copying.readAfter({ instanceId: a.id, after: 0, limit: 10 })).toEqual([]);
    const { events: written } = await copying.append(appendRequest(a.id, events(N, 'd')));
    expect(written).toHaveLength(N);
  });

  it('given a watcher, when a COPY commits, then it is signalled with the committed events', async () => {
    const instance = await freshInstance(copying);
    const signals: CommitSignal[] = [];
    const stop = copying.watch((s) => signals.push(s));
    try {
      const { events: written } = await copying.append(appendRequest(instance.id, events(N, 'w')));
      const last = written[written.length - 1]?.global_position;
      await expect
        .poll(() =>
          signals.some((s) => s.kind === 'append' && s.instanceId === instance.id && s.position === last),
        )
        .toBe(true);
    } finally {
      stop();
    }
  });
});
