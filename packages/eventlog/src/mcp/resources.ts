/**
 * Resources for browsing a log: the instances, an instance's statistics and its streams (with
 * their event counts), read through the same wire dispatch as the tools. With a log in this
 * process, clients may subscribe to them and are told when they change (commit signals of
 * `store.watch`, coalesced).
 */

import type { CommitSignal, Unsubscribe } from '@eventlog/core';
import {
  ErrorCode,
  McpError,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js';
import type { AnyEnvelope, Dispatch } from './wire-dispatch.js';

/** The URI of the instance list. */
export const INSTANCES_URI = 'eventlog://instances';

/** MCP's error code for an unknown resource. */
const RESOURCE_NOT_FOUND = -32002;

const MIME = 'application/json';

/** The resource templates: an instance's stats and streams, by its id or name. */
export const RESOURCE_TEMPLATES: readonly ResourceTemplate[] = [
  {
    uriTemplate: 'eventlog://instances/{instance}/stats',
    name: 'instance-stats',
    title: 'Instance statistics',
    description:
      'eventCount, streamCount, eventTypes (count per type), firstEventAt, lastEventAt of an instance (its id or name).',
    mimeType: MIME,
  },
  {
    uriTemplate: 'eventlog://instances/{instance}/streams',
    name: 'instance-streams',
    title: 'Instance streams',
    description: 'The streams of an instance (its id or name) with their event counts.',
    mimeType: MIME,
  },
];

/** What a resource URI names. */
export type ResourceRef = { kind: 'instances' } | { kind: 'stats' | 'streams'; instance: string };

/** Parses a resource URI, or undefined when it names no resource of ours. */
export function parseResourceUri(uri: string): ResourceRef | undefined {
  if (uri === INSTANCES_URI) return { kind: 'instances' };
  const match = /^eventlog:\/\/instances\/([^/]+)\/(stats|streams)$/.exec(uri);
  if (match === null) return undefined;
  try {
    return { kind: match[2] as 'stats' | 'streams', instance: decodeURIComponent(match[1] as string) };
  } catch {
    return undefined;
  }
}

/** The URI of an instance's resource. */
export function instanceResourceUri(instance: string, kind: 'stats' | 'streams'): string {
  return `eventlog://instances/${encodeURIComponent(instance)}/${kind}`;
}

function unwrap(envelope: AnyEnvelope, uri: string): Record<string, unknown> {
  if (envelope.success) return envelope.data as Record<string, unknown>;
  const code = envelope.code === 'NOT_FOUND' ? RESOURCE_NOT_FOUND : ErrorCode.InternalError;
  throw new McpError(code, `${envelope.code}: ${envelope.error}`, { uri, code: envelope.code });
}

interface InstanceSummary {
  id: string;
  name: string;
}

/** The resources to list: the instance list, and each instance's stats and streams. */
export async function listResources(dispatch: Dispatch): Promise<Resource[]> {
  const data = unwrap(await dispatch('listInstances', {}), INSTANCES_URI);
  const instances = data.instances as InstanceSummary[];
  return [
    {
      uri: INSTANCES_URI,
      name: 'instances',
      title: 'Instances',
      description: 'Every instance of the log, oldest first.',
      mimeType: MIME,
    },
    ...instances.flatMap((instance): Resource[] => [
      {
        uri: instanceResourceUri(instance.id, 'stats'),
        name: `${instance.name}/stats`,
        title: `${instance.name}: statistics`,
        mimeType: MIME,
      },
      {
        uri: instanceResourceUri(instance.id, 'streams'),
        name: `${instance.name}/streams`,
        title: `${instance.name}: streams`,
        mimeType: MIME,
      },
    ]),
  ];
}

/** Reads a resource. Unknown URIs and unknown instances are MCP errors (-32002). */
export async function readResource(dispatch: Dispatch, uri: string): Promise<ReadResourceResult> {
  const ref = parseResourceUri(uri);
  if (ref === undefined) throw new McpError(RESOURCE_NOT_FOUND, `Unknown resource ${uri}`, { uri });
  let body: unknown;
  if (ref.kind === 'instances') {
    body = unwrap(await dispatch('listInstances', {}), uri);
  } else if (ref.kind === 'stats') {
    body = unwrap(await dispatch('getInstanceStats', { instanceId: ref.instance }), uri);
  } else {
    const data = unwrap(
      await dispatch('queryEvents', {
        query: { from: { instance: ref.instance }, reduce: { type: 'count', groupBy: ['stream_id'] } },
      }),
      uri,
    );
    const result = data.result as {
      total: number;
      aggregation: { groups: Array<{ key: { stream_id: string }; value: number }> };
    };
    body = {
      instance: ref.instance,
      streams: result.aggregation.groups.map((group) => ({
        streamId: group.key.stream_id,
        events: group.value,
      })),
      events: result.total,
    };
  }
  return { contents: [{ uri, mimeType: MIME, text: JSON.stringify(body, null, 2) }] };
}

/** Watches commits: `store.watch` of a log in this process. */
export type Watch = (listener: (signal: CommitSignal) => void) => Unsubscribe;

/**
 * Resource subscriptions of one client: which URIs it follows, and a notification for each of
 * them when a commit (or a tool call) changes what it shows. Bursts are coalesced: a URI is
 * notified at most once per `delayMs`.
 */
export class ResourceSubscriptions {
  /** Subscribed URIs → the instance id they show (null: the instance list). */
  private readonly subscribed = new Map<string, string | null>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: Unsubscribe | undefined;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly watch: Watch,
    private readonly notify: (uri: string) => void,
    private readonly delayMs = 100,
  ) {}

  /** Follows a resource. Unknown URIs and instances are MCP errors. */
  async subscribe(uri: string): Promise<void> {
    const ref = parseResourceUri(uri);
    if (ref === undefined) throw new McpError(RESOURCE_NOT_FOUND, `Unknown resource ${uri}`, { uri });
    let id: string | null = null;
    if (ref.kind !== 'instances') {
      const data = unwrap(await this.dispatch('getInstance', { instanceId: ref.instance }), uri);
      id = (data.instance as InstanceSummary).id;
    }
    this.subscribed.set(uri, id);
    this.unwatch ??= this.watch((signal) => this.onCommit(signal));
  }

  /** Stops following a resource (unknown URIs are ignored). */
  unsubscribe(uri: string): void {
    this.subscribed.delete(uri);
    this.pending.delete(uri);
    if (this.subscribed.size === 0) this.stopWatching();
  }

  /**
   * Tells subscribers an instance changed outside commits (created, updated or deleted through a
   * tool): the instance list and that instance's resources.
   */
  instanceChanged(instanceId: string | undefined): void {
    for (const [uri, id] of this.subscribed) {
      if (id === null || id === instanceId) this.schedule(uri);
    }
  }

  /** Stops watching and drops every subscription. */
  close(): void {
    this.subscribed.clear();
    this.pending.clear();
    this.stopWatching();
  }

  private onCommit(signal: CommitSignal): void {
    for (const [uri, id] of this.subscribed) {
      const list = id === null && signal.kind !== 'append';
      if (list || (id !== null && (signal.instanceId === null || signal.instanceId === id))) {
        this.schedule(uri);
      }
    }
  }

  private schedule(uri: string): void {
    this.pending.add(uri);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const uris = [...this.pending];
      this.pending.clear();
      for (const each of uris) if (this.subscribed.has(each)) this.notify(each);
    }, this.delayMs);
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
