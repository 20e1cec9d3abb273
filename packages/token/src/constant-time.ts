import { timingSafeEqual } from 'node:crypto';

/** Constant-time for equal lengths; timingSafeEqual throws on a length mismatch, so check that first. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
