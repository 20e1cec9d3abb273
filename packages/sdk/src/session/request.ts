import { CallFailure, type Core } from '../core.js';

/** A request's outcome: the server's code and body, or a local failure code below 0. */
export interface Reply {
  code: number;
  body: unknown;
  /** for logs and error descriptions: the server's message, or what failed locally */
  reason: string;
}

/** No answer in time (link down for too long, or the server did not answer). */
export const TIMEOUT = -1;
/** Not logged in (or logged out while the request waited). */
export const NOT_LOGGED_IN = -2;

/** Sends a request on `core` (null: not logged in) and never rejects: failures are codes. */
export async function request(
  core: Core | null,
  op: number,
  body: unknown,
  timeoutMs: number,
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
