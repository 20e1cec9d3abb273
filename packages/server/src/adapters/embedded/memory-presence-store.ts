import type { PresenceStore, SubscribeResult, Watcher } from '../../ports/presence-store.js';

const userKey = (appId: string, uid: string) => `${appId}\u0000${uid}`;
const sessionKey = (appId: string, uid: string, sessionId: string) =>
  `${appId}\u0000${uid}\u0000${sessionId}`;
const watcherKey = (uid: string, sessionId: string) => `${uid}\u0000${sessionId}`;

/**
 * PresenceStore in process memory: target → (watcher → Watcher) for fan-out and
 * watcher session → targets for the cap and clean-up. Both maps drop empty entries.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly byTarget = new Map<string, Map<string, Watcher>>();
  private readonly byWatcher = new Map<string, Set<string>>();

  async subscribe(
    appId: string,
    watcher: Watcher,
    targets: readonly string[],
    max: number,
  ): Promise<SubscribeResult> {
    const sk = sessionKey(appId, watcher.uid, watcher.sessionId);
    const mine = this.byWatcher.get(sk);
    const fresh = new Set<string>();
    for (const t of targets) if (!mine?.has(t)) fresh.add(t);
    const before = mine?.size ?? 0;
    if (before + fresh.size > max) return { ok: false, count: before };
    if (fresh.size === 0) return { ok: true, count: before };
    let set = mine;
    if (!set) this.byWatcher.set(sk, (set = new Set()));
    const w: Watcher = { uid: watcher.uid, sessionId: watcher.sessionId, nodeId: watcher.nodeId };
    const wk = watcherKey(w.uid, w.sessionId);
    for (const t of fresh) {
      set.add(t);
      const tk = userKey(appId, t);
      let ws = this.byTarget.get(tk);
      if (!ws) this.byTarget.set(tk, (ws = new Map()));
      ws.set(wk, w);
    }
    return { ok: true, count: set.size };
  }

  async unsubscribe(
    appId: string,
    uid: string,
    sessionId: string,
    targets: readonly string[],
  ): Promise<void> {
    const sk = sessionKey(appId, uid, sessionId);
    const set = this.byWatcher.get(sk);
    if (!set) return;
    const wk = watcherKey(uid, sessionId);
    for (const t of targets) {
      if (!set.delete(t)) continue;
      this.removeFromTarget(appId, t, wk);
    }
    if (set.size === 0) this.byWatcher.delete(sk);
  }

  async watchersOf(appId: string, target: string): Promise<Watcher[]> {
    const ws = this.byTarget.get(userKey(appId, target));
    return ws ? [...ws.values()] : [];
  }

  async targetsOf(appId: string, uid: string, sessionId: string): Promise<string[]> {
    const set = this.byWatcher.get(sessionKey(appId, uid, sessionId));
    return set ? [...set] : [];
  }

  async dropWatcher(appId: string, uid: string, sessionId: string): Promise<void> {
    const sk = sessionKey(appId, uid, sessionId);
    const set = this.byWatcher.get(sk);
    if (!set) return;
    this.byWatcher.delete(sk);
    const wk = watcherKey(uid, sessionId);
    for (const t of set) this.removeFromTarget(appId, t, wk);
  }

  private removeFromTarget(appId: string, target: string, wk: string): void {
    const tk = userKey(appId, target);
    const ws = this.byTarget.get(tk);
    if (!ws) return;
    ws.delete(wk);
    if (ws.size === 0) this.byTarget.delete(tk);
  }
}
