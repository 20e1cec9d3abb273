import { SignalingCode as Code } from '@parley/protocol';
import { CallFailure, type Core } from '@parley/sdk/core';

/** A request's outcome: the server's code and body, or a local failure code below 0. */
export interface Reply {
  code: number;
  body: unknown;
  /** for logs and onError descriptions: the server's message, or what failed locally */
  reason: string;
}

/** No answer in time (link down for too long, or the server did not answer). */
export const TIMEOUT = -1;
/** Not logged in (or logged out while the request waited). */
export const NOT_LOGGED_IN = -2;

/** How long a request may wait for its answer, also while reconnecting (Agora: 10 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Sends a request on `core` and never rejects: failures are codes. */
export async function request(
  core: Core | null,
  op: number,
  body: unknown,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<Reply> {
  if (!core) return { code: NOT_LOGGED_IN, body: null, reason: 'not logged in' };
  try {
    const r = await core.call(op, body, timeoutMs);
    const message = (r.body as { message?: unknown } | null)?.message;
    return {
      code: r.code,
      body: r.body,
      reason: typeof message === 'string' ? message : r.code === 0 ? '' : `code ${r.code}`,
    };
  } catch (e) {
    if (e instanceof CallFailure && e.kind === 'timeout')
      return { code: TIMEOUT, body: null, reason: 'timeout' };
    return { code: NOT_LOGGED_IN, body: null, reason: 'not logged in' };
  }
}

/** A failed reply as a GENERAL_E_* code for onError (1003 not logged in, 1004/1005 kept, else 1001). */
export function generalCode(r: Reply): number {
  if (r.code === NOT_LOGGED_IN) return Code.GENERAL_E_NOT_LOGIN;
  if (r.code === Code.GENERAL_E_WRONG_PARAM || r.code === Code.GENERAL_E_LARGE_PARAM) return r.code;
  return Code.GENERAL_E_FAILED;
}
