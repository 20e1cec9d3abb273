import type { Limits } from '@parley/protocol';

/**
 * Client-side copy of the server's send budget (peer + channel messages share it), so an app
 * that sends too fast gets TOO_OFTEN at once, as with Agora's SDK. The server enforces it too.
 */
export class SendBudget {
  private stamps: number[] = [];

  take(limits: Limits, now = Date.now()): boolean {
    if (!limits.rateLimits) return true;
    const { count, windowMs } = limits.sendRate;
    while (this.stamps.length > 0 && now - this.stamps[0]! >= windowMs) this.stamps.shift();
    if (this.stamps.length >= count) return false;
    this.stamps.push(now);
    return true;
  }
}
