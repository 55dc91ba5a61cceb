/**
 * Live subscriptions over a {@link ClientConnection} that survive reconnects.
 *
 * Each subscription remembers the last `global_position` it delivered. When the connection drops,
 * it is re-sent on the next connection with `after` set to that position, so the server resumes
 * right after it: no gaps. Events at or below that position are dropped on arrival: no repeats.
 */

import {
  type ErrorCode,
  EventLogError,
  type EventRecord,
  failureEnvelope,
  SUBSCRIBE_TYPE,
  SUBSCRIPTION_ENDED_TYPE,
  type SubscribeData,
  type SubscribeEnvelope,
  type SubscribeParams,
  storageError,
  UNSUBSCRIBE_TYPE,
  validationError,
} from '@eventlog/core';
import type { ClientConnection, WireEnvelope } from './client-connection.js';

/** Why a subscription ended. */
export type SubscriptionEnd =
  /** The instance was deleted. */
  | { reason: 'deleted' }
  /** The server refused the subscription (bad params, unknown instance…) or failed reading. */
  | { reason: 'error'; code: ErrorCode; error: string }
  /** The `onEvent` handler threw; the subscription stops so no event is skipped silently. */
  | { reason: 'handlerError'; error: unknown }
  /** `unsubscribe()` was called. */
  | { reason: 'unsubscribed' }
  /** The client was closed. */
  | { reason: 'closed' };

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** Called once when the subscription ends, with why. */
  onEnd?: (end: SubscriptionEnd) => void;
}

/** A live subscription of a remote event log. */
export interface RemoteSubscription {
  /**
   * Resolves with the server's first answer: the acknowledging envelope (`data.subscriptionId`,
   * `data.instanceId`), or a failed envelope (then the subscription has ended). Never rejects;
   * resolves with a `STORAGE_ERROR` envelope if the client is closed before an answer. No event
   * reaches `onEvent` before it has resolved (and the code awaiting it has run).
   */
  readonly ready: Promise<SubscribeEnvelope>;
  /** The `global_position` of the last event delivered (or the `after` it started from). */
  readonly position: number;
  /** True once ended. */
  readonly closed: boolean;
  /** Stops delivering at once and tells the server; resolves when the server has answered (or cannot). */
  unsubscribe(): Promise<void>;
}

type State = 'pending' | 'active' | 'detached' | 'ended';

class Subscription implements RemoteSubscription {
  readonly ready: Promise<SubscribeEnvelope>;
  position: number;
  state: State = 'pending';
  serverId: string | undefined;
  /** The server acknowledged this subscription at least once. */
  acknowledged = false;
  private resolveReady!: (envelope: SubscribeEnvelope) => void;
  private answered = false;
  /**
   * Events that arrived with the acknowledgement, held until `ready` has resolved and the code
   * awaiting it has run (a timer turn later), so `onEvent` never runs before `await sub.ready`
   * returns. Undefined when not holding.
   */
  private held: EventRecord[] | undefined;

  constructor(
    private readonly registry: SubscriptionRegistry,
    readonly params: SubscribeParams,
    private readonly onEvent: (event: EventRecord) => void,
    private readonly options: SubscribeOptions,
  ) {
    this.position = params.after ?? 0;
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  get closed(): boolean {
    return this.state === 'ended';
  }

  answer(envelope: SubscribeEnvelope): void {
    if (this.answered) return;
    this.answered = true;
    if (envelope.success) {
      this.held = [];
      setTimeout(() => this.release(), 0);
    }
    this.resolveReady(envelope);
  }

  deliver(event: EventRecord): void {
    if (this.state === 'ended') return;
    if (typeof event?.global_position !== 'number' || event.global_position <= this.position) return;
    this.position = event.global_position;
    if (this.held !== undefined) this.held.push(event);
    else this.handle(event);
  }

  /** Delivers the events held while `ready` resolved. */
  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) {
      if (this.state === 'ended') return;
      this.handle(event);
    }
  }

  private handle(event: EventRecord): void {
    try {
      this.onEvent(event);
    } catch (error) {
      this.registry.end(this, { reason: 'handlerError', error }, true);
    }
  }

  finish(end: SubscriptionEnd): void {
    try {
      this.options.onEnd?.(end);
    } catch {
      // a throwing onEnd must not break the client
    }
  }

  unsubscribe(): Promise<void> {
    return this.registry.unsubscribe(this);
  }
}

/** Keeps the subscriptions of one client and re-attaches them after reconnects. */
export class SubscriptionRegistry {
  private readonly all = new Set<Subscription>();
  private readonly byServerId = new Map<string, Subscription>();

  constructor(private readonly connection: ClientConnection) {}

  /** Starts a subscription: see {@link RemoteSubscription}. */
  subscribe(
    params: SubscribeParams,
    onEvent: (event: EventRecord) => void,
    options: SubscribeOptions = {},
  ): RemoteSubscription {
    const subscription = new Subscription(this, params, onEvent, options);
    if (typeof onEvent !== 'function') {
      subscription.state = 'ended';
      subscription.answer(
        failureEnvelope(
          SUBSCRIBE_TYPE,
          validationError('onEvent: expected a function that receives each event.'),
        ),
      );
      return subscription;
    }
    this.all.add(subscription);
    this.attach(subscription);
    return subscription;
  }

  /** The connection opened: re-attach subscriptions that lost theirs. */
  /** True while some subscription wants the connection. */
  get active(): boolean {
    return this.all.size > 0;
  }

  onOpen(): void {
    for (const subscription of this.all) {
      if (subscription.state === 'detached') this.attach(subscription);
    }
  }

  /** The connection dropped: every server-side subscription is gone with it. */
  onDisconnect(): void {
    this.byServerId.clear();
    for (const subscription of this.all) {
      if (subscription.state === 'active') {
        subscription.state = 'detached';
        subscription.serverId = undefined;
      }
    }
  }

  /** A pushed message. */
  onPush(message: Record<string, unknown>): void {
    const id = message.subscriptionId;
    if (typeof id !== 'string') return;
    const subscription = this.byServerId.get(id);
    if (subscription === undefined) return;
    if (message.type === SUBSCRIPTION_ENDED_TYPE) {
      this.byServerId.delete(id);
      const end: SubscriptionEnd =
        message.reason === 'deleted'
          ? { reason: 'deleted' }
          : {
              reason: 'error',
              code: (message.code as ErrorCode | undefined) ?? 'STORAGE_ERROR',
              error: typeof message.error === 'string' ? message.error : 'The server ended the subscription.',
            };
      this.end(subscription, end, false);
      return;
    }
    subscription.deliver(message.event as EventRecord);
  }

  /** Ends every subscription: the client is closing. */
  closeAll(): void {
    for (const subscription of [...this.all]) this.end(subscription, { reason: 'closed' }, false);
  }

  /** Ends a subscription; tells the server when `tellServer` and it knows the subscription. */
  end(subscription: Subscription, end: SubscriptionEnd, tellServer: boolean): Promise<void> {
    if (subscription.state === 'ended') return Promise.resolve();
    const serverId = subscription.serverId;
    subscription.state = 'ended';
    subscription.serverId = undefined;
    this.all.delete(subscription);
    if (serverId !== undefined) this.byServerId.delete(serverId);
    subscription.answer(
      failureEnvelope(
        SUBSCRIBE_TYPE,
        end.reason === 'error'
          ? new EventLogError(end.code, end.error)
          : storageError(`The subscription ended (${end.reason}) before the server acknowledged it.`),
      ),
    );
    subscription.finish(end);
    if (tellServer && serverId !== undefined && this.connection.isOpen) {
      return this.connection.request(UNSUBSCRIBE_TYPE, { subscriptionId: serverId }).then(() => undefined);
    }
    return Promise.resolve();
  }

  unsubscribe(subscription: Subscription): Promise<void> {
    return this.end(subscription, { reason: 'unsubscribed' }, true);
  }

  private attach(subscription: Subscription): void {
    subscription.state = 'pending';
    const { instance, stream, where } = subscription.params;
    const params: SubscribeParams = { instance, stream, where, after: subscription.position };
    // Handled synchronously: the server pushes events right after the acknowledgement.
    void this.connection.request(SUBSCRIBE_TYPE, params, ({ envelope, transport }) => {
      this.onAnswer(subscription, envelope, transport);
    });
  }

  private onAnswer(subscription: Subscription, envelope: WireEnvelope, transport: boolean): void {
    if (envelope.success) {
      const data = envelope.data as SubscribeData;
      if (subscription.state === 'ended') {
        // Unsubscribed while the request was on its way: release the server's side too.
        void this.connection.request(UNSUBSCRIBE_TYPE, { subscriptionId: data.subscriptionId });
        return;
      }
      subscription.state = 'active';
      subscription.serverId = data.subscriptionId;
      subscription.acknowledged = true;
      this.byServerId.set(data.subscriptionId, subscription);
      subscription.answer(envelope as SubscribeEnvelope);
      return;
    }
    if (subscription.state === 'ended') return;
    if (transport && !this.connection.isClosed) {
      // Not answered because of the connection: try again on the next one.
      subscription.state = 'detached';
      if (this.connection.isOpen) this.attach(subscription);
      return;
    }
    const code = envelope.code ?? 'STORAGE_ERROR';
    const error = envelope.error ?? 'The server refused the subscription.';
    subscription.answer(envelope as SubscribeEnvelope);
    // After a first success, NOT_FOUND on a resubscribe means the instance was deleted meanwhile.
    const end: SubscriptionEnd =
      subscription.acknowledged && code === 'NOT_FOUND'
        ? { reason: 'deleted' }
        : { reason: 'error', code, error };
    this.end(subscription, end, false);
  }
}
