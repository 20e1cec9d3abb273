/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a random delay in [0, min(cap, base * 2^attempt)], never below `floor` so a broken server is
 * not hammered in a tight loop.
 */
export interface BackoffConfig {
  /** first step, ms (default 250) */
  baseMs: number;
  /** ceiling, ms (default 5000) */
  capMs: number;
  /** minimum delay, ms (default 100) */
  floorMs: number;
}
export const DEFAULT_BACKOFF: BackoffConfig = { baseMs: 250, capMs: 5000, floorMs: 100 };

export function backoffDelay(
  attempt: number,
  cfg: BackoffConfig = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const ceil = Math.min(cfg.capMs, cfg.baseMs * 2 ** Math.min(attempt, 20));
  return Math.max(cfg.floorMs, Math.floor(random() * ceil));
}
