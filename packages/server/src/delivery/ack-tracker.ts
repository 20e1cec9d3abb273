/** A session a message waits in: told when its client's ack confirms its stream up to the message. */
export interface Acker {
  /** The client processed the first `count` messages of the session's stream (see Outbox.ack). */
  confirmed(count: number): void;
}

interface Waiter {
  resolve: (acked: boolean) => void;
  deadline: number;
  /** the session the message was delivered to: the only one whose ack counts */
  by: Acker;
  /** the message's position in that session's stream (-1: not known) */
  seq: number;
  acked: Promise<boolean>;
}

/** What an ack did: settled a wait, named no open wait (late, repeated), or named another session's. */
export type AckResult = 'acked' | 'unknown' | 'forged';

/**
 * Waits for acknowledgements by id with one shared sweep timer instead of a timer per message.
 * A wait names the session the message went to; an ack from any other session is refused, so no
 * client can tell a sender that someone else received its message (docs/security.md).
 * All waits have the same timeout, so insertion order is deadline order and the sweep stops at
 * the first entry still in time.
 */
export class AckTracker {
  private readonly waiting = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | null = null;
  private captured: (acked: boolean) => void = () => {};
  private readonly capture = (resolve: (acked: boolean) => void): void => {
    this.captured = resolve;
  };

  constructor(private readonly timeoutMs: number) {}

  /**
   * Waits for `by`'s ack of `id`, written as message `seq` of its stream. The same id delivered
   * again (a retry of a keyed send) shares the open wait, now owned by the session it went to last.
   */
  wait(id: string, by: Acker, seq = -1): Promise<boolean> {
    const open = this.waiting.get(id);
    if (open) {
      // Delivered twice to one session, the ack may be the first delivery's: confirm no further
      // than that one. A new owner's ack speaks of its own stream.
      open.seq = open.by === by ? Math.min(open.seq, seq) : seq;
      open.by = by;
      return open.acked;
    }
    // The resolver leaves the executor through a field of this tracker, so a wait allocates no
    // executor closure (one wait per peer message).
    const acked = new Promise<boolean>(this.capture);
    this.waiting.set(id, { resolve: this.captured, deadline: Date.now() + this.timeoutMs, by, seq, acked });
    if (!this.timer) {
      this.timer = setInterval(this.sweep, Math.min(250, this.timeoutMs));
      this.timer.unref();
    }
    return acked;
  }

  /**
   * `by` acknowledged `id`. A client acks a message once it processed it, and it processes its
   * stream in order: the ack also confirms every message of the stream up to this one, as its next
   * `received` report would (so the resume queue drops them now, before they outlive a scavenge).
   */
  ack(id: string, by: Acker): AckResult {
    const w = this.waiting.get(id);
    if (!w) return 'unknown';
    if (w.by !== by) return 'forged';
    this.waiting.delete(id);
    if (w.seq >= 0) by.confirmed(w.seq + 1);
    w.resolve(true);
    return 'acked';
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const [id, w] of this.waiting) {
      if (w.deadline > now) break;
      this.waiting.delete(id);
      w.resolve(false);
    }
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  };

  /**
   * Resolves once every wait open now has settled (acked or timed out), or after `maxMs`. Used
   * at shutdown, so senders get their answer before their sessions end.
   */
  async drain(maxMs: number): Promise<void> {
    const open = [...this.waiting.keys()];
    const end = Date.now() + maxMs;
    while (open.some((id) => this.waiting.has(id)) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 10));
  }

  close(): void {
    for (const w of this.waiting.values()) w.resolve(false);
    this.waiting.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
