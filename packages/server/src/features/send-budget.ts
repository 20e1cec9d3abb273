import type { ClientSession as Session } from './client-session.js';

/** Peer and channel sends share one budget per client: 180 per 3 s by default (Agora's). */
export function sendBudget(s: Session): boolean {
  const r = s.limits.sendRate;
  return s.rates.take('send', r.count, r.windowMs);
}
