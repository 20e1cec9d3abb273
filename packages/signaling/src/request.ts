import { SignalingCode as Code } from '@parley/protocol';
import { type Core, NOT_LOGGED_IN, type Reply, TIMEOUT, request as coreRequest } from '@parley/sdk/core';

export { NOT_LOGGED_IN, TIMEOUT, type Reply };

/** How long a request may wait for its answer, also while reconnecting (Agora: 10 s). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Sends a request on `core` (null: not logged in) and never rejects: failures are codes. */
export function request(core: Core | null, op: number, body: unknown): Promise<Reply> {
  return coreRequest(core, op, body, REQUEST_TIMEOUT_MS);
}

/** A failed reply as a GENERAL_E_* code for onError (1003 not logged in, 1004/1005 kept, else 1001). */
export function generalCode(r: Reply): number {
  if (r.code === NOT_LOGGED_IN) return Code.GENERAL_E_NOT_LOGIN;
  if (r.code === Code.GENERAL_E_WRONG_PARAM || r.code === Code.GENERAL_E_LARGE_PARAM) return r.code;
  return Code.GENERAL_E_FAILED;
}
