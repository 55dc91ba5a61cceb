/** The tabs of an instance: events (paged), streams, the query editor, the live tail, charts. */

import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, type EventRecord, followEvents, type InstanceStats, type QueryResult } from './api.js';
import { AggregationChart } from './chart.js';
import { JsonView } from './json-view.js';

const PAGE = 25;

function ErrorLine({ error }: { error: { code: string; error: string } | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" data-testid="error" role="alert">
      <strong>{error.code}</strong> {error.error}
    </p>
  );
}

/** One event as a row that opens to its JSON. */
function EventRow({ event }: { event: EventRecord }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr class="event-row" data-testid="event-row" onClick={() => setOpen(!open)}>
        <td class="num">{event.global_position}</td>
        <td class="mono">{event.timestamp.replace('T', ' ').replace('Z', '')}</td>
        <td>{event.stream_id}</td>
        <td>
          <span class="tag">{event.event_type}</span>
        </td>
        <td class="num">{event.sequence_number}</td>
        <td class="mono preview">{JSON.stringify(event.payload)}</td>
      </tr>
      {open && (
        <tr class="event-detail">
          <td colSpan={6}>
            <JsonView value={event} testId="event-json" />
          </td>
        </tr>
      )}
    </>
  );
}

function EventTable({ events }: { events: EventRecord[] }) {
  return (
    <table class="events">
      <thead>
        <tr>
          <th class="num">position</th>
          <th>timestamp</th>
          <th>stream</th>
          <th>type</th>
          <th class="num">seq</th>
          <th>payload</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <EventRow key={event.id} event={event} />
        ))}
      </tbody>
    </table>
  );
}

/** Events of the instance, newest first, paged, filtered by stream and type. */
export function EventsView({
  instance,
  stats,
  stream,
  onStream,
}: {
  instance: string;
  stats: InstanceStats | undefined;
  stream: string;
  onStream: (stream: string) => void;
}) {
  const [type, setType] = useState('');
  const [offset, setOffset] = useState(0);
  const [result, setResult] = useState<QueryResult>();
  const [error, setError] = useState<{ code: string; error: string }>();
  useEffect(() => setOffset(0), [instance, stream, type]);
  useEffect(() => {
    let live = true;
    const where = [
      ...(stream === '' ? [] : [{ field: 'stream_id', operator: 'eq', value: stream }]),
      ...(type === '' ? [] : [{ field: 'event_type', operator: 'eq', value: type }]),
    ];
    void call<{ result: QueryResult }>('queryEvents', {
      query: {
        from: { instance },
        ...(where.length === 0 ? {} : { where }),
        orderBy: { field: 'global_position', direction: 'desc' },
        limit: PAGE,
        offset,
      },
    }).then((res) => {
      if (!live) return;
      if (res.ok) {
        setResult(res.data.result);
        setError(undefined);
      } else setError(res);
    });
    return () => {
      live = false;
    };
  }, [instance, stream, type, offset, stats?.eventCount]);
  const total = result?.total ?? 0;
  return (
    <section>
      <div class="toolbar">
        <label>
          stream{' '}
          <input
            value={stream}
            placeholder="all streams"
            onChange={(e) => onStream((e.target as HTMLInputElement).value)}
            data-testid="events-stream"
          />
        </label>
        <label>
          type{' '}
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            <option value="">all types</option>
            {Object.keys(stats?.eventTypes ?? {}).map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <span class="spacer" />
        <span class="muted" data-testid="events-range">
          {total === 0 ? 'no events' : `${offset + 1}–${Math.min(offset + PAGE, total)} of ${total}`}
        </span>
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          ← newer
        </button>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          older →
        </button>
      </div>
      <ErrorLine error={error} />
      <EventTable events={(result?.events ?? []) as EventRecord[]} />
    </section>
  );
}

/** Streams of the instance with their event counts. */
export function StreamsView({ instance, onOpen }: { instance: string; onOpen: (stream: string) => void }) {
  const [groups, setGroups] = useState<Array<{ stream: string; count: number }>>();
  const [error, setError] = useState<{ code: string; error: string }>();
  useEffect(() => {
    void call<{ result: QueryResult }>('queryEvents', {
      query: { from: { instance }, reduce: { type: 'count', groupBy: ['stream_id'] } },
    }).then((res) => {
      if (!res.ok) {
        setError(res);
        return;
      }
      setGroups(
        (res.data.result.aggregation?.groups ?? []).map((g) => ({
          stream: String(g.key.stream_id),
          count: g.value as number,
        })),
      );
    });
  }, [instance]);
  return (
    <section>
      <ErrorLine error={error} />
      <table class="streams" data-testid="streams">
        <thead>
          <tr>
            <th>stream</th>
            <th class="num">events</th>
          </tr>
        </thead>
        <tbody>
          {(groups ?? []).map((g) => (
            <tr key={g.stream} class="clickable" onClick={() => onOpen(g.stream)}>
              <td>{g.stream}</td>
              <td class="num">{g.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups?.length === 0 && <p class="muted">No streams yet.</p>}
    </section>
  );
}

/** The starting point of the query editor for an instance. */
export function queryTemplate(instance: string): string {
  return JSON.stringify(
    {
      from: { instance },
      where: [{ field: 'timestamp', operator: 'gte', value: '2000-01-01T00:00:00Z' }],
      orderBy: { field: 'global_position', direction: 'desc' },
      limit: 20,
    },
    null,
    2,
  );
}

/** The DSL editor: a query as JSON, its result (events, or an aggregation and its chart), or its error. */
export function QueryView({ text, onText }: { text: string; onText: (text: string) => void }) {
  const [result, setResult] = useState<QueryResult>();
  const [error, setError] = useState<{ code: string; error: string }>();
  const [running, setRunning] = useState(false);
  const run = async () => {
    let query: unknown;
    try {
      query = JSON.parse(text);
    } catch (e) {
      setResult(undefined);
      setError({ code: 'JSON', error: `The query is not valid JSON: ${(e as Error).message}` });
      return;
    }
    setRunning(true);
    const res = await call<{ result: QueryResult }>('queryEvents', { query });
    setRunning(false);
    if (res.ok) {
      setResult(res.data.result);
      setError(undefined);
    } else {
      setResult(undefined);
      setError(res);
    }
  };
  return (
    <section class="query">
      <textarea
        data-testid="query-editor"
        spellcheck={false}
        value={text}
        onInput={(e) => onText((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') void run();
        }}
      />
      <div class="toolbar">
        <button
          type="button"
          class="primary"
          data-testid="run-query"
          disabled={running}
          onClick={() => void run()}
        >
          {running ? 'Running…' : 'Run'}
        </button>
        <span class="muted">
          Ctrl+Enter runs it. Fields: event_type, stream_id, timestamp, payload.…, metadata.…
        </span>
      </div>
      <ErrorLine error={error} />
      {result !== undefined && (
        <div data-testid="query-result">
          <p class="muted" data-testid="query-total">
            {result.total} matching event{result.total === 1 ? '' : 's'}
            {result.events !== undefined ? `, showing ${result.events.length}` : ''}
          </p>
          {result.aggregation !== undefined && <AggregationChart aggregation={result.aggregation} />}
          {result.events?.every((e) => e.global_position !== undefined && e.id) ? (
            <EventTable events={result.events as EventRecord[]} />
          ) : (
            <JsonView value={result.events ?? result.aggregation} testId="query-json" />
          )}
        </div>
      )}
    </section>
  );
}

/** New events as they commit (Server-Sent Events), newest first. */
export function LiveView({
  instance,
  head,
  onEvent,
}: {
  instance: string;
  head: number;
  onEvent?: () => void;
}) {
  const [events, setEvents] = useState<EventRecord[]>([]);
  const [state, setState] = useState('connecting');
  const [paused, setPaused] = useState(false);
  const [type, setType] = useState('');
  const [after, setAfter] = useState(head);
  useEffect(() => {
    if (paused) return;
    const where = type === '' ? [] : [{ field: 'event_type', operator: 'eq', value: type }];
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = followEvents(
      { instance, after, where },
      {
        onEvent: (event) => {
          setEvents((list) => [event, ...list].slice(0, 500));
          setAfter(event.global_position);
          // At most one statistics refresh per burst.
          clearTimeout(refreshTimer);
          refreshTimer = setTimeout(() => onEvent?.(), 300);
        },
        onState: (s, detail) => setState(detail === undefined ? s : `${s}: ${detail}`),
      },
    );
    return () => {
      clearTimeout(refreshTimer);
      stop();
    };
    // `after` moves with every event; the stream itself resumes by Last-Event-ID.
  }, [instance, paused, type]);
  return (
    <section>
      <div class="toolbar">
        <span class={`status ${state.startsWith('live') ? 'ok' : 'wait'}`} data-testid="live-state">
          {paused ? 'paused' : state}
        </span>
        <label>
          type{' '}
          <input
            value={type}
            placeholder="all"
            onChange={(e) => setType((e.target as HTMLInputElement).value)}
          />
        </label>
        <span class="spacer" />
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setEvents([])}>
          Clear
        </button>
      </div>
      <div data-testid="live-events">
        <EventTable events={events} />
      </div>
      {events.length === 0 && <p class="muted">Waiting for events after position {head}…</p>}
    </section>
  );
}

const INTERVALS = ['minute', 'hour', 'day', 'week', 'month'] as const;
const MEASURES = ['count', 'sum', 'avg', 'min', 'max'] as const;

/** Aggregations over time buckets as charts: counts per event type per hour/day, or any measure. */
export function ChartsView({ instance, onEdit }: { instance: string; onEdit: (query: string) => void }) {
  const [measure, setMeasure] = useState<(typeof MEASURES)[number]>('count');
  const [field, setField] = useState('payload.amount');
  const [interval, setInterval] = useState<(typeof INTERVALS)[number]>('hour');
  const [split, setSplit] = useState(true);
  const [result, setResult] = useState<QueryResult>();
  const [error, setError] = useState<{ code: string; error: string }>();
  const query = useMemo(
    () => ({
      from: { instance },
      reduce: {
        type: measure,
        ...(measure === 'count' ? {} : { field }),
        groupBy: [{ field: 'timestamp', interval }, ...(split ? ['event_type'] : [])],
      },
    }),
    [instance, measure, field, interval, split],
  );
  useEffect(() => {
    let live = true;
    void call<{ result: QueryResult }>('queryEvents', { query }).then((res) => {
      if (!live) return;
      if (res.ok) {
        setResult(res.data.result);
        setError(undefined);
      } else {
        setResult(undefined);
        setError(res);
      }
    });
    return () => {
      live = false;
    };
  }, [query]);
  return (
    <section>
      <div class="toolbar">
        <select
          data-testid="chart-measure"
          value={measure}
          onChange={(e) => setMeasure((e.target as HTMLSelectElement).value as never)}
        >
          {MEASURES.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        {measure !== 'count' && (
          <input
            value={field}
            onChange={(e) => setField((e.target as HTMLInputElement).value)}
            title="a numeric field"
          />
        )}
        <span>per</span>
        <select
          data-testid="chart-interval"
          value={interval}
          onChange={(e) => setInterval((e.target as HTMLSelectElement).value as never)}
        >
          {INTERVALS.map((i) => (
            <option key={i} value={i}>
              {i}
            </option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={split}
            onChange={(e) => setSplit((e.target as HTMLInputElement).checked)}
          />{' '}
          by event type
        </label>
        <span class="spacer" />
        <button type="button" onClick={() => onEdit(JSON.stringify(query, null, 2))}>
          Edit as query
        </button>
      </div>
      <ErrorLine error={error} />
      {result?.aggregation !== undefined && (
        <>
          <p class="muted" data-testid="chart-groups">
            {result.aggregation.groups?.length ?? 0} groups over {result.total} events
          </p>
          <AggregationChart aggregation={result.aggregation} />
        </>
      )}
    </section>
  );
}
