import { randomBytes } from 'node:crypto';
import {
  CloseCode,
  LoginError,
  LogoutError,
  NOT_LOGGED_IN,
  Op,
  PROTOCOL_VERSION,
  ProtocolErrorCode,
  RenewTokenError,
  encodeEvent,
  encodeResponse,
  isObj,
  isStr,
  isValidUserId,
  optStr,
  type Limits,
  type LoginResponse,
  type ResumeResponse,
  type SessionEndReason,
} from '@parley/protocol';
import { limitsFor, type AppConfig, type ServerConfig } from '../config.js';
import type { SessionEndCause } from '../features/client-session.js';
import type { FeatureRegistry, Reply } from '../features/registry.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import type { ClientLink as Connection, ClientMessage, LinkSink } from './link.js';
import type { Authenticator } from './auth.js';
import type { NodeMesh } from '../cluster/node-mesh.js';
import type { RouteCache } from '../cluster/route-cache.js';
import { secretEqual } from './secret-equal.js';
import { Session } from './session.js';
import { TOKEN_WARNING_MS, scheduleTokenTimers } from './token-timers.js';

/** `Logout` sent without a session: ends the named detached session (see `farewell`). */
interface FarewellBody {
  appId: string;
  uid: string;
  sessionId: string;
  resumeToken: string;
}
const isFarewell = (b: unknown): b is FarewellBody =>
  isObj(b) && isStr(b.appId) && isStr(b.uid) && isStr(b.sessionId) && isStr(b.resumeToken);

/** How long a session replaced by a newer login is remembered, at least (10 min). */
const REPLACED_MEMORY_MS = 10 * 60_000;

export type { SessionEndCause };

type Msg = ClientMessage;

/** Concurrent requests one session may have in flight. */
const MAX_INFLIGHT = 4096;

/** Close code and SessionEnded reason told to the client for each cause. */
const END_WIRE: Record<SessionEndCause, { close: number; reason: SessionEndReason | null }> = {
  LOGOUT: { close: CloseCode.LOGGED_OUT, reason: 'LOGOUT' },
  REMOTE_LOGIN: { close: CloseCode.REMOTE_LOGIN, reason: 'REMOTE_LOGIN' },
  GRACE_EXPIRED: { close: CloseCode.NORMAL, reason: null },
  TOKEN_EXPIRED: { close: CloseCode.TOKEN_EXPIRED, reason: 'TOKEN_EXPIRED' },
  SHUTDOWN: { close: CloseCode.GOING_AWAY, reason: 'SERVER_SHUTDOWN' },
};

/**
 * Logins, resumes, logouts and the lifecycle of sessions on this node; dispatches requests of
 * logged-in clients to the features. The cluster-wide session registry lives in the Store.
 */
export class SessionManager implements LinkSink {
  /** appId → uid → session: two levels, so a lookup per message builds no key string */
  private readonly byUser = new Map<string, Map<string, Session>>();
  /**
   * One App ID string per app with sessions here, shared by its sessions: a decoded one is a
   * slice of a larger string (the rest of its login frame), which each session would keep alive.
   */
  private readonly appIds = new Map<string, string>();
  private readonly byId = new Map<string, Session>();
  /** limits per app (the same object for every session of an app) */
  private readonly limitsByApp = new Map<AppConfig | undefined, Limits>();
  private closing = false;
  /**
   * How long a replaced session is remembered: its client may come back after a long outage and
   * must still learn it was replaced. At least the grace period.
   */
  private get replacedMemoryMs(): number {
    return Math.max(this.config.sessionGraceMs, REPLACED_MEMORY_MS);
  }

  constructor(
    private readonly config: ServerConfig,
    private readonly auth: Authenticator,
    private readonly store: Store,
    private readonly mesh: NodeMesh,
    private readonly routes: RouteCache,
    private readonly registry: FeatureRegistry,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    mesh.on('kick', async (p) => {
      const { appId, uid, sessionId } = p;
      const s = this.byId.get(sessionId);
      if (s && s.appId === appId && s.uid === uid) await this.end(s, 'REMOTE_LOGIN');
    });
    mesh.on('farewell', (p) => this.farewellLocal(p));
  }

  /** The live session of a user on this node, if any. */
  local(appId: string, uid: string): Session | undefined {
    return this.byUser.get(appId)?.get(uid);
  }

  get count(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Session> {
    return this.byId.values();
  }

  // ---- ConnectionSink ----

  onMessage(conn: Connection, m: Msg): void {
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
      const run = op === Op.Login ? this.login(conn, reqId, body) : this.resume(conn, reqId, body);
      return void run
        .catch((e) => this.internal(conn, reqId, op, e))
        .finally(() => {
          conn.authPending = false;
        });
    }
    if (op === Op.Logout && !conn.session && isFarewell(body))
      return void this.farewell(conn, reqId, body).catch((e) => this.internal(conn, reqId, op, e));
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
      this.renew(s, reqId, body);
      return;
    }
    const h = this.registry.requests.get(op);
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
      if (r.code !== 0) this.metrics.errors.inc({ op, code: r.code });
      s.send(encodeResponse(reqId, r.code, r.body ?? null));
      // A body of the wrong shape is also a protocol error (metric, abuse count), after the answer.
      if (r.malformed !== undefined) conn.protocolError(ProtocolErrorCode.BAD_BODY, r.malformed, reqId);
      else if (r.limited) conn.limitRefused(r.limited);
      const after = r.after;
      if (after)
        void (async () => after())().catch((e) => this.log.error({ err: e, op }, 'request follow-up failed'));
    };
    const internal = (e: unknown) => {
      this.log.error({ err: e, op }, 'request handler failed');
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

  onClose(conn: Connection): void {
    this.metrics.connections.dec();
    const s = conn.session;
    if (!s || s.conn !== conn || s.phase !== 'active') return;
    void this.detach(s).catch((e) => this.log.error({ err: e }, 'detach failed'));
  }

  private onEvent(conn: Connection, op: number, body: unknown): void {
    if (op === Op.Ping) {
      // The body is the client's count of processed messages (or null from older clients): what
      // it has processed will never be replayed, so the session stops keeping it.
      if (typeof body === 'number') conn.session?.outbox.ack(body);
      conn.write(encodeEvent(Op.Ping, Date.now()));
      return;
    }
    const s = conn.session;
    const h = this.registry.events.get(op);
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
      this.log.error({ err: e, op }, 'event handler failed');
    }
  }

  private internal(conn: Connection, reqId: number, op: number, e: unknown): void {
    this.log.error({ err: e, op }, 'session request failed');
    conn.write(encodeResponse(reqId, ProtocolErrorCode.INTERNAL, { message: 'internal error' }));
  }

  // ---- login / resume / logout ----

  private async login(conn: Connection, reqId: number, body: unknown): Promise<void> {
    const reply = (code: number, b: unknown = null) => {
      this.metrics.logins.inc({ code });
      conn.write(encodeResponse(reqId, code, b));
    };
    if (this.closing) return reply(LoginError.REJECTED, { message: 'server shutting down' });
    if (
      !isObj(body) ||
      !isStr(body.appId) ||
      !isStr(body.uid) ||
      !optStr(body.token) ||
      !(body.kind === undefined || body.kind === 'rtm' || body.kind === 'signaling')
    ) {
      reply(LoginError.INVALID_ARGUMENT, { message: 'bad login body' });
      return conn.protocolError(
        ProtocolErrorCode.BAD_BODY,
        'Login body: { v, appId: string, uid: string, token?: string, kind?: rtm|signaling }',
        reqId,
      );
    }
    if (body.v !== PROTOCOL_VERSION) {
      reply(ProtocolErrorCode.BAD_VERSION, { message: `protocol version ${PROTOCOL_VERSION} required` });
      return conn.protocolError(
        ProtocolErrorCode.BAD_VERSION,
        `protocol version ${PROTOCOL_VERSION} required`,
        reqId,
      );
    }
    if (!isValidUserId(body.uid)) return reply(LoginError.INVALID_ARGUMENT, { message: 'invalid uid' });
    if (conn.session && conn.session.phase !== 'ended') return reply(LoginError.ALREADY_LOGIN);
    const kind = (body.kind as 'rtm' | 'signaling' | undefined) ?? 'rtm';
    const uid = body.uid;
    const appId = this.appIds.get(body.appId) ?? body.appId;
    const a = this.auth.login(appId, uid, (body.token as string | undefined) ?? undefined, kind);
    if (a.code !== 0 || !('app' in a)) return reply(a.code);
    if (a.expiresAt !== null && a.expiresAt <= Date.now()) return reply(LoginError.TOKEN_EXPIRED);

    const sessionId = randomBytes(12).toString('base64url');
    let limits = this.limitsByApp.get(a.app);
    if (!limits) this.limitsByApp.set(a.app, (limits = limitsFor(this.config, a.app)));
    const s = new Session(
      sessionId,
      appId,
      uid,
      randomBytes(18).toString('base64url'),
      limits,
      conn,
      kind,
      a.expiresAt,
      this.config.resumeBufferMessages,
    );
    const prev = await this.store.sessions.claim(appId, uid, {
      nodeId: this.config.nodeId,
      sessionId,
      state: 'ONLINE',
    });
    if (conn.closed) {
      await this.store.sessions.release(appId, uid, sessionId);
      return;
    }
    // Every node forgets where this user's session was (cached routes of peer messages). Not
    // awaited: other nodes hear it when they hear it either way; the login need not wait.
    this.routes
      .claimed(appId, uid)
      .catch((e) => this.log.warn({ err: e }, 'could not announce the login to the other nodes'));
    if (prev && prev.sessionId !== sessionId)
      await this.store.sessions
        .markReplaced(appId, uid, prev.sessionId, this.replacedMemoryMs)
        .catch((e) => this.log.warn({ err: e }, 'could not record the replaced session'));
    const localPrev = this.local(appId, uid);
    if (localPrev) await this.end(localPrev, 'REMOTE_LOGIN');
    if (prev && prev.nodeId !== this.config.nodeId) {
      await this.mesh
        .request(prev.nodeId, 'kick', { appId, uid, sessionId: prev.sessionId }, 2000)
        .catch((e) =>
          this.log.warn(
            { err: e, node: prev.nodeId },
            'remote kick failed; that node will find its session replaced',
          ),
        );
    }
    let users = this.byUser.get(appId);
    if (!users) {
      this.byUser.set(appId, (users = new Map()));
      this.appIds.set(appId, appId);
    }
    users.set(uid, s);
    this.byId.set(sessionId, s);
    conn.session = s;
    this.metrics.sessions.set(this.byId.size);
    await this.registry.run('sessionStart', s);
    const resp: LoginResponse = {
      sessionId,
      resumeToken: s.resumeToken,
      limits,
      heartbeatMs: this.config.heartbeatMs,
      sessionGraceMs: this.config.sessionGraceMs,
      serverTs: Date.now(),
      tokenExpiresAt: a.expiresAt,
      nodeId: this.config.nodeId,
    };
    this.metrics.logins.inc({ code: 0 });
    s.send(encodeResponse(reqId, 0, resp));
    // Message 0 is never replayed: a client can only resume with the token it carries.
    s.outbox.ack(1);
    this.armTokenTimers(s);
    this.log.debug({ appId, uid, sessionId }, 'login');
    await this.registry.run('sessionReady', s);
  }

  private async resume(conn: Connection, reqId: number, body: unknown): Promise<void> {
    const reply = (code: number, b: unknown = null) => conn.write(encodeResponse(reqId, code, b));
    if (
      !isObj(body) ||
      !isStr(body.sessionId) ||
      !isStr(body.resumeToken) ||
      typeof body.received !== 'number'
    )
      return reply(LoginError.INVALID_ARGUMENT, { message: 'bad resume body' });
    const s = this.byId.get(body.sessionId);
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
        (await this.store.sessions
          .wasReplaced(this.appIds.get(body.appId) ?? body.appId, body.uid, body.sessionId)
          .catch(() => false))
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
      await this.end(s, 'GRACE_EXPIRED');
      return;
    }
    if (s.tokenExpiresAt !== null && s.tokenExpiresAt <= Date.now()) {
      reply(LoginError.TOKEN_EXPIRED);
      await this.end(s, 'TOKEN_EXPIRED');
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
      await this.store.sessions.setState(s.appId, s.uid, s.id, 'ONLINE');
      await this.registry.run('sessionResumed', s);
    }
  }

  private async logout(s: Session, reqId: number): Promise<void> {
    s.send(encodeResponse(reqId, 0, null));
    await this.end(s, 'LOGOUT');
  }

  /**
   * A client that logged out while its link was down ends its detached session from a fresh
   * socket (no login): `Logout` with the session's id and resume token. Its members and
   * subscribers then see it leave now, not at the end of the grace period. Answers 0 when the
   * session ended, USER_NOT_LOGGED_IN when there was none to end (already over, or not ours).
   */
  private async farewell(conn: Connection, reqId: number, body: FarewellBody): Promise<void> {
    let code = this.farewellLocal(body) ? 0 : LogoutError.USER_NOT_LOGGED_IN;
    if (code !== 0) {
      // The session may live on another node (a load balancer sent this socket elsewhere).
      const appId = this.appIds.get(body.appId) ?? body.appId;
      const rec = await this.store.sessions.lookup(appId, body.uid);
      if (rec && rec.sessionId === body.sessionId && rec.nodeId !== this.config.nodeId) {
        const ended = await this.mesh.request(rec.nodeId, 'farewell', body, 2000).catch(() => false);
        if (ended) code = 0;
      }
    }
    conn.write(encodeResponse(reqId, code, null));
  }

  /** Ends the local session `body` names if its resume token matches; true if it did. */
  private farewellLocal(body: FarewellBody): boolean {
    const s = this.byId.get(body.sessionId);
    if (!s || s.phase === 'ended' || !secretEqual(body.resumeToken, s.resumeToken)) return false;
    if (s.appId !== (this.appIds.get(body.appId) ?? body.appId) || s.uid !== body.uid) return false;
    void this.end(s, 'LOGOUT').catch((e) => this.log.error({ err: e }, 'farewell end failed'));
    return true;
  }

  private renew(s: Session, reqId: number, body: unknown): void {
    const token = isObj(body) ? body.token : undefined;
    if (!isStr(token) || token === '')
      return void s.send(encodeResponse(reqId, RenewTokenError.INVALID_ARGUMENT, null));
    if (!s.rates.take('renew', 2, 1000))
      return void s.send(encodeResponse(reqId, RenewTokenError.TOO_OFTEN, null));
    const r = this.auth.renew(s.appId, s.uid, token, s.kind);
    if (r.code !== 0) return void s.send(encodeResponse(reqId, r.code, null));
    if (r.expiresAt !== null && r.expiresAt <= Date.now())
      return void s.send(encodeResponse(reqId, RenewTokenError.TOKEN_EXPIRED, null));
    s.tokenExpiresAt = r.expiresAt;
    this.armTokenTimers(s);
    s.send(encodeResponse(reqId, 0, { tokenExpiresAt: r.expiresAt }));
  }

  private armTokenTimers(s: Session): void {
    scheduleTokenTimers(s, {
      warn: () => s.send(encodeEvent(Op.TokenWillExpire, { expiresAt: s.tokenExpiresAt })),
      expire: () =>
        void this.end(s, 'TOKEN_EXPIRED').catch((e) => this.log.error({ err: e }, 'token expiry failed')),
    });
  }

  // ---- detach / end ----

  private async detach(s: Session): Promise<void> {
    s.conn = null;
    s.phase = 'detached';
    s.graceTimer = setTimeout(() => {
      void this.end(s, 'GRACE_EXPIRED').catch((e) => this.log.error({ err: e }, 'grace end failed'));
    }, this.config.sessionGraceMs);
    await this.store.sessions.setState(s.appId, s.uid, s.id, 'UNREACHABLE');
    await this.registry.run('sessionDetached', s);
  }

  /** Ends a session: tells its client why, closes its socket, runs the sessionEnd hooks. */
  async end(s: Session, cause: SessionEndCause): Promise<void> {
    if (s.phase === 'ended') return;
    this.forget(s, cause);
    await this.store.sessions.release(s.appId, s.uid, s.id);
    await this.registry.run('sessionEnd', s, cause);
  }

  /** The local part of ending a session: timers, maps, telling the client and closing its socket. */
  private forget(s: Session, cause: SessionEndCause): void {
    s.phase = 'ended';
    if (s.graceTimer) clearTimeout(s.graceTimer);
    for (const t of s.tokenTimers) clearTimeout(t);
    s.tokenTimers = [];
    const users = this.byUser.get(s.appId);
    if (users?.get(s.uid) === s) {
      users.delete(s.uid);
      if (users.size === 0) {
        this.byUser.delete(s.appId);
        this.appIds.delete(s.appId);
      }
    }
    this.byId.delete(s.id);
    this.metrics.sessions.set(this.byId.size);
    const conn = s.conn;
    s.conn = null;
    if (conn) {
      const wire = END_WIRE[cause];
      if (wire.reason && cause !== 'LOGOUT')
        conn.write(encodeEvent(Op.SessionEnded, { reason: wire.reason }));
      conn.session = null;
      conn.close(wire.close, cause);
    }
  }

  /**
   * Ends a session that lived on another node which died (cluster mode: a survivor calls this
   * exactly once per session of the dead node, after the grace period). Runs the sessionEnd hooks
   * here with a stand-in session: `foreign: true`, no socket, empty `ext`, default limits. Hooks
   * must find what to clean up in the Store (keyed by uid/sessionId), not in local state.
   */
  async endForeign(appId: string, uid: string, sessionId: string, cause: SessionEndCause = 'GRACE_EXPIRED') {
    const s = this.standIn(appId, uid, sessionId);
    s.phase = 'ended';
    await this.store.sessions.release(appId, uid, sessionId);
    await this.registry.run('sessionEnd', s, cause);
  }

  /**
   * A session of a node found dead was marked UNREACHABLE in the Store (cluster mode): runs the
   * sessionDetached hooks here with a stand-in session, as the dead node would have when its
   * socket dropped. Its grace period runs on the survivor that reaps the node.
   */
  async detachForeign(appId: string, uid: string, sessionId: string): Promise<void> {
    const s = this.standIn(appId, uid, sessionId);
    s.phase = 'detached';
    await this.registry.run('sessionDetached', s);
  }

  /** A session of another node, for hooks that find what they need in the Store. */
  private standIn(appId: string, uid: string, sessionId: string): Session {
    const limits = limitsFor(this.config, this.auth.app(appId));
    const s = new Session(sessionId, appId, uid, '', limits, null, 'rtm', null, 1);
    s.foreign = true;
    return s;
  }

  /**
   * Drops a local session that the cluster already ended elsewhere (this node had been presumed
   * dead and a survivor ran its sessionEnd hooks): its client is told the server went away and
   * logs in again; no hook runs twice.
   */
  evict(sessionId: string): void {
    const s = this.byId.get(sessionId);
    if (s && s.phase !== 'ended') this.forget(s, 'SHUTDOWN');
  }

  /** Ends every local session (server shutdown). */
  async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.byId.values()].map((s) => this.end(s, 'SHUTDOWN').catch(() => undefined)));
  }
}

export { TOKEN_WARNING_MS };
