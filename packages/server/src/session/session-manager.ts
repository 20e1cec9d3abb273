import type { NodeMesh } from '../cluster/node-mesh.js';
import type { RouteCache } from '../cluster/route-cache.js';
import type { ServerConfig } from '../config.js';
import type { SessionEndCause } from '../features/client-session.js';
import type { FeatureRegistry } from '../features/registry.js';
import type { ActivityFeed } from '../kernel/activity-feed.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../ports/store.js';
import type { Authenticator } from './auth.js';
import { RequestDispatch } from './dispatch.js';
import { Farewells } from './farewell.js';
import type { SessionLayer } from './layer.js';
import type { ClientLink, ClientMessage, LinkSink } from './link.js';
import { Logins } from './login.js';
import { TokenRenewal } from './renewal.js';
import type { Session } from './session.js';
import { SessionEnding } from './session-ending.js';
import { SessionTable } from './session-table.js';
import { TOKEN_WARNING_MS } from './token-timers.js';

export type { SessionEndCause };

/**
 * Logins, resumes, logouts and the lifecycle of sessions on this node; dispatches requests of
 * logged-in clients to the features. The cluster-wide session registry lives in the Store.
 * The parts: dispatch.ts (what a socket sends), login.ts, resume.ts, farewell.ts, renewal.ts
 * (token renewal and expiry timers), session-ending.ts (detach with its grace timer, end, and
 * the cluster cases), session-table.ts (the sessions of this node).
 */
export class SessionManager implements LinkSink {
  private readonly table = new SessionTable();
  private readonly layer: SessionLayer;
  private readonly ending: SessionEnding;
  private readonly dispatch: RequestDispatch;

  constructor(
    config: ServerConfig,
    auth: Authenticator,
    store: Store,
    mesh: NodeMesh,
    routes: RouteCache,
    registry: FeatureRegistry,
    metrics: Metrics,
    log: Logger,
    activity: ActivityFeed,
  ) {
    const { table } = this;
    this.ending = new SessionEnding({ config, auth, store, registry, metrics, log, table, activity });
    const layer: SessionLayer = {
      config,
      auth,
      store,
      mesh,
      routes,
      registry,
      metrics,
      log,
      activity,
      table,
      ending: this.ending,
      closing: false,
    };
    this.layer = layer;
    const renewal = new TokenRenewal(layer);
    this.dispatch = new RequestDispatch(layer, new Logins(layer, renewal), new Farewells(layer), renewal);
  }

  /** The live session of a user on this node, if any. */
  local(appId: string, uid: string): Session | undefined {
    return this.table.local(appId, uid);
  }

  get count(): number {
    return this.table.count;
  }

  all(): IterableIterator<Session> {
    return this.table.all();
  }

  // ---- LinkSink (the transport) ----

  onMessage(conn: ClientLink, m: ClientMessage): void {
    this.dispatch.onMessage(conn, m);
  }

  onClose(conn: ClientLink): void {
    this.layer.metrics.connections.dec();
    const s = conn.session;
    if (!s || s.conn !== conn || s.phase !== 'active') return;
    void this.ending.detach(s).catch((e) => this.layer.log.error({ err: e }, 'detach failed'));
  }

  // ---- ending ----

  /** Ends a session: tells its client why, closes its socket, runs the sessionEnd hooks. */
  end(s: Session, cause: SessionEndCause): Promise<void> {
    return this.ending.end(s, cause);
  }

  /** Cluster: a dead node's session ends here (see SessionEnding.endDeadNodeSession). */
  endForeign(appId: string, uid: string, sessionId: string, cause: SessionEndCause = 'GRACE_EXPIRED') {
    return this.ending.endDeadNodeSession(appId, uid, sessionId, cause);
  }

  /** Cluster: a dead node's session is detached here (see SessionEnding.detachDeadNodeSession). */
  detachForeign(appId: string, uid: string, sessionId: string): Promise<void> {
    return this.ending.detachDeadNodeSession(appId, uid, sessionId);
  }

  /** Cluster: a session of this node was ended elsewhere (see SessionEnding.dropEndedElsewhere). */
  evict(sessionId: string): void {
    this.ending.dropEndedElsewhere(sessionId);
  }

  /**
   * Forgets every local session at once: no hook, no Store write, no word to the clients (a
   * test's simulated crash: the survivors end these sessions as they would a dead node's).
   */
  abandonAll(): void {
    this.layer.closing = true;
    for (const s of [...this.table.all()]) this.ending.abandon(s);
  }

  /** Ends every local session (server shutdown). */
  async shutdown(): Promise<void> {
    this.layer.closing = true;
    await Promise.all([...this.table.all()].map((s) => this.end(s, 'SHUTDOWN').catch(() => undefined)));
  }
}

export { TOKEN_WARNING_MS };
