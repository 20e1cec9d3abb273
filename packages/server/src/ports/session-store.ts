import type { PeerOnlineState } from '@parley/protocol';

/** Where a user's live session is: the registry entry that routes deliveries to its node. */
export interface SessionRecord {
  nodeId: string;
  sessionId: string;
  /** ONLINE while the socket is up, UNREACHABLE during the grace period */
  state: Exclude<PeerOnlineState, 'OFFLINE'>;
}

/** The session registry: one live session per (app, uid), cluster-wide. */
export interface SessionStore {
  /** Makes `rec` the user's session; resolves with the session it replaced, if any. */
  claim(appId: string, uid: string, rec: SessionRecord): Promise<SessionRecord | null>;
  lookup(appId: string, uid: string): Promise<SessionRecord | null>;
  /** Looks up many users at once (one round trip). */
  lookupMany(appId: string, uids: string[]): Promise<(SessionRecord | null)[]>;
  /**
   * Updates the state, only if `sessionId` is still the user's session. Resolves true if it changed
   * the state (false: another session, no entry, or already in that state).
   */
  setState(appId: string, uid: string, sessionId: string, state: SessionRecord['state']): Promise<boolean>;
  /** Removes the entry only if `sessionId` is still the user's session. Resolves true if removed. */
  release(appId: string, uid: string, sessionId: string): Promise<boolean>;
  /**
   * Remembers for `ttlMs` that a newer login replaced session `sessionId`, so that its client,
   * trying to resume on any node, learns it was replaced instead of logging in again and kicking
   * the newer session out in turn.
   */
  markReplaced(appId: string, uid: string, sessionId: string, ttlMs: number): Promise<void>;
  /** Whether `markReplaced` was called for this session less than its `ttlMs` ago. */
  wasReplaced(appId: string, uid: string, sessionId: string): Promise<boolean>;
}
