import { CloseCode, LoginError, Op, ProtocolErrorCode, type SessionEndReason } from '@parley/protocol';

// The connection core's rules: which answers end a session for good, and its timings.

/** Ops that may be answered only by a live session; they wait while RECONNECTING. */
export const SESSION_OPS_EXEMPT = new Set<number>([Op.Login, Op.Resume]);

/**
 * Login answers that no retry can fix: an automatic re-login that gets one of these stops
 * (ABORTED / LOGIN_FAILURE). Anything else (server busy or restarting, internal error) is retried
 * with backoff, as a dropped link is.
 */
export const TERMINAL_RELOGIN_CODES = new Set<number>([
  LoginError.INVALID_ARGUMENT,
  LoginError.INVALID_APP_ID,
  LoginError.INVALID_TOKEN,
  LoginError.NOT_AUTHORIZED,
  ProtocolErrorCode.BAD_VERSION,
]);

/** Close codes the server uses to end a session for good, and the state reason each one means. */
export const TERMINAL_CLOSE_REASON: Record<number, SessionEndReason> = {
  [CloseCode.REMOTE_LOGIN]: 'REMOTE_LOGIN',
  [CloseCode.TOKEN_EXPIRED]: 'TOKEN_EXPIRED',
  [CloseCode.BANNED]: 'BANNED_BY_SERVER',
};

/** Time a connection attempt may take (socket open + login/resume answer) before it is abandoned. */
const ATTEMPT_TIMEOUT_MS = 6000;

/** Time a connection attempt may take: sized from the last session's heartbeat while reconnecting. */
export function attemptTimeoutMs(lastHeartbeatMs: number): number {
  return lastHeartbeatMs > 0 ? Math.min(15_000, Math.max(1000, 3 * lastHeartbeatMs)) : ATTEMPT_TIMEOUT_MS;
}
