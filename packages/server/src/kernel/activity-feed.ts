import type { WireMessage } from '@parley/protocol';

/**
 * What happened on this node, for whoever watches: webhooks, Agora's user/channel event reads,
 * the console's live tail. Each event is emitted once in the cluster, by the node where it
 * happened (a session's login and end by the node that ran it — a survivor for a dead node's
 * sessions; a membership change by the node that made it, with the store's count after it).
 */
export type ActivityEvent =
  | { type: 'user.online'; appId: string; uid: string; sessionId: string; ts: number }
  | {
      type: 'user.offline';
      appId: string;
      uid: string;
      sessionId: string;
      ts: number;
      /** LOGOUT, REMOTE_LOGIN, GRACE_EXPIRED, TOKEN_EXPIRED, SHUTDOWN */
      cause: string;
    }
  | {
      type: 'channel.member_joined' | 'channel.member_left';
      appId: string;
      channelId: string;
      uid: string;
      ts: number;
      /** members after the change, cluster-wide (1 after a join: the channel became occupied; 0 after a leave: vacated) */
      count: number;
    }
  | {
      type: 'channel.attributes_updated';
      appId: string;
      channelId: string;
      /** who wrote them */
      uid: string;
      ts: number;
      change: 'update' | 'delete' | 'clear';
      /** the keys written or deleted (empty for clear) */
      keys: string[];
    }
  | {
      type: 'message.peer';
      appId: string;
      from: string;
      to: string;
      id: string;
      ts: number;
      msg: WireMessage;
    }
  | {
      type: 'message.channel';
      appId: string;
      channelId: string;
      from: string;
      id: string;
      ts: number;
      msg: WireMessage;
    }
  | { type: 'request.error'; appId: string; uid: string; op: number; code: number; ts: number };

export type ActivityType = ActivityEvent['type'];
export type ActivityOf<T extends ActivityType> = Extract<ActivityEvent, { type: T }>;
type Listener<T extends ActivityType> = (e: ActivityOf<T>) => void;
type AnyListener = (e: ActivityEvent) => void;

/**
 * A synchronous, in-process feed of ActivityEvents. Emitters on hot paths ask `watched(type)`
 * first, so nothing is built when nobody listens. A listener must not block: it queues its work
 * (a listener that throws is logged by `onListenerError` and does not stop the others).
 */
export class ActivityFeed {
  private readonly listeners = new Map<ActivityType, Set<AnyListener>>();

  constructor(private readonly onListenerError: (err: unknown, type: ActivityType) => void = () => {}) {}

  /** Whether anyone listens to `type` (emitters skip building the event when not). */
  watched(type: ActivityType): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  /** Calls `fn` for every event of the given types; returns the unsubscribe function. */
  on<T extends ActivityType>(types: readonly T[], fn: Listener<T>): () => void {
    // Each listener is only called with events of the types it named.
    const any = fn as unknown as AnyListener;
    for (const t of types) {
      let set = this.listeners.get(t);
      if (!set) this.listeners.set(t, (set = new Set()));
      set.add(any);
    }
    return () => {
      for (const t of types) this.listeners.get(t)?.delete(any);
    };
  }

  emit(e: ActivityEvent): void {
    const set = this.listeners.get(e.type);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(e);
      } catch (err) {
        this.onListenerError(err, e.type);
      }
    }
  }
}
