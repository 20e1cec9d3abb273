import { CloseCode, LoginError, encodeResponse, isObj, isStr, type ResumeResponse } from '@parley/protocol';
import type { SessionLayer } from './layer.js';
import type { ClientLink } from './link.js';
import { secretEqual } from '../kernel/secret-equal.js';

/**
 * Resume after a drop: the client names its session and resume token and what it received; the
 * session moves to the new socket and what the client missed is replayed from the outbox.
 */
export async function resumeSession(
  layer: SessionLayer,
  conn: ClientLink,
  reqId: number,
  body: unknown,
): Promise<void> {
  const { table, store, ending, registry } = layer;
  const reply = (code: number, b: unknown = null) => conn.write(encodeResponse(reqId, code, b));
  if (!isObj(body) || !isStr(body.sessionId) || !isStr(body.resumeToken) || typeof body.received !== 'number')
    return reply(LoginError.INVALID_ARGUMENT, { message: 'bad resume body' });
  const s = table.get(body.sessionId);
  // Resume is per node: a session on another node (or from before a restart) cannot be resumed;
  // the client then logs in again.
  if (
    !s ||
    s.phase === 'ended' ||
    !secretEqual(body.resumeToken, s.resumeToken) ||
    s.appId !== body.appId ||
    s.uid !== body.uid
  ) {
    // A session replaced by a newer login, on any node: tell its client, so it stops
    // (ABORTED/REMOTE_LOGIN) instead of logging in again and kicking the newer session out.
    if (
      !s &&
      isStr(body.appId) &&
      isStr(body.uid) &&
      (await store.sessions.wasReplaced(table.appId(body.appId), body.uid, body.sessionId).catch(() => false))
    )
      return reply(LoginError.REJECTED, {
        message: 'the same user logged in elsewhere',
        ended: 'REMOTE_LOGIN',
      });
    return reply(LoginError.REJECTED, { message: 'session not resumable' });
  }
  const replay = s.outbox.since(body.received);
  if (!replay) {
    reply(LoginError.REJECTED, { message: 'session gap too large' });
    await ending.end(s, 'GRACE_EXPIRED');
    return;
  }
  if (s.tokenExpiresAt !== null && s.tokenExpiresAt <= Date.now()) {
    reply(LoginError.TOKEN_EXPIRED);
    await ending.end(s, 'TOKEN_EXPIRED');
    return;
  }
  const old = s.conn;
  if (old && old !== conn) {
    old.session = null;
    old.close(CloseCode.NORMAL, 'session resumed on another socket');
  }
  if (s.graceTimer) clearTimeout(s.graceTimer);
  s.graceTimer = null;
  s.conn = conn;
  conn.session = s;
  const wasDetached = s.phase === 'detached';
  s.phase = 'active';
  const resp: ResumeResponse = { lastReqId: s.lastReqId, tokenExpiresAt: s.tokenExpiresAt };
  reply(0, resp);
  for (const m of replay) conn.write(m);
  if (wasDetached) {
    await store.sessions.setState(s.appId, s.uid, s.id, 'ONLINE');
    await registry.run('sessionResumed', s);
  }
}
