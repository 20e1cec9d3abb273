import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One logger per server instance; layers take a child (`{ layer: 'session' }`). Writes are
 * synchronous: nothing is logged per message, and start-up lines (development-mode warning, the
 * listening line) must appear in order and survive an immediate exit.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'parley' } }, pino.destination({ dest: 1, sync: true }));
}
