/**
 * Sliding-window rate limiter: at most `count` events in any `windowMs`. Keeps a ring of the last
 * `count` timestamps, so a check is O(1) and allocation-free.
 */
export class SlidingWindow {
  private readonly stamps: Float64Array;
  private head = 0;

  constructor(
    readonly count: number,
    readonly windowMs: number,
  ) {
    this.stamps = new Float64Array(count).fill(Number.NEGATIVE_INFINITY);
  }

  /** Whether an event at `now` would be refused (records nothing). */
  full(now = Date.now()): boolean {
    return this.count <= 0 || now - this.stamps[this.head]! < this.windowMs;
  }

  /** Records an event at `now` if allowed; returns false (and records nothing) if over the limit. */
  take(now = Date.now()): boolean {
    if (this.count <= 0) return false;
    // The oldest of the last `count` events must be outside the window.
    if (now - this.stamps[this.head]! < this.windowMs) return false;
    this.stamps[this.head] = now;
    this.head = (this.head + 1) % this.count;
    return true;
  }
}

/** A set of named limits for one client; `null` windows mean "not limited". */
export class RateLimits {
  /** A shared instance for clients that are not limited (`--rate-limits off`): it holds no state. */
  static readonly OFF = new RateLimits(false);
  /** created at the first limited call, so sessions that never use a limit do not pay for it */
  private windows: Map<string, SlidingWindow> | null = null;
  /** `owner` hears of every refusal (the session: a refused request is a strike against its socket) */
  constructor(
    private readonly enabled: boolean,
    private readonly owner: { limitRefused(): void } | null = null,
  ) {}

  take(name: string, count: number, windowMs: number, now = Date.now()): boolean {
    if (!this.enabled) return true;
    this.windows ??= new Map();
    let w = this.windows.get(name);
    if (!w) this.windows.set(name, (w = new SlidingWindow(count, windowMs)));
    if (w.take(now)) return true;
    this.owner?.limitRefused();
    return false;
  }
}
