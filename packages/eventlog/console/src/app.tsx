/** The console: a token prompt when needed, instances on the left, the selected instance's tabs. */

import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, type Instance, type InstanceStats, onUnauthorized, savedToken, saveToken } from './api.js';
import { ChartsView, EventsView, LiveView, QueryView, queryTemplate, StreamsView } from './views.js';

type Tab = 'events' | 'streams' | 'query' | 'live' | 'charts';
const TABS: Tab[] = ['events', 'streams', 'query', 'live', 'charts'];

function TokenPrompt({ onSaved }: { onSaved: () => void }) {
  const [token, setToken] = useState('');
  return (
    <div class="modal-backdrop">
      <form
        class="modal"
        onSubmit={(e) => {
          e.preventDefault();
          saveToken(token);
          onSaved();
        }}
      >
        <h2>This server needs a token</h2>
        <p>Enter the token it was started with (eventlog serve --token). It is kept for this tab only.</p>
        <input
          type="password"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          data-testid="token-input"
        />
        <div class="actions">
          <button type="submit" class="primary">
            Use token
          </button>
        </div>
      </form>
    </div>
  );
}

function HealthDot() {
  const [ok, setOk] = useState<boolean>();
  useEffect(() => {
    const check = () =>
      fetch('/health')
        .then((r) => setOk(r.ok))
        .catch(() => setOk(false));
    void check();
    const timer = setInterval(check, 10_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <span class={`status ${ok === undefined ? 'wait' : ok ? 'ok' : 'bad'}`} title="GET /health">
      {ok === undefined ? 'checking' : ok ? 'store ok' : 'store unavailable'}
    </span>
  );
}

function CreateInstance({ onCreated }: { onCreated: (instance: Instance) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState<string>();
  return (
    <form
      class="create"
      onSubmit={async (e) => {
        e.preventDefault();
        const res = await call<{ instance: Instance }>('createInstance', {
          name,
          ...(description === '' ? {} : { description }),
        });
        if (res.ok) {
          setName('');
          setDescription('');
          setError(undefined);
          onCreated(res.data.instance);
        } else setError(`${res.code}: ${res.error}`);
      }}
    >
      <input
        placeholder="new instance name"
        value={name}
        onInput={(e) => setName((e.target as HTMLInputElement).value)}
        data-testid="new-instance-name"
      />
      <input
        placeholder="description (optional)"
        value={description}
        onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
      />
      <button type="submit" class="primary" disabled={name === ''} data-testid="create-instance">
        Create
      </button>
      {error !== undefined && <p class="error">{error}</p>}
    </form>
  );
}

/** Rename / re-describe, and delete after typing the name. */
function InstanceActions({
  instance,
  stats,
  onChanged,
  onDeleted,
}: {
  instance: Instance;
  stats: InstanceStats | undefined;
  onChanged: (instance: Instance) => void;
  onDeleted: () => void;
}) {
  const [mode, setMode] = useState<'idle' | 'rename' | 'delete'>('idle');
  // The count the dialog shows is read when it opens, so the person sees what they delete now.
  const [count, setCount] = useState<number>();
  const [name, setName] = useState(instance.name);
  const [description, setDescription] = useState(instance.description ?? '');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string>();
  useEffect(() => {
    setMode('idle');
    setName(instance.name);
    setDescription(instance.description ?? '');
    setConfirm('');
    setError(undefined);
  }, [instance.id]);
  if (mode === 'rename') {
    return (
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const updates: Record<string, unknown> = {};
          if (name !== instance.name) updates.name = name;
          if (description !== (instance.description ?? ''))
            updates.description = description === '' ? null : description;
          const res = await call<{ instance: Instance }>('updateInstance', {
            instanceId: instance.id,
            ...updates,
          });
          if (res.ok) {
            setMode('idle');
            onChanged(res.data.instance);
          } else setError(`${res.code}: ${res.error}`);
        }}
      >
        <input
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          data-testid="rename-input"
        />
        <input
          value={description}
          placeholder="description"
          onInput={(e) => setDescription((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" data-testid="rename-save">
          Save
        </button>
        <button type="button" onClick={() => setMode('idle')}>
          Cancel
        </button>
        {error !== undefined && <p class="error">{error}</p>}
      </form>
    );
  }
  return (
    <div class="actions">
      <button type="button" onClick={() => setMode('rename')} data-testid="rename">
        Rename
      </button>
      <button
        type="button"
        class="danger"
        onClick={async () => {
          setCount(stats?.eventCount);
          setMode('delete');
          const res = await call<InstanceStats>('getInstanceStats', { instanceId: instance.id });
          if (res.ok) setCount(res.data.eventCount);
        }}
        data-testid="delete"
      >
        Delete…
      </button>
      {mode === 'delete' && (
        <div class="modal-backdrop">
          <form
            class="modal"
            data-testid="delete-dialog"
            onSubmit={async (e) => {
              e.preventDefault();
              const res = await call('deleteInstance', { instanceId: instance.id });
              if (res.ok) onDeleted();
              else setError(`${res.code}: ${res.error}`);
            }}
          >
            <h2>Delete “{instance.name}”?</h2>
            <p>
              This deletes the instance and its <strong data-testid="delete-count">{count ?? 'all'}</strong>{' '}
              event
              {count === 1 ? '' : 's'}, for good. Type its name to confirm.
            </p>
            <input
              value={confirm}
              onInput={(e) => setConfirm((e.target as HTMLInputElement).value)}
              data-testid="delete-confirm"
            />
            {error !== undefined && <p class="error">{error}</p>}
            <div class="actions">
              <button type="button" onClick={() => setMode('idle')}>
                Cancel
              </button>
              <button
                type="submit"
                class="danger"
                disabled={confirm !== instance.name}
                data-testid="delete-submit"
              >
                Delete
              </button>
            </div>
          </form>
        </div>
      )}
    </div>
  );
}

function InstanceView({
  instance,
  onChanged,
  onDeleted,
}: {
  instance: Instance;
  onChanged: (instance: Instance) => void;
  onDeleted: () => void;
}) {
  const [tab, setTab] = useState<Tab>('events');
  const [stats, setStats] = useState<InstanceStats>();
  const [stream, setStream] = useState('');
  const [queryText, setQueryText] = useState(() => queryTemplate(instance.name));
  const [head, setHead] = useState<number>();
  const refresh = useCallback(() => {
    void call<InstanceStats>('getInstanceStats', { instanceId: instance.id }).then((res) => {
      if (res.ok) setStats(res.data);
    });
  }, [instance.id]);
  useEffect(() => {
    setTab('events');
    setStream('');
    setQueryText(queryTemplate(instance.name));
    setHead(undefined);
    refresh();
    // The live tail starts at the current head.
    void call<{ result: { events?: Array<{ global_position?: number }> } }>('queryEvents', {
      query: {
        from: { instance: instance.id },
        orderBy: { field: 'global_position', direction: 'desc' },
        limit: 1,
        select: ['global_position'],
      },
    }).then((res) => setHead(res.ok ? (res.data.result.events?.[0]?.global_position ?? 0) : 0));
  }, [instance.id]);
  useEffect(() => {
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh]);
  // Fresh figures whenever the person looks at another tab.
  useEffect(refresh, [tab]);
  return (
    <main>
      <header class="instance-header">
        <div>
          <h1 data-testid="instance-title">{instance.name}</h1>
          <p class="muted mono">{instance.id}</p>
          {instance.description !== undefined && <p>{instance.description}</p>}
        </div>
        <dl class="stats" data-testid="instance-stats">
          <div>
            <dt>events</dt>
            <dd data-testid="stat-events">{stats?.eventCount ?? '…'}</dd>
          </div>
          <div>
            <dt>streams</dt>
            <dd>{stats?.streamCount ?? '…'}</dd>
          </div>
          <div>
            <dt>types</dt>
            <dd>{stats === undefined ? '…' : Object.keys(stats.eventTypes).length}</dd>
          </div>
          <div>
            <dt>last event</dt>
            <dd class="mono small">{stats?.lastEventAt?.replace('T', ' ').replace('Z', '') ?? '—'}</dd>
          </div>
        </dl>
        <InstanceActions instance={instance} stats={stats} onChanged={onChanged} onDeleted={onDeleted} />
      </header>
      <nav class="tabs">
        {TABS.map((t) => (
          <button
            type="button"
            key={t}
            class={t === tab ? 'active' : ''}
            onClick={() => setTab(t)}
            data-testid={`tab-${t}`}
          >
            {t}
          </button>
        ))}
      </nav>
      {tab === 'events' && (
        <EventsView instance={instance.id} stats={stats} stream={stream} onStream={setStream} />
      )}
      {tab === 'streams' && (
        <StreamsView
          instance={instance.id}
          onOpen={(s) => {
            setStream(s);
            setTab('events');
          }}
        />
      )}
      {tab === 'query' && <QueryView text={queryText} onText={setQueryText} />}
      {tab === 'live' && head !== undefined && (
        <LiveView instance={instance.id} head={head} onEvent={refresh} />
      )}
      {tab === 'charts' && (
        <ChartsView
          instance={instance.name}
          onEdit={(text) => {
            setQueryText(text);
            setTab('query');
          }}
        />
      )}
    </main>
  );
}

/** The whole console. */
export function App() {
  const [instances, setInstances] = useState<Instance[]>();
  const [selected, setSelected] = useState<string | undefined>(
    () => decodeURIComponent(location.hash.slice(1)) || undefined,
  );
  const [needToken, setNeedToken] = useState(false);
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    const res = await call<{ instances: Instance[] }>('listInstances');
    if (res.ok) {
      setInstances(res.data.instances);
      setError(undefined);
    } else if (res.code !== 'UNAUTHORIZED') setError(`${res.code}: ${res.error}`);
  }, []);
  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (selected !== undefined) history.replaceState(null, '', `#${encodeURIComponent(selected)}`);
  }, [selected]);
  const current = instances?.find((i) => i.id === selected || i.name === selected);
  return (
    <div class="layout">
      <header class="top">
        <span class="brand">Event Log</span>
        <span class="spacer" />
        <HealthDot />
        <a href="/metrics" target="_blank" rel="noreferrer">
          metrics
        </a>
        {savedToken() !== undefined && (
          <button
            type="button"
            onClick={() => {
              saveToken(undefined);
              setNeedToken(true);
            }}
          >
            Forget token
          </button>
        )}
      </header>
      <aside>
        <h2>Instances</h2>
        <ul class="instances" data-testid="instances">
          {(instances ?? []).map((instance) => (
            <li key={instance.id}>
              <button
                type="button"
                class={instance.id === current?.id ? 'active' : ''}
                onClick={() => setSelected(instance.id)}
                data-testid="instance-item"
              >
                {instance.name}
              </button>
            </li>
          ))}
        </ul>
        {instances?.length === 0 && <p class="muted">No instances yet.</p>}
        <CreateInstance
          onCreated={(instance) => {
            void load();
            setSelected(instance.id);
          }}
        />
        {error !== undefined && <p class="error">{error}</p>}
      </aside>
      {current === undefined ? (
        <main class="empty">
          <p>Pick an instance, or create one. Events appended through the API appear here live.</p>
        </main>
      ) : (
        <InstanceView
          instance={current}
          onChanged={(instance) => {
            void load();
            setSelected(instance.id);
          }}
          onDeleted={() => {
            setSelected(undefined);
            history.replaceState(null, '', location.pathname);
            void load();
          }}
        />
      )}
      {needToken && (
        <TokenPrompt
          onSaved={() => {
            setNeedToken(false);
            void load();
          }}
        />
      )}
    </div>
  );
}
