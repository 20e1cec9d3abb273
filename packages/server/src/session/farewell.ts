import { LogoutError, encodeResponse, isObj, isStr } from '@parley/protocol';
import type { NodePayload } from '../cluster/mesh-messages.js';
import type { SessionLayer } from './layer.js';
import type { ClientLink } from './link.js';
import { secretEqual } from '../kernel/secret-equal.js';

/** `Logout` sent without a session: ends the named detached session (see `farewell`). */
export type FarewellBody = NodePayload<'farewell'>;
export const isFarewell = (b: unknown): b is FarewellBody =>
  isObj(b) && isStr(b.appId) && isStr(b.uid) && isStr(b.sessionId) && isStr(b.resumeToken);

/**
 * A client that logged out while its link was down ends its detached session from a fresh
 * socket (no login): `Logout` with the session's id and resume token. Its members and
 * subscribers then see it leave now, not at the end of the grace period.
 */
export class Farewells {
  constructor(private readonly layer: SessionLayer) {
    layer.mesh.on('farewell', (p) => this.endIfTokenMatches(p));
  }

  /**
   * Answers 0 when the session ended, USER_NOT_LOGGED_IN when there was none to end (already
   * over, or not ours).
   */
  async farewell(conn: ClientLink, reqId: number, body: FarewellBody): Promise<void> {
    const { table, store, config, mesh } = this.layer;
    let code = this.endIfTokenMatches(body) ? 0 : LogoutError.USER_NOT_LOGGED_IN;
    if (code !== 0) {
      // The session may live on another node (a load balancer sent this socket elsewhere).
      const rec = await store.sessions.lookup(table.appId(body.appId), body.uid);
      if (rec && rec.sessionId === body.sessionId && rec.nodeId !== config.nodeId) {
        const ended = await mesh.request(rec.nodeId, 'farewell', body, 2000).catch(() => false);
        if (ended) code = 0;
      }
    }
    conn.write(encodeResponse(reqId, code, null));
  }

  /** Ends the local session `body` names if its resume token matches; true if it did. */
  private endIfTokenMatches(body: FarewellBody): boolean {
    const { table, ending, log } = this.layer;
    const s = table.get(body.sessionId);
    if (!s || s.phase === 'ended' || !secretEqual(body.resumeToken, s.resumeToken)) return false;
    if (s.appId !== table.appId(body.appId) || s.uid !== body.uid) return false;
    void ending.end(s, 'LOGOUT').catch((e) => log.error({ err: e }, 'farewell end failed'));
    return true;
  }
}
