import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Compares a secret a client presented with the one we hold, in constant time. Both sides are
 * hashed to 32 bytes first, so neither the content nor the length of `given` shows in the timing
 * (timingSafeEqual itself needs equal lengths).
 */
export function secretEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}
