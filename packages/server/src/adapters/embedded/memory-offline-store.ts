import type { OfflineMessage, OfflineStore } from '../../ports/offline-store.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/**
 * OfflineStore in process memory: lost on restart. Used with `dataDir: null` (tests); the
 * embedded server with a data dir uses SqliteOfflineStore.
 */
export class MemoryOfflineStore implements OfflineStore {
  private readonly inbox = new Map<string, OfflineMessage[]>();

  async put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<void> {
    const k = key(appId, to);
    let list = this.inbox.get(k);
    if (!list) this.inbox.set(k, (list = []));
    list.push(msg);
    if (list.length > maxPerUser) list.splice(0, list.length - maxPerUser);
  }

  async fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]> {
    return (this.inbox.get(key(appId, uid)) ?? []).filter((m) => m.ts >= notBefore);
  }

  async remove(appId: string, uid: string, ids: string[]): Promise<void> {
    const k = key(appId, uid);
    const list = this.inbox.get(k);
    if (!list) return;
    const drop = new Set(ids);
    const kept = list.filter((m) => !drop.has(m.id));
    if (kept.length === 0) this.inbox.delete(k);
    else this.inbox.set(k, kept);
  }

  async purge(before: number): Promise<number> {
    let n = 0;
    for (const [k, list] of this.inbox) {
      const kept = list.filter((m) => m.ts >= before);
      n += list.length - kept.length;
      if (kept.length === 0) this.inbox.delete(k);
      else if (kept.length !== list.length) this.inbox.set(k, kept);
    }
    return n;
  }

  async count(appId: string, uid: string): Promise<number> {
    return this.inbox.get(key(appId, uid))?.length ?? 0;
  }
}
