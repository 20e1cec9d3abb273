import {
  LoginError,
  NOT_LOGGED_IN,
  Op,
  ProtocolErrorCode,
  encodeEvent,
  encodeResponse,
} from '@parley/protocol';
import type { Reply } from '../features/registry.js';
import { type Farewells, isFarewell } from './farewell.js';
import type { SessionLayer } from './layer.js';
import type { ClientLink, ClientMessage } from './link.js';
import type { Logins } from './login.js';
import type { TokenRenewal } from './renewal.js';
import { resumeSession } from './resume.js';
import type { Session } from './session.js';

/** Concurrent requests one session may have in flight. */
const MAX_INFLIGHT = 4096;

/**
 * Routes what a socket sends: Login, Resume and a farewell Logout to the session layer itself,
 * Logout and RenewToken of a session too, every other request and event to the feature that
 * registered its op; answers each request once with its code.
 */
export class RequestDispatch {
  constructor(
    private readonly layer: SessionLayer,
    private readonly logins: Logins,
    private readonly farewells: Farewells,
    private readonly renewal: TokenRenewal,
  ) {}

  onMessage(conn: ClientLink, m: ClientMessage): void {
    if (m.kind === 'event') {
      this.onEvent(conn, m.op, m.body);
      return;
    }
    const { op, reqId, body } = m;
    if (op === Op.Login || op === Op.Resume) {
      // One login/resume at a time per socket: two in flight would bind two sessions to it.
      if (conn.authPending || (conn.session && conn.session.phase !== 'ended' && op === Op.Resume)) {
        conn.write(
          encodeResponse(reqId, LoginError.ALREADY_LOGIN, {
            message: 'this socket is logged in or logging in',
          }),
        );
        return;
      }
      conn.authPending = true;
      const run =
        op === Op.Login ? this.logins.login(conn, reqId, body) : resumeSession(this.layer, conn, reqId, body);
      return void run
        .catch((e) => this.internal(conn, reqId, op, e))
        .finally(() => {
          conn.authPending = false;
        });
    }
    if (op === Op.Logout && !conn.session && isFarewell(body))
      return void this.farewells.farewell(conn, reqId, body).catch((e) => this.internal(conn, reqId, op, e));
    const s = conn.session;
    if (!s || s.phase === 'ended') {
      conn.write(encodeResponse(reqId, NOT_LOGGED_IN, null));
      conn.protocolError(ProtocolErrorCode.NOT_LOGGED_IN, `op ${op} before login`, reqId);
      return;
    }
    // After a resume the client re-sends requests it has no answer for; skip those already done.
    if (reqId <= s.lastReqId) return;
    s.lastReqId = reqId;
    if (op === Op.Logout) return void this.logout(s, reqId).catch((e) => this.internal(conn, reqId, op, e));
    if (op === Op.RenewToken) {
      this.renewal.renew(s, reqId, body);
      return;
    }
    this.toFeature(conn, s, op, reqId, body);
  }

  private toFeature(conn: ClientLink, s: Session, op: number, reqId: number, body: unknown): void {
    const { registry, metrics, log, activity } = this.layer;
    const h = registry.requests.get(op);
    if (!h) {
      s.send(encodeResponse(reqId, ProtocolErrorCode.UNKNOWN_OP, { message: `unknown op ${op}` }));
      conn.protocolError(ProtocolErrorCode.UNKNOWN_OP, `unknown op ${op}`, reqId);
      return;
    }
    if (s.inflight >= MAX_INFLIGHT) {
      s.send(
        encodeResponse(reqId, ProtocolErrorCode.TOO_MANY_PENDING, { message: 'too many requests in flight' }),
      );
      conn.limitRefused();
      return;
    }
    s.inflight++;
    const done = (r: Reply) => {
      s.inflight--;
      if (r.code !== 0) {
        metrics.errors.inc({ op, code: r.code });
        if (activity.watched('request.error'))
          activity.emit({
            type: 'request.error',
            appId: s.appId,
            uid: s.uid,
            op,
            code: r.code,
            ts: Date.now(),
          });
      }
      s.send(encodeResponse(reqId, r.code, r.body ?? null));
      // A body of the wrong shape is also a protocol error (metric, abuse count), after the answer.
      if (r.malformed !== undefined) conn.protocolError(ProtocolErrorCode.BAD_BODY, r.malformed, reqId);
      else if (r.limited) conn.limitRefused(r.limited);
      const after = r.after;
      if (after)
        void (async () => after())().catch((e) => log.error({ err: e, op }, 'request follow-up failed'));
    };
    const internal = (e: unknown) => {
      log.error({ err: e, op }, 'request handler failed');
      done({ code: ProtocolErrorCode.INTERNAL, body: { message: 'internal error' } });
    };
    try {
      const r = h.fn(s, body);
      if (r instanceof Promise) r.then(done, internal);
      else done(r);
    } catch (e) {
      internal(e);
    }
  }

  private onEvent(conn: ClientLink, op: number, body: unknown): void {
    if (op === Op.Ping) {
      // The body is the client's count of processed messages (or null from older clients): what
      // it has processed will never be replayed, so the session stops keeping it.
      if (typeof body === 'number') conn.session?.confirmed(body);
      conn.write(encodeEvent(Op.Ping, Date.now()));
      return;
    }
    const s = conn.session;
    const h = this.layer.registry.events.get(op);
    if (!h) {
      conn.protocolError(ProtocolErrorCode.UNKNOWN_OP, `unknown event op ${op}`);
      return;
    }
    if (!s || s.phase === 'ended') {
      conn.protocolError(ProtocolErrorCode.NOT_LOGGED_IN, 'log in first');
      return;
    }
    try {
      h.fn(s, body);
    } catch (e) {
      this.layer.log.error({ err: e, op }, 'event handler failed');
    }
  }

  private async logout(s: Session, reqId: number): Promise<void> {
    s.send(encodeResponse(reqId, 0, null));
    await this.layer.ending.end(s, 'LOGOUT');
  }

  private internal(conn: ClientLink, reqId: number, op: number, e: unknown): void {
    this.layer.log.error({ err: e, op }, 'session request failed');
    conn.write(encodeResponse(reqId, ProtocolErrorCode.INTERNAL, { message: 'internal error' }));
  }
}
