import { readFileSync } from 'node:fs';

/**
 * This process' open-file limit (the soft RLIMIT_NOFILE, which Node raises to the hard limit at
 * start), read from /proc on Linux; null where unknown or unlimited.
 */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line ? /^Max open files\s+(\d+)/.exec(line)?.[1] : undefined;
    return soft ? Number(soft) : null;
  } catch {
    return null;
  }
}

/**
 * Descriptors kept out of the WebSocket cap so that /healthz, /metrics, the REST API, storage and
 * logs still get one when the WebSocket side is full: a tenth of the limit, at least 64.
 */
export function fdReserve(limit: number): number {
  return Math.max(64, Math.ceil(limit / 10));
}

/** The automatic `--max-connections`: the open-file limit minus the reserve; 0 (no cap) if unknown. */
export function autoMaxConnections(limit = openFileLimit()): number {
  return limit === null ? 0 : Math.max(1, limit - fdReserve(limit));
}
