import { randomBytes } from 'node:crypto';

/**
 * Single-use secrets that stand for a value (a session) for `ttlMs`: a transfer ticket is issued
 * over the WebSocket and spent by one HTTP request. Tickets all live equally long, so the oldest
 * are the first in the Map and expired ones are dropped from its front on each issue.
 */
export class TicketTable<T> {
  private readonly tickets = new Map<string, { value: T; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  issue(value: T, now = Date.now()): { ticket: string; expiresAt: number } {
    for (const [k, t] of this.tickets) {
      if (t.expiresAt > now) break;
      this.tickets.delete(k);
    }
    const ticket = randomBytes(24).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.tickets.set(ticket, { value, expiresAt });
    return { ticket, expiresAt };
  }

  /** The value of an unexpired ticket, which is spent; undefined otherwise. */
  redeem(ticket: string, now = Date.now()): T | undefined {
    const t = this.tickets.get(ticket);
    if (!t) return undefined;
    this.tickets.delete(ticket);
    return t.expiresAt > now ? t.value : undefined;
  }

  get size(): number {
    return this.tickets.size;
  }
}
