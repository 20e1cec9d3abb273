import { randomBytes } from 'node:crypto';
import {
  LoginError,
  PROTOCOL_VERSION,
  ProtocolErrorCode,
  encodeResponse,
  isObj,
  isStr,
  isValidUserId,
  optStr,
  type Limits,
  type LoginResponse,
} from '@parley/protocol';
import { limitsFor, type AppConfig } from '../config.js';
import type { SessionLayer } from './layer.js';
import type { ClientLink } from './link.js';
import type { TokenRenewal } from './renewal.js';
import { Session } from './session.js';

/** How long a session replaced by a newer login is remembered, at least (10 min). */
const REPLACED_MEMORY_MS = 10 * 60_000;

/**
 * Login: checks the token, claims the user in the cluster registry (ending the session it
 * replaces, here or on another node), then runs sessionStart, answers and runs sessionReady.
 */
export class Logins {
  /** limits per app (the same object for every session of an app) */
  private readonly limitsByApp = new Map<AppConfig | undefined, Limits>();

  constructor(
    private readonly layer: SessionLayer,
    private readonly renewal: TokenRenewal,
  ) {
    layer.mesh.on('kick', async (p) => {
      const { appId, uid, sessionId } = p;
      const s = layer.table.get(sessionId);
      if (s && s.appId === appId && s.uid === uid) await layer.ending.end(s, 'REMOTE_LOGIN');
    });
  }

  /**
   * How long a replaced session is remembered: its client may come back after a long outage and
   * must still learn it was replaced. At least the grace period.
   */
  get replacedMemoryMs(): number {
    return Math.max(this.layer.config.sessionGraceMs, REPLACED_MEMORY_MS);
  }

  async login(conn: ClientLink, reqId: number, body: unknown): Promise<void> {
    const { config, auth, store, routes, mesh, registry, metrics, log, table, ending } = this.layer;
    const reply = (code: number, b: unknown = null) => {
      metrics.logins.inc({ code });
      conn.write(encodeResponse(reqId, code, b));
    };
    if (this.layer.closing) return reply(LoginError.REJECTED, { message: 'server shutting down' });
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
    const appId = table.appId(body.appId);
    const a = auth.login(appId, uid, (body.token as string | undefined) ?? undefined, kind);
    if (a.code !== 0 || !('app' in a)) return reply(a.code);
    if (a.expiresAt !== null && a.expiresAt <= Date.now()) return reply(LoginError.TOKEN_EXPIRED);

    const sessionId = randomBytes(12).toString('base64url');
    let limits = this.limitsByApp.get(a.app);
    if (!limits) this.limitsByApp.set(a.app, (limits = limitsFor(config, a.app)));
    const s = new Session(
      sessionId,
      appId,
      uid,
      randomBytes(18).toString('base64url'),
      limits,
      conn,
      kind,
      a.expiresAt,
      config.resumeBufferMessages,
    );
    const prev = await store.sessions.claim(appId, uid, {
      nodeId: config.nodeId,
      sessionId,
      state: 'ONLINE',
    });
    if (conn.closed) {
      await store.sessions.release(appId, uid, sessionId);
      return;
    }
    // Every node forgets where this user's session was (cached routes of peer messages). Not
    // awaited: other nodes hear it when they hear it either way; the login need not wait.
    routes
      .claimed(appId, uid)
      .catch((e) => log.warn({ err: e }, 'could not announce the login to the other nodes'));
    if (prev && prev.sessionId !== sessionId)
      await store.sessions
        .markReplaced(appId, uid, prev.sessionId, this.replacedMemoryMs)
        .catch((e) => log.warn({ err: e }, 'could not record the replaced session'));
    const localPrev = table.local(appId, uid);
    if (localPrev) await ending.end(localPrev, 'REMOTE_LOGIN');
    if (prev && prev.nodeId !== config.nodeId) {
      await mesh
        .request(prev.nodeId, 'kick', { appId, uid, sessionId: prev.sessionId }, 2000)
        .catch((e) =>
          log.warn(
            { err: e, node: prev.nodeId },
            'remote kick failed; that node will find its session replaced',
          ),
        );
    }
    table.add(s);
    conn.session = s;
    metrics.sessions.set(table.count);
    await registry.run('sessionStart', s);
    if (this.layer.activity.watched('user.online'))
      this.layer.activity.emit({ type: 'user.online', appId, uid, sessionId, ts: Date.now() });
    const resp: LoginResponse = {
      sessionId,
      resumeToken: s.resumeToken,
      limits,
      heartbeatMs: config.heartbeatMs,
      sessionGraceMs: config.sessionGraceMs,
      serverTs: Date.now(),
      tokenExpiresAt: a.expiresAt,
      nodeId: config.nodeId,
    };
    metrics.logins.inc({ code: 0 });
    s.send(encodeResponse(reqId, 0, resp));
    // Message 0 is never replayed: a client can only resume with the token it carries.
    s.outbox.ack(1);
    this.renewal.armTimers(s);
    log.debug({ appId, uid, sessionId }, 'login');
    await registry.run('sessionReady', s);
  }
}
