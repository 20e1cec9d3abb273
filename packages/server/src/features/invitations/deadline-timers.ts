/**
 * One timer per live invitation owned by this node, armed at the deadline of its current phase.
 * Invitations are rare next to messages, so a plain timer each is cheap; a timer that fires only
 * calls `due`, which re-reads the store and decides (a stale timer is harmless).
 */
export class DeadlineTimers {
  private readonly timers = new Map<string, { appId: string; at: number; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(private readonly due: (appId: string, id: string) => void) {}

  /**
   * (Re)arms the timer of invitation `id` to fire at `deadline` (ms since epoch), unless it is
   * armed to fire earlier: `due` re-arms at the record's own deadline, so firing early costs one
   * read, while firing late (deadlines from several nodes arriving out of order) would delay an
   * outcome.
   */
  arm(appId: string, id: string, deadline: number): void {
    if (this.closed) return;
    const cur = this.timers.get(id);
    if (cur && cur.at <= deadline) return;
    this.clear(id);
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        this.due(appId, id);
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    this.timers.set(id, { appId, at: deadline, timer });
  }

  clear(id: string): void {
    const t = this.timers.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    this.timers.delete(id);
  }

  /** Number of armed timers (tests check nothing leaks). */
  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }
}
