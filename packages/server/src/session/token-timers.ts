import type { Session } from './session.js';

/** TokenPrivilegeWillExpire is sent this long before the token expires (Agora: 30 s). */
export const TOKEN_WARNING_MS = 30_000;
/** setTimeout's ceiling; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * (Re)arms the two token timers of a session: the warning 30 s before expiry (at once if less
 * remains) and the end of the session at expiry. A renewal calls this again.
 */
export function scheduleTokenTimers(s: Session, on: { warn: () => void; expire: () => void }): void {
  for (const t of s.tokenTimers) clearTimeout(t);
  s.tokenTimers = [];
  const exp = s.tokenExpiresAt;
  if (exp === null) return;
  const arm = (at: number, fn: () => void) => {
    const wait = Math.max(0, at - Date.now());
    const t = setTimeout(wait > MAX_TIMER_MS ? () => arm(at, fn) : fn, Math.min(wait, MAX_TIMER_MS));
    t.unref();
    s.tokenTimers.push(t);
  };
  arm(exp - TOKEN_WARNING_MS, on.warn);
  arm(exp, on.expire);
}
