import { CloseCode, Op, encodeEvent, type SessionEndReason } from '@parley/protocol';
import { limitsFor, type ServerConfig } from '../config.js';
import type { SessionEndCause } from '../features/client-session.js';
import type { FeatureRegistry } from '../features/registry.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import type { Authenticator } from './auth.js';
import { Session } from './session.js';
import type { SessionTable } from './session-table.js';

/** Close code and SessionEnded reason told to the client for each cause. */
const END_WIRE: Record<SessionEndCause, { close: number; reason: SessionEndReason | null }> = {
  LOGOUT: { close: CloseCode.LOGGED_OUT, reason: 'LOGOUT' },
  REMOTE_LOGIN: { close: CloseCode.REMOTE_LOGIN, reason: 'REMOTE_LOGIN' },
  GRACE_EXPIRED: { close: CloseCode.NORMAL, reason: null },
  TOKEN_EXPIRED: { close: CloseCode.TOKEN_EXPIRED, reason: 'TOKEN_EXPIRED' },
  SHUTDOWN: { close: CloseCode.GOING_AWAY, reason: 'SERVER_SHUTDOWN' },
};

export interface EndingDeps {
  config: ServerConfig;
  auth: Authenticator;
  store: Store;
  registry: FeatureRegistry;
  metrics: Metrics;
  log: Logger;
  activity: ActivityFeed;
  table: SessionTable;
}

/**
 * How sessions stop: detached (socket dropped; the grace timer runs), ended (cluster registry
 * released, sessionEnd hooks), and the cluster cases where the session lived or was ended on
 * another node.
 */
export class SessionEnding {
  constructor(private readonly d: EndingDeps) {}

  /** The socket dropped: the session waits for a resume until its grace period ends. */
  async detach(s: Session): Promise<void> {
    s.conn = null;
    s.phase = 'detached';
    s.graceTimer = setTimeout(() => {
      void this.end(s, 'GRACE_EXPIRED').catch((e) => this.d.log.error({ err: e }, 'grace end failed'));
    }, this.d.config.sessionGraceMs);
    await this.d.store.sessions.setState(s.appId, s.uid, s.id, 'UNREACHABLE');
    await this.d.registry.run('sessionDetached', s);
  }

  /** Ends a session: tells its client why, closes its socket, runs the sessionEnd hooks. */
  async end(s: Session, cause: SessionEndCause): Promise<void> {
    if (s.phase === 'ended') return;
    this.closeLocal(s, cause);
    await this.d.store.sessions.release(s.appId, s.uid, s.id);
    this.ended(s.appId, s.uid, s.id, cause);
    await this.d.registry.run('sessionEnd', s, cause);
  }

  private ended(appId: string, uid: string, sessionId: string, cause: SessionEndCause): void {
    const { activity } = this.d;
    if (activity.watched('user.offline'))
      activity.emit({ type: 'user.offline', appId, uid, sessionId, ts: Date.now(), cause });
  }

  /**
   * The local part of ending a session: stops its timers, drops it from the table, tells the
   * client why and closes its socket. No hook runs and the cluster registry is not touched.
   */
  closeLocal(s: Session, cause: SessionEndCause): void {
    s.phase = 'ended';
    if (s.graceTimer) clearTimeout(s.graceTimer);
    for (const t of s.tokenTimers) clearTimeout(t);
    s.tokenTimers = [];
    this.d.table.remove(s);
    this.d.metrics.sessions.set(this.d.table.count);
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

  /** Drops a session from this node without a trace of an ending (simulated crash, see abandonAll). */
  abandon(s: Session): void {
    s.phase = 'ended';
    if (s.graceTimer) clearTimeout(s.graceTimer);
    for (const t of s.tokenTimers) clearTimeout(t);
    s.tokenTimers = [];
    this.d.table.remove(s);
    if (s.conn) s.conn.session = null;
    s.conn = null;
  }

  /**
   * Ends a session that lived on another node which died (cluster mode: a survivor calls this
   * exactly once per session of the dead node, after the grace period). Runs the sessionEnd hooks
   * here with a stand-in session: `foreign: true`, no socket, empty `ext`, default limits. Hooks
   * must find what to clean up in the Store (keyed by uid/sessionId), not in local state.
   */
  async endDeadNodeSession(
    appId: string,
    uid: string,
    sessionId: string,
    cause: SessionEndCause,
  ): Promise<void> {
    const s = this.standIn(appId, uid, sessionId);
    s.phase = 'ended';
    await this.d.store.sessions.release(appId, uid, sessionId);
    this.ended(appId, uid, sessionId, cause);
    await this.d.registry.run('sessionEnd', s, cause);
  }

  /**
   * A session of a node found dead was marked UNREACHABLE in the Store (cluster mode): runs the
   * sessionDetached hooks here with a stand-in session, as the dead node would have when its
   * socket dropped. Its grace period runs on the survivor that reaps the node.
   */
  async detachDeadNodeSession(appId: string, uid: string, sessionId: string): Promise<void> {
    const s = this.standIn(appId, uid, sessionId);
    s.phase = 'detached';
    await this.d.registry.run('sessionDetached', s);
  }

  /**
   * Drops a local session that the cluster already ended elsewhere (this node had been presumed
   * dead and a survivor ran its sessionEnd hooks): its client is told the server went away and
   * logs in again; no hook runs twice.
   */
  dropEndedElsewhere(sessionId: string): void {
    const s = this.d.table.get(sessionId);
    if (s && s.phase !== 'ended') this.closeLocal(s, 'SHUTDOWN');
  }

  /** A session of another node, for hooks that find what they need in the Store. */
  private standIn(appId: string, uid: string, sessionId: string): Session {
    const limits = limitsFor(this.d.config, this.d.auth.app(appId));
    const s = new Session(sessionId, appId, uid, '', limits, null, 'rtm', null, 1);
    s.foreign = true;
    return s;
  }
}
