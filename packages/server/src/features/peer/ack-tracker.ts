interface Waiter {
  resolve: (acked: boolean) => void;
  deadline: number;
}

// A shared Promise executor: it hands the resolver over through `captured`, so a wait allocates
// no executor closure (one wait per peer message).
let captured: (acked: boolean) => void = () => {};
const capture = (resolve: (acked: boolean) => void): void => {
  captured = resolve;
};

/**
 * Waits for acknowledgements by id with one shared sweep timer instead of a timer per message.
 * All waits have the same timeout, so insertion order is deadline order and the sweep stops at
 * the first entry still in time.
 */
export class AckTracker {
  private readonly waiting = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly timeoutMs: number) {}

  wait(id: string): Promise<boolean> {
    const acked = new Promise<boolean>(capture);
    this.waiting.set(id, { resolve: captured, deadline: Date.now() + this.timeoutMs });
    if (!this.timer) {
      this.timer = setInterval(this.sweep, Math.min(250, this.timeoutMs));
      this.timer.unref();
    }
    return acked;
  }

  ack(id: string): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w.resolve(true);
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
