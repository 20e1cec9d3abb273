import { RATE_LIMITS, type RateName } from '@parley/protocol';
import type { ClientSession as Session } from './client-session.js';

/**
 * Takes one call from the session's budget `name` of protocol's RATE_LIMITS (the numbers the SDK
 * documents); false when over (the refusal counts as a strike against the socket).
 */
export function takeRate(s: Session, name: Exclude<RateName, 'joinSameChannel'>): boolean {
  const r = RATE_LIMITS[name];
  return s.rates.take(name, r.count, r.windowMs);
}
