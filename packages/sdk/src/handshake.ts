import { Op, PROTOCOL_VERSION, encodeRequest } from '@parley/protocol';
import type { CoreOptions } from './core-options.js';

/** What the client keeps of a session to resume it on a new socket. */
export interface SessionTicket {
  id: string;
  resumeToken: string;
  heartbeatMs: number;
}

/** The Login request that opens a new session on a socket. */
export function loginRequest(
  reqId: number,
  opts: Pick<CoreOptions, 'appId' | 'kind' | 'sdk'>,
  uid: string,
  token: string | undefined,
): Uint8Array {
  return encodeRequest(Op.Login, reqId, {
    v: PROTOCOL_VERSION,
    appId: opts.appId,
    uid,
    token,
    kind: opts.kind,
    sdk: opts.sdk,
  });
}

/** The Resume request that takes a session over on a new socket, skipping the `received` messages. */
export function resumeRequest(
  reqId: number,
  appId: string,
  uid: string,
  session: SessionTicket,
  received: number,
): Uint8Array {
  return encodeRequest(Op.Resume, reqId, {
    v: PROTOCOL_VERSION,
    appId,
    uid,
    sessionId: session.id,
    resumeToken: session.resumeToken,
    received,
  });
}
