import {
  entriesAfter,
  type ChannelHistoryEntry,
  type ChannelHistoryStore,
  type HistoryCursor,
  type HistoryRetention,
} from '../../ports/channel-history-store.js';

const key = (appId: string, channelId: string) => `${appId}\u0000${channelId}`;

/**
 * ChannelHistoryStore in process memory: a short array per channel. Channels whose newest entry
 * aged out are swept at most once per retention window, on append, so idle channels do not
 * hold memory forever.
 */
export class MemoryChannelHistoryStore implements ChannelHistoryStore {
  private readonly channels = new Map<string, ChannelHistoryEntry[]>();
  private lastSweep = Date.now();

  async append(
    appId: string,
    channelId: string,
    entry: ChannelHistoryEntry,
    keep: HistoryRetention,
  ): Promise<void> {
    if (keep.maxMessages <= 0) return;
    const now = Date.now();
    const k = key(appId, channelId);
    let list = this.channels.get(k);
    if (!list) this.channels.set(k, (list = []));
    list.push(entry);
    // Trim by count, then by age (entries are in ts order).
    let drop = Math.max(0, list.length - keep.maxMessages);
    while (drop < list.length && list[drop]!.ts < now - keep.maxAgeMs) drop++;
    if (drop > 0) list.splice(0, drop);
    if (now - this.lastSweep >= keep.maxAgeMs) this.sweep(now - keep.maxAgeMs, now);
  }

  async since(
    appId: string,
    channelId: string,
    after: HistoryCursor,
    keep: HistoryRetention,
  ): Promise<ChannelHistoryEntry[]> {
    const list = this.channels.get(key(appId, channelId));
    if (!list) return [];
    return entriesAfter(list, after, keep);
  }

  private sweep(oldest: number, now: number): void {
    this.lastSweep = now;
    for (const [k, list] of this.channels) if (list[list.length - 1]!.ts < oldest) this.channels.delete(k);
  }
}
