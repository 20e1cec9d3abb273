import type { SessionRecord, SessionStore } from '../../ports/session-store.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/** Session registry in process memory (embedded mode; sessions never outlive the process). */
/** Replaced-session markers kept at most; the oldest go first beyond it. */
const MAX_REPLACED = 100_000;

export class MemorySessionStore implements SessionStore {
  private readonly map = new Map<string, SessionRecord>();
  /** replaced session → when its marker expires; insertion order ≈ expiry order */
  private readonly replaced = new Map<string, number>();

  async claim(appId: string, uid: string, rec: SessionRecord): Promise<SessionRecord | null> {
    const k = key(appId, uid);
    const prev = this.map.get(k) ?? null;
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
}
