import type { SessionRecord, SessionStore } from '../../ports/session-store.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/** Session registry in process memory (embedded mode; sessions never outlive the process). */
export class MemorySessionStore implements SessionStore {
  private readonly map = new Map<string, SessionRecord>();

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
}
