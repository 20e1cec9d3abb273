import { pino, type Logger } from 'pino';

export type { Logger };

/** One logger per server instance; layers take a child (`{ layer: 'session' }`). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'parley' } });
}
