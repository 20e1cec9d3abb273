import type { Limits } from '@parley/protocol';
import type { Recipient } from '../delivery/recipient.js';
import type { RateLimits } from '../kernel/sliding-window.js';

/** Why a session ended; sessionEnd hooks receive it. OPERATOR: ended from the web console. */
export type SessionEndCause =
  | 'LOGOUT'
  | 'REMOTE_LOGIN'
  | 'GRACE_EXPIRED'
  | 'TOKEN_EXPIRED'
  | 'SHUTDOWN'
  | 'OPERATOR';

/**
 * A logged-in client as features see it (the session layer's Session is one): who it is, its
 * limits and rate budgets, per-feature state, and its stream of messages.
 */
export interface ClientSession extends Recipient {
  readonly id: string;
  readonly limits: Limits;
  readonly rates: RateLimits;
  /**
   * true for a stand-in of a session that lived on another node which died (cluster mode):
   * no socket, empty `ext`, only ever seen by sessionEnd and sessionDetached hooks
   */
  readonly foreign: boolean;
  /** per-feature state, keyed by feature name; features cast to their own type */
  readonly ext: Map<string, unknown>;
}
