import type { NodeMesh } from '../cluster/node-mesh.js';
import type { RouteCache } from '../cluster/route-cache.js';
import { KeyedSerialQueue } from '../kernel/serial-queue.js';
import { AckTracker } from './ack-tracker.js';
import { type HandOff, PeerReceiver, type ReceiverDeps } from './peer-receiver.js';
import type { LocalSessions, Recipient } from './recipient.js';

/**
 * When, after a stored message was not acked live, its receiver's inbox is sent again (while it
 * still holds messages and the receiver has a session): soon, and once more after a node that
 * was briefly cut off from the bus is back.
 */
export const REDELIVER_STORED_AFTER_MS = [2000, 8000];

export interface UserDeliveryDeps extends ReceiverDeps {
  sessions: LocalSessions;
  routes: RouteCache;
  mesh: NodeMesh;
  /** how long a receiver's SDK has to ack a message */
  ackTimeoutMs: number;
}

/**
 * THE way to reach a user's session wherever it lives: this node's session directly, another
 * node's through the route cache and the node mesh. Every sender uses it (peer messages, Signaling,
 * invitations, the REST API). A session's offline backlog always goes out before anything live
 * (PeerReceiver), and the messages of one sender keep their order.
 */
export class UserDelivery {
  readonly acks: AckTracker;
  readonly receiver: PeerReceiver;
  /** Per sender: its last one-way message still on its way (keeps send order). */
  private readonly order = new KeyedSerialQueue<object>(new WeakMap());
  /** receivers (`appId\0uid`) whose inbox is sent again soon: one timer each */
  private readonly redeliveries = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: UserDeliveryDeps) {
    const { mesh, routes, sessions } = deps;
    this.acks = new AckTracker(deps.ackTimeoutMs);
    this.receiver = new PeerReceiver(deps, this.acks);
    mesh.on('deliver', (p, from) => {
      const { appId, uid, msg } = p;
      const s = sessions.local(appId, uid);
      if (!s) {
        // The sender's cached route is stale: tell it (the message itself is one-way, and lost).
        void mesh.send(from, 'route.gone', [appId, uid]).catch(() => undefined);
        return false;
      }
      this.writeOneWay(s, msg);
      return true;
    });
    mesh.on('route.gone', (p) => {
      routes.forget(p[0], p[1]);
    });
    mesh.on('inbox.drain', ([appId, uid]) => {
      const s = sessions.local(appId, uid);
      if (s) void this.receiver.drain(s);
      return null;
    });
    mesh.on('peer', (p) => {
      const { appId, to, id, event, stored } = p;
      const target = sessions.local(appId, to);
      if (!target) return null;
      return Promise.resolve(this.receiver.deliver(target, id, event, stored === true)).then((h) => h.acked);
    });
  }

  /** The user's session on this node, if any. */
  local(appId: string, uid: string): Recipient | undefined {
    return this.deps.sessions.local(appId, uid);
  }

  /**
   * Sends a one-way event (no ack) to the user's session. Resolves false when the user has no
   * session; true when it was written here or handed to the user's node.
   */
  async toUser(appId: string, uid: string, msg: Uint8Array): Promise<boolean> {
    const s = this.deps.sessions.local(appId, uid);
    if (s) {
      const backlog = this.receiver.backlog(s);
      if (backlog) await backlog;
      s.send(msg);
      return true;
    }
    const { routes, mesh } = this.deps;
    const node = await routes.remoteNode(appId, uid);
    if (node === null) return false;
    // Nobody listening there: that node died; read the registry next time.
    if ((await mesh.send(node, 'deliver', { appId, uid, msg })) === 0) routes.forget(appId, uid);
    return true;
  }

  /**
   * Sends a one-way event from `sender` (its session: keys the order of its messages). Returns
   * 'local' when it was written into a session of this node at once (nothing of the sender's
   * ahead of it, no backlog), otherwise a promise like `toUser`'s.
   */
  fromSender(sender: object, appId: string, uid: string, msg: Uint8Array): 'local' | Promise<boolean> {
    if (!this.order.tail(sender)) {
      const s = this.deps.sessions.local(appId, uid);
      if (s && !this.receiver.backlog(s)) {
        s.send(msg);
        return 'local';
      }
    }
    return this.order.run(sender, () => this.toUser(appId, uid, msg)).catch(() => false);
  }

  /**
   * Hands a message that waits for its ack to the receiver's session, on this node or another.
   * The local path has no await before the write, so messages of one sender keep their order.
   * `stored`: the message is also in the offline inbox (the ack removes it there).
   */
  async handOff(appId: string, to: string, id: string, event: Uint8Array, stored: boolean): Promise<HandOff> {
    const { sessions, routes, mesh, ackTimeoutMs } = this.deps;
    const local = sessions.local(appId, to);
    if (local) return this.receiver.deliver(local, id, event, stored);
    const node = await routes.remoteNode(appId, to);
    if (node === null) return { acked: Promise.resolve(false) };
    const hop = { appId, to, id, event, stored: stored || undefined };
    const acked = mesh.request(node, 'peer', hop, ackTimeoutMs + 2000).then(
      (r) => {
        // null: the user has no session there (any more); read the registry next time.
        if (r === null) routes.forget(appId, to);
        return r === true;
      },
      () => {
        routes.forget(appId, to);
        return false;
      },
    );
    return { acked };
  }

  /**
   * A stored (offline) message to `uid` was not acked live: its hop was lost or timed out, or it
   * went to the node the receiver had just left while its login fetched the backlog before the
   * message was stored. A receiver that stays online would get it only at its next login; so a
   * moment later its session, wherever it is then, sends what its inbox still holds
   * (`PeerReceiver.drain` skips what it sent and is not acked yet; the SDK drops what it has seen).
   * One pending re-send per receiver; none when the receiver has no session.
   */
  redeliverStored(appId: string, uid: string, attempt = 0): void {
    const k = `${appId}\u0000${uid}`;
    const delay = REDELIVER_STORED_AFTER_MS[attempt];
    if (delay === undefined || (attempt === 0 && this.redeliveries.has(k))) return;
    const t = setTimeout(() => {
      this.redeliveries.delete(k);
      this.drainInbox(appId, uid).then(
        (more) => {
          if (more) this.redeliverStored(appId, uid, attempt + 1);
        },
        (e) => this.deps.log.warn({ err: e, appId, uid }, 'could not send a stored message again'),
      );
    }, delay);
    t.unref();
    this.redeliveries.set(k, t);
  }

  /** Stops the pending re-sends (server shutdown). */
  close(): void {
    for (const t of this.redeliveries.values()) clearTimeout(t);
    this.redeliveries.clear();
  }

  /** Sends the receiver's inbox again; true when it is worth another try later. */
  private async drainInbox(appId: string, uid: string): Promise<boolean> {
    if ((await this.deps.offline.count(appId, uid)) === 0) return false;
    const local = this.deps.sessions.local(appId, uid);
    if (local) {
      await this.receiver.drain(local);
      return true;
    }
    const node = await this.deps.routes.remoteNode(appId, uid);
    if (node === null) return false; // no session: the next login sends the inbox
    await this.deps.mesh.send(node, 'inbox.drain', [appId, uid]);
    return true;
  }

  /** A one-way message that arrived over the mesh for a local session: backlog first. */
  private writeOneWay(s: Recipient, msg: Uint8Array): void {
    const backlog = this.receiver.backlog(s);
    if (backlog) void backlog.then(() => s.send(msg));
    else s.send(msg);
  }
}
