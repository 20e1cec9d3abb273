import { LoginError } from '@parley/protocol';
import { TERMINAL_RELOGIN_CODES } from './connection-policy.js';

/** What the connection core does when the server refuses one of its automatic re-logins. */
export interface ReloginRefusalSteps {
  /** the session ends for good with TOKEN_EXPIRED (`endOnTokenExpiry`) */
  endTokenExpired(): void;
  /** raise TokenExpired; the app may renew the token before the next attempt */
  tokenExpired(): void;
  /** stop: ABORTED / LOGIN_FAILURE */
  abort(): void;
  /** drop the socket and try again with backoff */
  retry(): void;
}

/**
 * An automatic re-login (no login promise waiting) was refused with `code`. An expired token only
 * raises TokenExpired (Agora), unless the app asked for the session to end on expiry; codes no
 * retry can fix stop; anything else (server busy or restarting) is retried like a dropped link.
 */
export function onReloginRefused(code: number, endOnTokenExpiry: boolean, steps: ReloginRefusalSteps): void {
  if (code === LoginError.TOKEN_EXPIRED) {
    if (endOnTokenExpiry) {
      steps.endTokenExpired();
      return;
    }
    steps.tokenExpired();
  }
  if (TERMINAL_RELOGIN_CODES.has(code)) steps.abort();
  else steps.retry();
}
