import type { ChannelCursor, ChannelMessageEvent } from '@parley/protocol';
import type { Core } from '../core.js';
import { RecentIds } from './recent-ids.js';

/** Messages remembered per channel to drop a rejoin's replay where it overlaps what arrived live. */
const MESSAGES_KEPT = 1024;

/**
 * What both SDKs track of a channel they are in: the last message seen (the cursor a rejoin
 * resumes from, so the server replays what the channel said while the session was lost) and the
 * messages already shown.
 */
export class TrackedChannel {
  /** the last message seen, or the join's time while none was */
  cursor: ChannelCursor = { id: null, ts: 0 };
  private seen = new RecentIds(MESSAGES_KEPT);

  /** The join was answered at `ts`: a rejoin replays from there unless a message came since. */
  joinedAt(ts: number): void {
    if (this.cursor.id === null) this.cursor = { id: null, ts };
  }

  /**
   * A message of this channel: false for a re-delivery (a rejoin's replay overlapping what
   * arrived live) or a re-send under the same key (the sender's SDK sent it again after a crash
   * lost the answer); else the cursor moves past it and the app should see it.
   */
  accept(ev: ChannelMessageEvent): boolean {
    if (!this.seen.addMessage(ev)) return false;
    this.cursor = { id: ev.id, ts: ev.ts };
    return true;
  }

  /** A new membership: nothing seen yet. */
  reset(): void {
    this.cursor = { id: null, ts: 0 };
    this.seen = new RecentIds(MESSAGES_KEPT);
  }
}

/** How a rejoin ended: the channel is joined again, lost (the server refused), or unknown. */
export type RejoinOutcome = 'joined' | 'refused' | 'unanswered';

/**
 * Joins a channel again after a re-login (`op`: RTM's or Signaling's Join), from `since` (the
 * channel's cursor when the session came back). 'refused': the channel is lost (e.g. the server's
 * limits changed); 'unanswered' (timeout, link lost again): it stays joined, the next re-login
 * tries again.
 */
export async function rejoin(
  core: Core,
  op: number,
  channelId: string,
  since: ChannelCursor,
  timeoutMs: number,
): Promise<RejoinOutcome> {
  try {
    const r = await core.call(op, { channelId, since }, timeoutMs);
    return r.code === 0 ? 'joined' : 'refused';
  } catch {
    return 'unanswered';
  }
}
