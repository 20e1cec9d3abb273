import { Op, encodeEvent, type PeerOnlineState, type PeersStatusEvent } from '@parley/protocol';
import { KeyedSerialQueue } from '../../kernel/serial-queue.js';
import type { FeatureContext } from '../context.js';

const userKey = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/**
 * Tells the watchers of a user about its online state. One report costs one registry lookup
 * (the state now) and one watcher lookup (the reverse index); the event is encoded once and
 * written to every local watcher, and sent once to each other node that has watchers.
 *
 * Reports of one user are serialised on this node and each reads the state at that moment, so
 * a late report can never overwrite a newer state with an older one.
 */
export class StatusAnnouncer {
  private readonly chains = new KeyedSerialQueue<string>();

  constructor(
    private readonly ctx: Pick<FeatureContext, 'config' | 'store' | 'log' | 'mesh' | 'metrics' | 'users'>,
  ) {
    ctx.mesh.on('presence', (p) => {
      const { appId, msg, to } = p;
      let n = 0;
      for (let i = 0; i + 1 < to.length; i += 2) n += this.deliverLocal(appId, to[i]!, to[i + 1]!, msg);
      if (n) ctx.metrics.messagesOut.inc({ kind: 'presence' }, n);
      return null;
    });
  }

  /**
   * Queues a report of `uid`'s state on behalf of its session `sessionId`: nothing is sent if
   * another session has since become the user's (that one reports for itself).
   */
  announce(appId: string, uid: string, sessionId: string): void {
    this.chains
      .run(userKey(appId, uid), () => this.report(appId, uid, sessionId))
      .catch((e) => this.ctx.log.warn({ err: e, appId, uid }, 'presence report failed'));
  }

  /** Resolves when every queued report has been sent (server shutdown). */
  async drain(): Promise<void> {
    await this.chains.drain();
  }

  private async report(appId: string, uid: string, sessionId: string): Promise<void> {
    const { store, config, mesh, metrics } = this.ctx;
    const rec = await store.sessions.lookup(appId, uid);
    if (rec && rec.sessionId !== sessionId) return;
    const state: PeerOnlineState = rec ? rec.state : 'OFFLINE';
    const watchers = await store.presence.watchersOf(appId, uid);
    if (watchers.length === 0) return;
    const msg = encodeEvent(Op.PeersStatus, { ids: [uid], states: [state] } satisfies PeersStatusEvent);
    let remote: Map<string, string[]> | null = null;
    let n = 0;
    for (const w of watchers) {
      if (w.nodeId === config.nodeId) {
        n += this.deliverLocal(appId, w.uid, w.sessionId, msg);
        continue;
      }
      remote ??= new Map();
      let to = remote.get(w.nodeId);
      if (!to) remote.set(w.nodeId, (to = []));
      to.push(w.uid, w.sessionId);
    }
    if (n) metrics.messagesOut.inc({ kind: 'presence' }, n);
    if (!remote) return;
    await Promise.all(
      [...remote].map(([node, to]) =>
        mesh
          .send(node, 'presence', { appId, msg, to })
          .catch((e) => this.ctx.log.warn({ err: e, node }, 'presence delivery to node failed')),
      ),
    );
  }

  /**
   * Writes to a watcher session of this node (queued in its outbox while it is detached).
   * A watcher whose session is gone is a leftover: its subscriptions are dropped here.
   */
  private deliverLocal(appId: string, uid: string, sessionId: string, msg: Uint8Array): number {
    const s = this.ctx.users.local(appId, uid);
    if (s && s.id === sessionId) {
      s.send(msg);
      return 1;
    }
    void this.ctx.store.presence.dropWatcher(appId, uid, sessionId).catch(() => undefined);
    return 0;
  }
}
