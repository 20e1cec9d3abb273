/**
 * Counters over fixed windows, in process memory: a window starts at the first event it counts
 * and lasts `windowMs`. Expired windows are swept at most once a minute, so memory follows the
 * number of keys active within one window.
 */
export class WindowCounters {
  private readonly windows = new Map<string, { ends: number; n: number }>();
  private lastSweep = 0;

  /** The count of `key`'s current window; `add` counts one more first. */
  count(key: string, windowMs: number, add: boolean, now = Date.now()): number {
    if (now - this.lastSweep >= 60_000) this.sweep(now);
    let w = this.windows.get(key);
    if (w && w.ends <= now) {
      this.windows.delete(key);
      w = undefined;
    }
    if (!add) return w?.n ?? 0;
    if (!w) this.windows.set(key, (w = { ends: now + windowMs, n: 0 }));
    return ++w.n;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.ends <= now) this.windows.delete(k);
  }
}
