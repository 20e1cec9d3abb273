import {
  historyEntryBytes,
  type HistoryAppendResult,
  type HistoryCountFilter,
  type HistoryEntry,
  type HistoryFilter,
  type HistoryRetentionLimits,
  type MessageHistoryStore,
} from '../../ports/message-history-store.js';

interface Stored {
  e: HistoryEntry;
  seq: number;
  bytes: number;
}

/**
 * The message history in process memory (an embedded server without a data dir: tests), lost on
 * exit. Each app's entries are kept sorted by (ts, append order).
 */
export class MemoryMessageHistoryStore implements MessageHistoryStore {
  private readonly apps = new Map<string, { list: Stored[]; bytes: number }>();
  private seq = 0;

  async append(appId: string, e: HistoryEntry, limits: HistoryRetentionLimits): Promise<HistoryAppendResult> {
    let app = this.apps.get(appId);
    if (!app) this.apps.set(appId, (app = { list: [], bytes: 0 }));
    const s: Stored = { e: { ...e }, seq: ++this.seq, bytes: historyEntryBytes(e) };
    // Server timestamps mostly grow: the place is found from the end.
    let i = app.list.length;
    while (i > 0 && app.list[i - 1]!.e.ts > e.ts) i--;
    app.list.splice(i, 0, s);
    app.bytes += s.bytes;
    let dropped = 0;
    const cap = limits.maxBytesPerApp;
    while (cap > 0 && app.bytes > cap) {
      const at = app.list[0] === s ? 1 : 0;
      const victim = app.list[at];
      if (!victim) break;
      app.list.splice(at, 1);
      app.bytes -= victim.bytes;
      dropped++;
    }
    return { dropped };
  }

  async query(appId: string, f: HistoryFilter): Promise<HistoryEntry[]> {
    const list = this.matching(appId, f);
    if (f.order === 'desc') list.reverse();
    return list.slice(f.offset, f.offset + f.limit).map((s) => ({ ...s.e }));
  }

  async count(appId: string, f: HistoryCountFilter): Promise<number> {
    return this.matching(appId, f).length;
  }

  async sweep(before: number): Promise<number> {
    let n = 0;
    for (const [appId, app] of this.apps) {
      const keep = app.list.filter((s) => s.e.ts >= before);
      n += app.list.length - keep.length;
      app.list = keep;
      app.bytes = keep.reduce((sum, s) => sum + s.bytes, 0);
      if (keep.length === 0) this.apps.delete(appId);
    }
    return n;
  }

  private matching(appId: string, f: HistoryCountFilter): Stored[] {
    return (this.apps.get(appId)?.list ?? []).filter(
      (s) =>
        s.e.ts >= f.startMs &&
        s.e.ts <= f.endMs &&
        (f.source === undefined || s.e.src === f.source) &&
        (f.destination === undefined || s.e.dst === f.destination),
    );
  }
}
