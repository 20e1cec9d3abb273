import type { OfflineMessage, OfflineStore, PriorSend } from '../../ports/offline-store.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/**
 * OfflineStore in process memory: lost on restart. Used with `dataDir: null` (tests); the
 * embedded server with a data dir uses SqliteOfflineStore.
 */
export class MemoryOfflineStore implements OfflineStore {
  private readonly inbox = new Map<string, OfflineMessage[]>();
  /** idempotency keys: `<appId>\0<to>\0<from>\0<key>` → the first send (insertion order = age) */
  private readonly keys = new Map<string, { id: string; ts: number; acked: boolean; at: number }>();
  /** `<appId>\0<to>\0<id>` → its key entry's name, so an ack marks it */
  private readonly keyOfId = new Map<string, string>();

  async putOnce(
    appId: string,
    to: string,
    msg: OfflineMessage,
    key: string,
    maxPerUser: number,
    keyTtlMs: number,
  ): Promise<PriorSend | null> {
    const k = `${appId}\u0000${to}\u0000${msg.from}\u0000${key}`;
    const now = Date.now();
    const prior = this.keys.get(k);
    if (prior && prior.at >= now - keyTtlMs) {
      const stored = (this.inbox.get(`${appId}\u0000${to}`) ?? []).some((m) => m.id === prior.id);
      return { id: prior.id, ts: prior.ts, stored, acked: prior.acked };
    }
    this.keys.delete(k);
    this.keys.set(k, { id: msg.id, ts: msg.ts, acked: false, at: now });
    this.keyOfId.set(`${appId}\u0000${to}\u0000${msg.id}`, k);
    await this.put(appId, to, msg, maxPerUser);
    return null;
  }

  async purgeKeys(before: number): Promise<number> {
    let n = 0;
    for (const [k, e] of this.keys) {
      if (e.at >= before) continue;
      this.keys.delete(k);
      this.keyOfId.delete(`${k.slice(0, k.indexOf('\u0000', k.indexOf('\u0000') + 1))}\u0000${e.id}`);
      n++;
    }
    return n;
  }

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
    for (const m of list) {
      if (!drop.has(m.id)) continue;
      const e = this.keys.get(this.keyOfId.get(`${k}\u0000${m.id}`) ?? '');
      if (e) e.acked = true;
    }
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
