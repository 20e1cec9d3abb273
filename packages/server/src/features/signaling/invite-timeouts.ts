/**
 * Timers of Signaling's `_timeout` (one per invitation that asked for it, on the node that created
 * it). Invitations are rate-limited per client (60 / 3 s), so the number of timers is bounded.
 */
export class InviteTimeouts {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly fire: (appId: string, id: string) => void) {}

  arm(appId: string, id: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(id);
      this.fire(appId, id);
    }, ms);
    t.unref();
    this.timers.set(id, t);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
