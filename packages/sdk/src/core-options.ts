import type { ConnectionChangeReason, ConnectionState } from '@parley/protocol';
import type { BackoffConfig } from './backoff.js';
import type { WebSocketCtor } from './platform.js';

/** How an SDK sets up its connection core. */
export interface CoreOptions {
  serverUrl: string | string[];
  appId: string;
  kind: 'rtm' | 'signaling';
  WebSocket?: WebSocketCtor;
  /** login timeout, ms (Agora: 12000) */
  loginTimeoutMs: number;
  backoff?: Partial<BackoffConfig>;
  sdk: string;
  /**
   * Limits on connection retries (Signaling's login2 arguments; RTM retries without end): past
   * `attempts` retries, or `reconnectMs` after a session was lost, a login in progress fails
   * (LoginError.TIMEOUT) and a lost session ends (ABORTED, INTERRUPTED).
   */
  retry?: { attempts: number; reconnectMs: number };
  /** An expired token ends a lost session (ABORTED, TOKEN_EXPIRED) instead of waiting for a renewal. */
  endOnTokenExpiry?: boolean;
}

/** What the core tells the API skin. */
export interface CoreListener {
  /** the state changed from `prev` (CONNECTING → CONNECTED: logged in; RECONNECTING → CONNECTED: back) */
  state(state: ConnectionState, reason: ConnectionChangeReason, prev: ConnectionState): void;
  /** a server event (not a response) */
  event(op: number, body: unknown): void;
  /** the session was lost and a new one logged in: restore channels, attributes, subscriptions */
  relogged(): void;
  /** the session resumed after a drop, nothing lost */
  resumed(): void;
  tokenExpired(): void;
  tokenWillExpire(): void;
  /**
   * A connection attempt starts: `n` is 0 for the first one of a login, then the number of retries
   * since the last success (the Signaling facade's onReconnecting(n) and retry limits use it).
   */
  attempt?(n: number): void;
}
