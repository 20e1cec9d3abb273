import type { SessionRecord, SessionStore } from '../../ports/session-store.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/** Replaced-session markers kept at most; the oldest go first beyond it. */
const MAX_REPLACED = 100_000;

/** An entry of a node's session index: the session, as one string. */
export const sessionEntry = (appId: string, uid: string, sessionId: string): string =>
  JSON.stringify([appId, uid, sessionId]);

/**
 * The sessions each node holds (the in-memory counterpart of Redis' `{nodes}:idx:<node>` sets),
 * read by MemoryNodeRegistry so the survivors of a dead in-memory node know which sessions to end.
 * Each entry is in at most one node's set: `move` takes it out of one and into another.
 */
export class NodeSessionIndex {
  readonly byNode = new Map<string, Set<string>>();

  add(nodeId: string, entry: string): void {
    let set = this.byNode.get(nodeId);
    if (!set) this.byNode.set(nodeId, (set = new Set()));
    set.add(entry);
  }

  delete(nodeId: string, entry: string): boolean {
    const set = this.byNode.get(nodeId);
    if (!set?.delete(entry)) return false;
    if (set.size === 0) this.byNode.delete(nodeId);
    return true;
  }

  /** Removes an ended session's entry, from whichever node holds it now. */
  deleteAnywhere(entry: string): void {
    for (const [node, set] of this.byNode) if (set.has(entry)) this.delete(node, entry);
  }
}

/**
 * Session registry in process memory (embedded mode; sessions never outlive the process). With a
 * node index (`indexNodes()`, in-memory multi-node tests) it also keeps which node holds each session.
 */
export class MemorySessionStore implements SessionStore {
  private readonly map = new Map<string, SessionRecord>();
  /** replaced session → when its marker expires; insertion order ≈ expiry order */
  private readonly replaced = new Map<string, number>();
  /** null on a single embedded node: nobody reads it, so it is not kept */
  private index: NodeSessionIndex | null = null;

  /** Starts keeping the per-node session index (the in-memory NodeRegistry's view of sessions). */
  indexNodes(): NodeSessionIndex {
    this.index ??= new NodeSessionIndex();
    return this.index;
  }

  async claim(appId: string, uid: string, rec: SessionRecord): Promise<SessionRecord | null> {
    const k = key(appId, uid);
    const prev = this.map.get(k) ?? null;
    this.index?.add(rec.nodeId, sessionEntry(appId, uid, rec.sessionId));
    this.map.set(k, { ...rec });
    return prev;
  }
  async lookup(appId: string, uid: string): Promise<SessionRecord | null> {
    return this.map.get(key(appId, uid)) ?? null;
  }
  async lookupMany(appId: string, uids: string[]): Promise<(SessionRecord | null)[]> {
    return uids.map((u) => this.map.get(key(appId, u)) ?? null);
  }
  async setState(
    appId: string,
    uid: string,
    sessionId: string,
    state: SessionRecord['state'],
  ): Promise<boolean> {
    const r = this.map.get(key(appId, uid));
    if (!r || r.sessionId !== sessionId || r.state === state) return false;
    r.state = state;
    return true;
  }
  async release(appId: string, uid: string, sessionId: string): Promise<boolean> {
    // The session ends whether or not it was still the user's, so its index entry goes either way.
    this.index?.deleteAnywhere(sessionEntry(appId, uid, sessionId));
    const k = key(appId, uid);
    const r = this.map.get(k);
    if (!r || r.sessionId !== sessionId) return false;
    this.map.delete(k);
    return true;
  }
  async markReplaced(appId: string, uid: string, sessionId: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    for (const [k, until] of this.replaced) {
      if (until > now && this.replaced.size < MAX_REPLACED) break;
      this.replaced.delete(k);
    }
    this.replaced.set(`${key(appId, uid)}\u0000${sessionId}`, now + ttlMs);
  }
  async wasReplaced(appId: string, uid: string, sessionId: string): Promise<boolean> {
    const until = this.replaced.get(`${key(appId, uid)}\u0000${sessionId}`);
    return until !== undefined && until > Date.now();
  }

  /** Puts a session back unless the user has one (NodeRegistry.restore; the index entry always). */
  async restore(appId: string, uid: string, rec: SessionRecord): Promise<void> {
    this.index?.add(rec.nodeId, sessionEntry(appId, uid, rec.sessionId));
    const k = key(appId, uid);
    if (!this.map.has(k)) this.map.set(k, { ...rec });
  }
}
