import { backoffDelay, type BackoffConfig } from './backoff.js';
import type { CoreOptions } from './core-options.js';

/**
 * When the connection core tries again and on which server: attempts with backoff, the server
 * list in turn, and Signaling's `retry` limits (attempts, and time since the session was lost).
 */
export class ReconnectSchedule {
  /** attempts since the last login or resume (0: the first attempt of a login) */
  attempt = 0;
  /** when the session was last lost (RECONNECTING began), for `retry.reconnectMs` */
  private lostAt = 0;
  private urlIndex = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly urls: string[],
    private readonly backoff: BackoffConfig,
    private readonly retry: CoreOptions['retry'],
  ) {}

  /** the server to try now */
  get url(): string {
    return this.urls[this.urlIndex % this.urls.length]!;
  }

  get serverIndex(): number {
    return this.urlIndex;
  }

  /** the current server failed: the next attempt goes to the next one */
  nextServer(): void {
    this.urlIndex++;
  }

  sessionLost(): void {
    this.lostAt = Date.now();
  }

  usedUp(reconnecting: boolean): boolean {
    const r = this.retry;
    if (!r || this.attempt === 0) return false;
    return this.attempt > r.attempts || (reconnecting && Date.now() - this.lostAt > r.reconnectMs);
  }

  /** Runs `attempt` after the backoff delay of the next attempt (once, if already scheduled). */
  schedule(attempt: () => void): void {
    if (this.timer) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.timer = setTimeout(() => {
      this.timer = null;
      attempt();
    }, delay);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
