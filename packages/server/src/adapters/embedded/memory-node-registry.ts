import type { NodeRegistry, SessionRef } from '../../ports/node-registry.js';
import type { SessionRecord } from '../../ports/session-store.js';
import type { SessionStore } from '../../ports/session-store.js';
import { MemorySessionStore, type NodeSessionIndex, sessionEntry } from './memory-session-store.js';

/**
 * The node registry in process memory, shared by the in-memory nodes of one process (multi-node
 * tests, as they share one MemoryBus and one embedded Store), so node liveness
 * (cluster/node-liveness.ts) runs, and a node can be killed, without Redis. The same primitives as
 * RedisNodeRegistry: heartbeats on one clock (this process'), each node's sessions in the session
 * store's node index, a lease per dead node's cleanup. Every call runs in one tick, so each is as
 * atomic as the Lua script it stands for.
 */
export class MemoryNodeRegistry implements NodeRegistry {
  /** node id → time of its last beat */
  private readonly alive = new Map<string, number>();
  /** dead node → the survivor cleaning it up, until when */
  private readonly locks = new Map<string, { owner: string; until: number }>();
  private epoch: string | null = null;
  private readonly index: NodeSessionIndex;

  constructor(private readonly sessions: MemorySessionStore) {
    this.index = sessions.indexNodes();
  }

  /** The registry over an embedded Store's session store (which must be the in-memory one). */
  static over(sessions: SessionStore): MemoryNodeRegistry {
    if (!(sessions instanceof MemorySessionStore))
      throw new Error('MemoryNodeRegistry needs the in-memory session store');
    return new MemoryNodeRegistry(sessions);
  }

  async join(nodeId: string, deadMs: number, ghostId: string, epochCandidate: string) {
    const now = Date.now();
    this.epoch ??= epochCandidate;
    const last = this.alive.get(nodeId);
    if (last !== undefined && now - last < deadMs)
      return { status: -1 as const, ageMs: now - last, epoch: this.epoch };
    let status: 0 | 1 = 0;
    const left = this.index.byNode.get(nodeId);
    if (left) {
      this.index.byNode.delete(nodeId);
      this.index.byNode.set(ghostId, left);
      this.alive.set(ghostId, last ?? 0);
      status = 1;
    }
    this.alive.set(nodeId, now);
    return { status, ageMs: 0, epoch: this.epoch };
  }

  async beat(nodeId: string, epochCandidate: string) {
    const now = Date.now();
    this.epoch ??= epochCandidate;
    const last = this.alive.get(nodeId);
    this.alive.set(nodeId, now);
    return { ageMs: last === undefined ? -1 : now - last, epoch: this.epoch };
  }

  async dead(deadMs: number) {
    const now = Date.now();
    const nodes = [...this.alive]
      .filter(([, last]) => last <= now - deadMs)
      .sort((a, b) => a[1] - b[1])
      .map(([nodeId, lastSeen]) => ({ nodeId, lastSeen }));
    return { now, nodes };
  }

  async age(nodeId: string): Promise<number> {
    const last = this.alive.get(nodeId);
    return last === undefined ? -1 : Date.now() - last;
  }

  async forget(nodeId: string, deadMs: number): Promise<void> {
    if (this.index.byNode.has(nodeId)) return;
    const last = this.alive.get(nodeId);
    if (last !== undefined && Date.now() - last < deadMs) return;
    this.alive.delete(nodeId);
    this.locks.delete(nodeId);
  }

  async leave(nodeId: string): Promise<void> {
    if (!this.index.byNode.has(nodeId)) this.alive.delete(nodeId);
  }

  async lockCleanup(nodeId: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = Date.now();
    const held = this.locks.get(nodeId);
    if (held && held.until > now) return false;
    this.locks.set(nodeId, { owner, until: now + leaseMs });
    return true;
  }

  async extendCleanup(nodeId: string, leaseMs: number): Promise<void> {
    const held = this.locks.get(nodeId);
    if (held) held.until = Date.now() + leaseMs;
  }

  async unlockCleanup(nodeId: string): Promise<void> {
    this.locks.delete(nodeId);
  }

  async *entries(nodeId: string, batch: number): AsyncGenerator<string[]> {
    const all = [...(this.index.byNode.get(nodeId) ?? [])];
    for (let i = 0; i < all.length; i += batch) yield all.slice(i, i + batch);
  }

  async someEntries(nodeId: string, n: number): Promise<string[]> {
    return [...(this.index.byNode.get(nodeId) ?? [])].slice(0, n);
  }

  async move(from: string, to: string, entry: string): Promise<boolean> {
    if (!this.index.delete(from, entry)) return false;
    this.index.add(to, entry);
    return true;
  }

  async remove(nodeId: string, entry: string): Promise<void> {
    this.index.delete(nodeId, entry);
  }

  async contains(nodeId: string, sessions: SessionRef[]): Promise<boolean[]> {
    const set = this.index.byNode.get(nodeId);
    return sessions.map((s) => set?.has(sessionEntry(s.appId, s.uid, s.sessionId)) ?? false);
  }

  parse(entry: string): SessionRef | null {
    try {
      const v: unknown = JSON.parse(entry);
      if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return null;
      const [appId, uid, sessionId] = v as [string, string, string];
      return { appId, uid, sessionId };
    } catch {
      return null;
    }
  }

  restore(appId: string, uid: string, rec: SessionRecord): Promise<void> {
    return this.sessions.restore(appId, uid, rec);
  }
}
