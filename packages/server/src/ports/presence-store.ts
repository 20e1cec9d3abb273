/**
 * A subscriber of online-status changes: one client session. The node is kept with it so a
 * change is delivered with one lookup of the target's watchers, grouped by node, without
 * asking the session registry where each watcher lives (a session never moves between nodes).
 */
export interface Watcher {
  uid: string;
  sessionId: string;
  nodeId: string;
}

/** Result of `PresenceStore.subscribe`. */
export type SubscribeResult = { ok: true; count: number } | { ok: false; count: number };

/**
 * Store part: online-status subscriptions (who watches whom), per app. Kept in both directions:
 * target → watchers (the fan-out index, read once per status change) and watcher session →
 * targets (for the per-client cap and to clear a session's subscriptions when it ends).
 * Subscriptions belong to a session, not a user: a new login starts with none.
 */
export interface PresenceStore {
  /**
   * Subscribes `watcher` to every id in `targets`, atomically: if the watcher's subscribed set
   * would then hold more than `max` ids, nothing changes and `ok` is false. Ids already
   * subscribed are not counted twice. `count` is the size of the set afterwards (or as it is).
   */
  subscribe(
    appId: string,
    watcher: Watcher,
    targets: readonly string[],
    max: number,
  ): Promise<SubscribeResult>;
  /** Removes the watcher's subscriptions to `targets`; unknown ids are ignored. */
  unsubscribe(appId: string, uid: string, sessionId: string, targets: readonly string[]): Promise<void>;
  /** Every watcher of `target` (one round trip; may be 10,000+ entries). */
  watchersOf(appId: string, target: string): Promise<Watcher[]>;
  /** The ids a watcher session is subscribed to. */
  targetsOf(appId: string, uid: string, sessionId: string): Promise<string[]>;
  /** Removes every subscription of a watcher session (logout, session end, remote login). */
  dropWatcher(appId: string, uid: string, sessionId: string): Promise<void>;
}
