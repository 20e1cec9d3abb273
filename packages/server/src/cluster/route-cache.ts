import type { Unsubscribe } from '../ports/bus.js';
import type { Store } from '../ports/store.js';
import type { NodeMesh } from './node-mesh.js';

/** Topic on which a node announces the users that just logged in on it (cluster mode). */
const TOPIC = 'sessions';
/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 100_000;
/** An entry is read again from the registry after this long, ms (bounds a lost announcement). */
const TTL_MS = 30_000;

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/**
 * Which other node holds a user's session, remembered so that messages to a user on another node
 * do not read the session registry in Redis one by one. Kept right by two rules:
 * - a login announces itself (`claimed`, one publish on a topic every node listens on) and every
 *   node forgets that user; a lookup answered while such an announcement arrived is not cached;
 * - a node that answers "not here" for a cached user makes the sender forget it (`forget`).
 * So a stale entry lives only while an announcement travels, as a registry read raced by a login
 * would; a message sent on it is reported not received, like one to a user who just left. Entries
 * also expire after 30 s, and all are dropped when the bus comes back from an outage (the
 * announcements made meanwhile were lost).
 */
export class RouteCache {
  /** user → [node, expires at] */
  private readonly nodes = new Map<string, [string, number]>();
  /** users with lookups under way → how many, and whether a login of theirs was announced meanwhile */
  private readonly reading = new Map<string, { n: number; stale: boolean }>();
  private unsub: Unsubscribe | null = null;

  constructor(
    private readonly store: Store,
    private readonly mesh: NodeMesh,
  ) {}

  /** Starts listening for logins on other nodes (cluster mode only; a lone node caches nothing). */
  async start(): Promise<void> {
    if (!this.mesh.clustered) return;
    this.unsub = await this.mesh.listen(TOPIC, (m) => {
      if (m.type === 'claimed') this.drop(key(m.payload[0], m.payload[1]));
    });
  }

  async close(): Promise<void> {
    await this.unsub?.();
    this.unsub = null;
  }

  /**
   * The other node that holds the user's session, or null when it has none or it is on this
   * node (the caller looked there first).
   */
  async remoteNode(appId: string, uid: string): Promise<string | null> {
    const k = key(appId, uid);
    const hit = this.nodes.get(k);
    if (hit !== undefined && hit[1] > Date.now()) return hit[0];
    let mark: { n: number; stale: boolean } | undefined;
    if (this.mesh.clustered) {
      mark = this.reading.get(k);
      if (!mark) this.reading.set(k, (mark = { n: 0, stale: false }));
      mark.n++;
    }
    try {
      const rec = await this.store.sessions.lookup(appId, uid);
      if (!rec || rec.nodeId === this.mesh.nodeId) return null;
      if (mark && !mark.stale) this.remember(k, rec.nodeId);
      return rec.nodeId;
    } finally {
      if (mark && --mark.n === 0) this.reading.delete(k);
    }
  }

  /** The cached node of a user, if any (diagnostics and tests). */
  cached(appId: string, uid: string): string | undefined {
    const hit = this.nodes.get(key(appId, uid));
    return hit && hit[1] > Date.now() ? hit[0] : undefined;
  }

  /** Forgets every route (the announcements of a bus outage were missed). */
  clear(): void {
    this.nodes.clear();
    for (const mark of this.reading.values()) mark.stale = true;
  }

  /** The cached node answered that the user is not there: look it up next time. */
  forget(appId: string, uid: string): void {
    this.nodes.delete(key(appId, uid));
  }

  /** A user logged in on this node: every node (this one too) forgets where it was. */
  claimed(appId: string, uid: string): Promise<void> {
    this.drop(key(appId, uid));
    if (!this.mesh.clustered) return Promise.resolve();
    return this.mesh.publish(TOPIC, 'claimed', [appId, uid]).then(() => undefined);
  }

  private drop(k: string): void {
    this.nodes.delete(k);
    const mark = this.reading.get(k);
    if (mark) mark.stale = true;
  }

  private remember(k: string, nodeId: string): void {
    if (this.nodes.size >= MAX_ENTRIES) {
      const oldest = this.nodes.keys().next();
      if (!oldest.done) this.nodes.delete(oldest.value);
    }
    this.nodes.delete(k); // re-inserted last: insertion order is age order
    this.nodes.set(k, [nodeId, Date.now() + TTL_MS]);
  }
}
