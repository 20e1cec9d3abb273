/**
 * Expiry instants, in Unix ms, and the single comparison used for all formats: a token is accepted up to
 * and including its expiry instant, i.e. expired iff nowMs > expiresAtMs (the spec's `now <= expiry`).
 */

export function isExpired(expiresAtMs: number, nowMs: number): boolean {
  return nowMs > expiresAtMs;
}

/**
 * 006: the token's own `ts` (absolute seconds; builders set now + 24 h). The kRtmLogin value
 * (privilegeExpiredTs) is deliberately not enforced: Agora documents it as "invalid… each RTM token is
 * valid for 24 hours", and its own vectors and samples carry 0 or small values in that slot.
 */
export function expiry006Ms(ts: number): number {
  return ts * 1000;
}

/**
 * 007: all values are seconds relative to issueTs (as Agora's parse.py reads them). The token expires at
 * issueTs + expire; a nonzero login privilege can end it earlier, a zero one means "no privilege limit".
 */
export function expiry2Ms(issueTs: number, expire: number, loginPrivilege: number): number {
  const tokenEnd = issueTs + expire;
  const privilegeEnd = loginPrivilege === 0 ? tokenEnd : issueTs + loginPrivilege;
  return Math.min(tokenEnd, privilegeEnd) * 1000;
}

/** Signaling: the absolute expiredTs carried in the token. */
export function expirySignalingMs(expiredTs: number): number {
  return expiredTs * 1000;
}
