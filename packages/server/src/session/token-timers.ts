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
  // Timers run on the monotonic clock and may fire a millisecond before the wall clock reaches
  // `at`; a timer that wakes early re-arms for the remainder, so nothing ends before expiry.
  const arm = (at: number, fn: () => void) => {
    const wait = Math.max(0, at - Date.now());
    const fire = () => (Date.now() < at ? arm(at, fn) : fn());
    const t = setTimeout(fire, Math.min(wait, MAX_TIMER_MS));
    t.unref();
    s.tokenTimers.push(t);
  };
  arm(exp - TOKEN_WARNING_MS, on.warn);
  arm(exp, on.expire);
}
