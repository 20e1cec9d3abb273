import type { UserAttrsRecord, UserAttrsStore } from '../../ports/user-attrs-store.js';

const userKey = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/** UserAttrsStore in process memory. Records are copied in and out, so callers cannot alias them. */
export class MemoryUserAttrsStore implements UserAttrsStore {
  private readonly map = new Map<string, UserAttrsRecord>();

  async get(appId: string, uid: string, keys?: readonly string[]): Promise<UserAttrsRecord | null> {
    const r = this.map.get(userKey(appId, uid));
    if (!r) return null;
    if (!keys) return { sessionId: r.sessionId, attrs: new Map(r.attrs) };
    const attrs = new Map<string, string>();
    for (const k of keys) {
      const v = r.attrs.get(k);
      if (v !== undefined) attrs.set(k, v);
    }
    return { sessionId: r.sessionId, attrs };
  }

  async put(
    appId: string,
    uid: string,
    sessionId: string,
    attrs: ReadonlyMap<string, string>,
  ): Promise<void> {
    const k = userKey(appId, uid);
    if (attrs.size === 0) {
      if (this.map.get(k)?.sessionId === sessionId) this.map.delete(k);
    } else this.map.set(k, { sessionId, attrs: new Map(attrs) });
  }

  async drop(appId: string, uid: string, sessionId: string): Promise<void> {
    const k = userKey(appId, uid);
    if (this.map.get(k)?.sessionId === sessionId) this.map.delete(k);
  }
}
