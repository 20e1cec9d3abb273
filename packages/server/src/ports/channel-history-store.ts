import type { WireMessage } from '@parley/protocol';

/** One channel message as kept in the history. */
export interface ChannelHistoryEntry {
  /** server-stamped id, unique in the cluster */
  id: string;
  /** serverReceivedTs, ms */
  ts: number;
  /** sender uid */
  from: string;
  msg: WireMessage;
  /** the sender's idempotency key, if it gave one: replayed with the message, so members drop a re-send */
  key?: string;
}

/** How much history a channel keeps (config `historyMessages` / `historyMs`). */
export interface HistoryRetention {
  /** newest messages kept per channel (default 32) */
  maxMessages: number;
  /** entries older than this are dropped, ms (default 30000) */
  maxAgeMs: number;
}

/** Where a reader left off: after the entry `id`, or, when that entry is gone, from `ts` on. */
export interface HistoryCursor {
  id: string | null;
  /** ms */
  ts: number;
}

/**
 * Store part: the last messages of each channel, used to give a client that lost its session
 * (and joined again) what it missed. Durable in the embedded SQLite adapter, capped streams in
 * Redis, memory in tests. Entries of one channel are kept in append order.
 */
export interface ChannelHistoryStore {
  /**
   * Appends a message to the channel's history and trims it to `keep` (count and age). Appends
   * to one channel must resolve in call order.
   */
  append(appId: string, channelId: string, entry: ChannelHistoryEntry, keep: HistoryRetention): Promise<void>;
  /**
   * Entries newer than `after`, oldest first, none older than `keep.maxAgeMs`: those after the
   * entry whose id is `after.id` if it is still kept, else those with `ts >= after.ts` (the
   * reader drops ids it has already seen).
   */
  since(
    appId: string,
    channelId: string,
    after: HistoryCursor,
    keep: HistoryRetention,
  ): Promise<ChannelHistoryEntry[]>;
}

/**
 * The entries of `list` (oldest first) after `after` and not older than `keep.maxAgeMs`: after
 * the entry with `after.id` when the list still holds it, else from `after.ts` on. Shared by the
 * stores that read a whole channel's history before filtering it.
 */
export function entriesAfter(
  list: readonly ChannelHistoryEntry[],
  after: HistoryCursor,
  keep: HistoryRetention,
  now = Date.now(),
): ChannelHistoryEntry[] {
  const oldest = now - keep.maxAgeMs;
  let from = after.id === null ? -1 : list.findIndex((e) => e.id === after.id);
  if (from >= 0) from++;
  else {
    from = list.findIndex((e) => e.ts >= after.ts);
    if (from < 0) return [];
  }
  const out: ChannelHistoryEntry[] = [];
  for (let i = from; i < list.length; i++) if (list[i]!.ts >= oldest) out.push(list[i]!);
  return out;
}
