import type { OfflineMessage, OfflineStore, OfflineUsage, PutOnceResult } from '../../ports/offline-store.js';
import { WindowCounters } from './window-counters.js';

const key = (appId: string, uid: string) => `${appId}\u0000${uid}`;

/**
 * OfflineStore in process memory: lost on restart. Used with `dataDir: null` (tests); the
 * embedded server with a data dir uses SqliteOfflineStore.
 */
export class MemoryOfflineStore implements OfflineStore {
  private readonly inbox = new Map<string, OfflineMessage[]>();
  /** per app: what its receivers' inboxes hold */
  private readonly usageByApp = new Map<string, OfflineUsage>();
  private readonly senders = new WindowCounters();
  /** idempotency keys: `<appId>\0<to>\0<from>\0<key>` → the first send (insertion order = age) */
  private readonly keys = new Map<
    string,
    { id: string; ts: number; acked: boolean; at: number /** its keyOfId name */; idKey: string }
  >();
  /** `<appId>\0<to>\0<id>` → its key entry's name, so an ack marks it */
  private readonly keyOfId = new Map<string, string>();

  async putOnce(
    appId: string,
    to: string,
    msg: OfflineMessage,
    sendKey: string,
    maxPerUser: number,
    keyTtlMs: number,
  ): Promise<PutOnceResult> {
    const inboxKey = key(appId, to);
    const k = `${inboxKey}\u0000${msg.from}\u0000${sendKey}`;
    const now = Date.now();
    const prior = this.keys.get(k);
    if (prior && prior.at >= now - keyTtlMs) {
      const stored = (this.inbox.get(inboxKey) ?? []).some((m) => m.id === prior.id);
      return { prior: { id: prior.id, ts: prior.ts, stored, acked: prior.acked }, dropped: 0 };
    }
    this.keys.delete(k);
    const idKey = `${inboxKey}\u0000${msg.id}`;
    this.keys.set(k, { id: msg.id, ts: msg.ts, acked: false, at: now, idKey });
    this.keyOfId.set(idKey, k);
    return { prior: null, dropped: await this.put(appId, to, msg, maxPerUser) };
  }

  async purgeKeys(before: number): Promise<number> {
    let n = 0;
    for (const [k, e] of this.keys) {
      if (e.at >= before) continue;
      this.keys.delete(k);
      this.keyOfId.delete(e.idKey);
      n++;
    }
    return n;
  }

  async put(appId: string, to: string, msg: OfflineMessage, maxPerUser: number): Promise<number> {
    const k = key(appId, to);
    let list = this.inbox.get(k);
    if (!list) this.inbox.set(k, (list = []));
    list.push(msg);
    this.account(appId, [msg], 1);
    if (list.length <= maxPerUser) return 0;
    const dropped = list.splice(0, list.length - maxPerUser);
    this.account(appId, dropped, -1);
    return dropped.length;
  }

  async fetch(appId: string, uid: string, notBefore: number): Promise<OfflineMessage[]> {
    return (this.inbox.get(key(appId, uid)) ?? []).filter((m) => m.ts >= notBefore);
  }

  async remove(appId: string, uid: string, ids: string[]): Promise<void> {
    const k = key(appId, uid);
    const list = this.inbox.get(k);
    if (!list) return;
    const drop = new Set(ids);
    const removed = list.filter((m) => drop.has(m.id));
    if (removed.length === 0) return;
    this.account(appId, removed, -1);
    for (const m of removed) {
      const e = this.keys.get(this.keyOfId.get(`${k}\u0000${m.id}`) ?? '');
      if (e) e.acked = true;
    }
    const kept = list.filter((m) => !drop.has(m.id));
    if (kept.length === 0) this.inbox.delete(k);
    else this.inbox.set(k, kept);
  }

  async purge(before: number): Promise<number> {
    let n = 0;
    for (const [k, list] of this.inbox) {
      const kept = list.filter((m) => m.ts >= before);
      n += list.length - kept.length;
      if (kept.length !== list.length)
        this.account(
          k.slice(0, k.indexOf('\u0000')),
          list.filter((m) => m.ts < before),
          -1,
        );
      if (kept.length === 0) this.inbox.delete(k);
      else if (kept.length !== list.length) this.inbox.set(k, kept);
    }
    return n;
  }

  async count(appId: string, uid: string): Promise<number> {
    return this.inbox.get(key(appId, uid))?.length ?? 0;
  }

  async usage(appId: string): Promise<OfflineUsage> {
    const u = this.usageByApp.get(appId);
    return { messages: u?.messages ?? 0, bytes: u?.bytes ?? 0 };
  }

  async senderCount(appId: string, from: string, windowMs: number, add: boolean): Promise<number> {
    return this.senders.count(key(appId, from), windowMs, add);
  }

  private account(appId: string, msgs: readonly OfflineMessage[], sign: 1 | -1): void {
    let u = this.usageByApp.get(appId);
    if (!u) this.usageByApp.set(appId, (u = { messages: 0, bytes: 0 }));
    for (const m of msgs) {
      u.messages += sign;
      u.bytes += sign * m.event.byteLength;
    }
    if (u.messages <= 0) this.usageByApp.delete(appId);
  }
}
