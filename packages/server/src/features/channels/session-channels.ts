import { RATE_LIMITS } from '@parley/protocol';
import { SerialQueue } from '../../kernel/serial-queue.js';
import type { LocalMember } from '../../delivery/rooms.js';

/**
 * The channels of one session on this node. Joins, leaves and the session's end run one after
 * another (`serially`), so a leave or an end never overtakes the join it follows.
 */
export class SessionChannels {
  /** joined channels: channelId → this session's entry in the room */
  readonly joined = new Map<string, LocalMember>();
  /** joins in flight; sends and member lists of the same session wait for them */
  readonly joining = new Map<string, Promise<unknown>>();
  private readonly queue = new SerialQueue();
  /** recent join times per channel, for the same-channel join rate */
  private readonly recentJoins = new Map<string, number[]>();

  /** Runs `op` after every membership operation queued before it. */
  serially<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.run(op);
  }

  /** Joined plus joining: what counts against maxJoinedChannels. */
  get size(): number {
    // A join stays in `joining` until its reply, a little after it entered `joined`.
    let n = this.joined.size;
    for (const id of this.joining.keys()) if (!this.joined.has(id)) n++;
    return n;
  }

  /** Takes one join of `channelId` from the same-channel budget (2 per 5 s); false when over. */
  takeSameChannelJoin(channelId: string, now = Date.now()): boolean {
    const { count, windowMs } = RATE_LIMITS.joinSameChannel;
    let stamps = this.recentJoins.get(channelId);
    if (!stamps) {
      // Forget channels not joined within the window, so the map stays small.
      if (this.recentJoins.size >= 64)
        for (const [k, s] of this.recentJoins)
          if (now - s[s.length - 1]! >= windowMs) this.recentJoins.delete(k);
      this.recentJoins.set(channelId, (stamps = []));
    }
    while (stamps.length > 0 && now - stamps[0]! >= windowMs) stamps.shift();
    if (stamps.length >= count) return false;
    stamps.push(now);
    return true;
  }
}
